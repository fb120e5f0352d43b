"""Uploaded documents: checked by content, stored outside static/ under random names."""
