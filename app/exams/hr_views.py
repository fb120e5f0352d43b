"""HR and proctor pages of the online test (being written)."""
from . import bp  # noqa: F401
