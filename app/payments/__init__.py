"""Application fees: a round's fee, payment slips with a Thai QR bill-payment code, the bank
statement import that marks payments received, refunds by the stated rules."""

from flask import Blueprint

bp = Blueprint("payments", __name__)

from . import views  # noqa: F401  (register the routes on bp)
