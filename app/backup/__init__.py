"""Backups that restore: the database (SQLite's online backup API, or pg_dump) and the uploads."""
