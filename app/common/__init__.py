"""Small shared building blocks: clock, column types, domain errors, Thai conventions."""
