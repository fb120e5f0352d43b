"""Exams: the item bank, blueprints, sittings, check-in, the Part A online test and its scoring."""
