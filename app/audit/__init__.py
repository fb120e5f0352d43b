"""Audit log: who changed what, when, with before and after, in a hash chain."""
