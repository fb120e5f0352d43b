"""The shared builders of the test suite, one module per capability, each building a model (or the
state a journey leaves) in one line; the `make` fixture is this package: `make.candidate()`,
`make.round_(agency, mode=...)`, `make.application(round_)`, `make.sitting(...)`, ...

No test module imports another test module: what several tests build lives here, what they read
(page text, PDF pages, audit counts) in tests/support/.
"""

from tests.factories import (
    applications,
    bank,
    booking,
    channels,
    exams,
    interviews,
    merit,
    panels,
    psychometrics,
)
from tests.factories.accounts import PASSWORD, agency, candidate, client_for, hr, login, national_id, user
from tests.factories.applications import application
from tests.factories.exams import proctor
from tests.factories.recruitment import position, round_

__all__ = [
    "PASSWORD",
    "agency",
    "application",
    "applications",
    "bank",
    "booking",
    "candidate",
    "channels",
    "client_for",
    "exams",
    "hr",
    "interviews",
    "login",
    "merit",
    "national_id",
    "panels",
    "position",
    "proctor",
    "psychometrics",
    "round_",
    "user",
]
