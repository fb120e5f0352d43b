"""The invitations to an interview: an email to the candidate and to each panel member, in the
recipient's language, with the interview's .ics (calendar.py) attached, queued through the
outbox in the caller's transaction. Placement (a new booking) and booking (a move) send them;
each version of the interview (its number of moves) is queued once per recipient.
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from ..accounts.models import User
from ..common.thai import format_datetime
from ..common.urls import message_link
from ..notifications.services import Attachment, queue_email
from . import calendar, services
from .models import Interview
from .schedule import move_cutoff


def _email(interview: Interview, recipient: User, *, as_member: bool) -> None:
    ics = calendar.build_ics(calendar.invitation_for(interview, recipient, as_member=as_member))
    slot = interview.slot
    round_ = interview.application.round
    locale = recipient.locale or "th"
    with force_locale(locale):
        when = format_datetime(slot.starts_at, locale)
        where = services.slot_location(slot)
        if as_member:
            subject = _("Interview %(number)s on %(when)s", number=interview.application.number, when=when)
            body = _(
                "Panel %(panel)s interviews application %(number)s of round %(round)s on "
                "%(when)s (%(where)s). The invitation is attached.",
                panel=slot.panel.name,
                number=interview.application.number,
                round=round_.code,
                when=when,
                where=where,
            )
        else:
            subject = _("Your Part C interview: %(when)s", when=when)
            values = dict(
                round=round_.title(locale),
                when=when,
                where=where,
                cutoff=format_datetime(slot.starts_at - move_cutoff(), locale),
                url=message_link("interviews.mine"),
            )
            if interview.moves:
                body = _(
                    "Your Part C interview for %(round)s has moved to %(when)s "
                    "(%(where)s). You may change it until %(cutoff)s at %(url)s. The "
                    "invitation is attached.",
                    **values,
                )
            else:
                body = _(
                    "Your Part C interview for %(round)s is on %(when)s (%(where)s). "
                    "Confirm it, or move it until %(cutoff)s, at %(url)s. The invitation "
                    "is attached.",
                    **values,
                )
    who = f"member:{recipient.id}" if as_member else "candidate"
    queue_email(
        to=recipient.email,
        subject=subject,
        body=body,
        user_id=recipient.id,
        dedupe_key=f"interview:{interview.id}:v{interview.moves}:{who}",
        attachments=[
            Attachment(calendar.filename_of(interview), "text/calendar; method=REQUEST", ics.encode("utf-8"))
        ],
    )


def send_invitations(interview: Interview) -> None:
    """Queue the candidate's and each panel member's invitation for this version of the
    interview (in the caller's transaction; the same version is never queued twice)."""
    _email(interview, interview.application.candidate, as_member=False)
    for m in interview.slot.panel.members:
        _email(interview, m.user, as_member=True)


def tell_acting_chair(interview: Interview, member: User) -> None:
    """Queue the email telling a member that HR named them to preside over this interview in
    place of the recused chair (in the caller's transaction; once per member and interview)."""
    locale = member.locale or "th"
    with force_locale(locale):
        number = interview.application.number
        subject = _("You preside over interview %(number)s", number=number)
        body = _(
            "The chair of panel %(panel)s declared a conflict of interest for application "
            "%(number)s. HR has named you to preside over this interview in the chair's "
            "place: once every scoring member has submitted, you finalize the Part C "
            "score at %(url)s.",
            panel=interview.slot.panel.name,
            number=number,
            url=message_link("interviews.panel_interview", interview_id=interview.id),
        )
    queue_email(
        to=member.email,
        subject=subject,
        body=body,
        user_id=member.id,
        dedupe_key=f"interview:{interview.id}:acting-chair:{member.id}",
    )
