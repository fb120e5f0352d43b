"""The invitations to an interview: an email to the candidate and to each panel member, in the
recipient's language, with the interview's .ics (calendar.py) attached, queued through the
outbox in the caller's transaction. Placement (a new booking) and booking (a move) send them;
each version of the interview (its number of moves) is queued once per recipient.
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from ..accounts.models import User
from ..common.clock import now
from ..common.thai import format_datetime
from ..common.urls import message_link
from ..notifications.services import Attachment, queue_email
from . import calendar, services
from .models import Interview
from .schedule import move_cutoff


def _candidate_body(interview: Interview, locale: str, when: str, where: str, reason: str) -> str:
    """What the candidate reads: where the interview stands, and what they may still do. It
    says they may move only while the rules let them (until the cut-off), and never that the
    time is fixed while they may still change it."""
    slot = interview.slot
    round_title = interview.application.round.title(locale)
    if reason:
        news = _(
            "HR has moved your Part C interview for %(round)s to %(when)s (%(where)s). Reason: %(reason)s.",
            round=round_title,
            when=when,
            where=where,
            reason=reason,
        )
    elif interview.moves:
        news = _(
            "Your Part C interview for %(round)s has moved to %(when)s (%(where)s).",
            round=round_title,
            when=when,
            where=where,
        )
    else:
        news = _(
            "Your Part C interview for %(round)s is on %(when)s (%(where)s).",
            round=round_title,
            when=when,
            where=where,
        )
    cutoff = slot.starts_at - move_cutoff()
    url = message_link("interviews.mine")
    if now() < cutoff:
        confirm = interview.status == "scheduled"
        action = (
            _(
                "Confirm it, or move it to another free time until %(cutoff)s, at %(url)s.",
                cutoff=format_datetime(cutoff, locale),
                url=url,
            )
            if confirm
            else _(
                "You may still move it to another free time until %(cutoff)s at %(url)s.",
                cutoff=format_datetime(cutoff, locale),
                url=url,
            )
        )
    else:
        action = _(
            "It is less than %(hours)s hours away, so it can no longer be moved online: if you "
            "cannot attend, contact HR of the round's agency.",
            hours=int(move_cutoff().total_seconds() // 3600),
        )
    return " ".join((news, action, _("The invitation is attached.")))


def _email(interview: Interview, recipient: User, *, as_member: bool, reason: str = "") -> None:
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
            body = _candidate_body(interview, locale, when, where, reason)
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


def send_invitations(interview: Interview, reason: str = "") -> None:
    """Queue the candidate's and each panel member's invitation for this version of the
    interview (in the caller's transaction; the same version is never queued twice). `reason`:
    HR moved it, and the candidate is told why."""
    _email(interview, interview.application.candidate, as_member=False, reason=reason)
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
