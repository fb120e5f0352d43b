"""`flask bank validate PATH` and `flask bank import PATH` (being written)."""
from flask.cli import AppGroup

bank_cli = AppGroup("bank", help="Exam bank tools: validate and import item and blueprint files.")
