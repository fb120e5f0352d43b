"""Agencies: BMA departments, offices and district offices."""
