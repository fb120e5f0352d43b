"""Domain errors of the online test, each with a code the client can act on."""

from ..common.errors import DomainError, NotAllowed


class NotStarted(NotAllowed):
    code = "not_started"


class TimeUp(NotAllowed):
    code = "time_up"


class AlreadySubmitted(NotAllowed):
    code = "submitted"


class Paused(NotAllowed):
    code = "paused"


class BadAnswer(DomainError):
    code = "bad_answer"


class TooManyChoices(BadAnswer):
    """A multiple-response answer with more choices than the item allows (its max_choices)."""

    code = "too_many_choices"


class CheckInRefused(DomainError):
    code = "check_in_refused"


class SectionClosed(NotAllowed):
    code = "section_closed"


class SectionNotOpen(NotAllowed):
    """A question asked ahead of time (`prefetch`) of a section with its own time limit that
    has not started: its clock starts only when the candidate goes to it."""

    code = "section_not_open"
