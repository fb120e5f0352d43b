"""Socket.IO namespace /panel for live interview scoring (being written)."""
