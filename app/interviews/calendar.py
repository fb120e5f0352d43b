"""iCalendar (.ics, RFC 5545/5546) invitations to an interview, written by hand.

One VEVENT per interview: its UID never changes and its SEQUENCE is the interview's number of
moves, so a calendar updates the event in place when the slot moves. Times are local Bangkok
time with TZID=Asia/Bangkok and the VTIMEZONE that defines it (UTC+7, no daylight saving).
Calendars are often synced to outside services, so an event carries the application number,
never the candidate's name or national ID.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parseaddr

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from ..common.clock import BANGKOK, now
from ..common.errors import Forbidden
from .models import Interview
from . import services

TZID = "Asia/Bangkok"
PRODID = "-//Bangkok Metropolitan Administration//BMA Recruit//TH"
UID_DOMAIN = "recruit.bangkok.go.th"
VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    f"X-LIC-LOCATION:{TZID}",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0700",
    "TZOFFSETTO:+0700",
    "TZNAME:+07",
    "DTSTART:19700101T000000",
    "END:STANDARD",
    "END:VTIMEZONE",
]


@dataclass
class Invitation:
    uid: str
    sequence: int
    starts_at: datetime  # timezone-aware
    ends_at: datetime
    summary: str
    location: str
    description: str = ""
    url: str = ""
    organizer: tuple[str, str] = ("", "")  # (name, email)
    attendees: list[tuple[str, str]] = field(default_factory=list)
    stamp: datetime | None = None
    cancelled: bool = False


def escape_text(value: str) -> str:
    """TEXT values: backslash, semicolon, comma and newline escaped."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _param(value: str) -> str:
    """A parameter value (CN=...): quoted, without the characters a quoted value cannot hold."""
    return '"' + value.replace('"', "'").replace("\n", " ") + '"'


def fold(line: str) -> list[str]:
    """Lines longer than 75 octets continue on lines starting with a space, never inside a
    UTF-8 character (Thai takes three octets a character)."""
    out, current, size = [], "", 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        limit = 75 if not out else 74  # a continuation line's leading space counts
        if size + width > limit:
            out.append(current)
            current, size = "", 0
        current += ch
        size += width
    out.append(current)
    return [out[0]] + [" " + part for part in out[1:]]


def _local(value: datetime) -> str:
    return value.astimezone(BANGKOK).strftime("%Y%m%dT%H%M%S")


def _utc(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def build_ics(inv: Invitation) -> str:
    """The VCALENDAR text (CRLF line ends) of one invitation."""
    method = "CANCEL" if inv.cancelled else "REQUEST"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             f"METHOD:{method}", *VTIMEZONE, "BEGIN:VEVENT",
             f"UID:{inv.uid}",
             f"SEQUENCE:{inv.sequence}",
             f"DTSTAMP:{_utc(inv.stamp or now())}",
             f"DTSTART;TZID={TZID}:{_local(inv.starts_at)}",
             f"DTEND;TZID={TZID}:{_local(inv.ends_at)}",
             f"SUMMARY:{escape_text(inv.summary)}"]
    if inv.location:
        lines.append(f"LOCATION:{escape_text(inv.location)}")
    if inv.url:
        lines.append(f"URL:{inv.url}")
    if inv.description:
        lines.append(f"DESCRIPTION:{escape_text(inv.description)}")
    name, email = inv.organizer
    if email:
        lines.append(f"ORGANIZER;CN={_param(name or email)}:mailto:{email}")
    for name, email in inv.attendees:
        lines.append(f"ATTENDEE;CN={_param(name or email)};ROLE=REQ-PARTICIPANT;"
                     f"PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:{email}")
    lines += [f"STATUS:{'CANCELLED' if inv.cancelled else 'CONFIRMED'}", "TRANSP:OPAQUE",
              "END:VEVENT", "END:VCALENDAR"]
    return "".join(part + "\r\n" for line in lines for part in fold(line))


# ---- invitations to an interview -----------------------------------------------------------

def uid_of(interview: Interview) -> str:
    return f"interview-{interview.id}@{UID_DOMAIN}"


def _organizer() -> tuple[str, str]:
    name, email = parseaddr(current_app.config["MAIL_FROM"])
    return name or "BMA Recruit", email


def link(endpoint: str, **values) -> str:
    """An absolute link when a request (or SERVER_NAME) says where the site is, else the path."""
    if has_request_context() or current_app.config["SERVER_NAME"]:
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def invitation_for(interview: Interview, recipient, *, as_member: bool) -> Invitation:
    """The invitation `recipient` gets, in the recipient's language."""
    slot = interview.slot
    round_ = interview.application.round
    locale = getattr(recipient, "locale", None) or "th"
    with force_locale(locale):
        mode = _("Online interview") if slot.mode == services.ONLINE else _("On-site interview")
        summary = (_("Part C interview, application %(number)s", number=interview.application
                     .number) if as_member else
                   _("Part C interview: %(round)s", round=round_.title(locale)))
        parts = [f"{round_.code} · {round_.title(locale)}",
                 _("Application number: %(number)s", number=interview.application.number),
                 _("Panel: %(name)s", name=slot.panel.name), mode]
        if services.slot_link(slot):
            parts.append(_("Meeting link: %(link)s", link=services.slot_link(slot)))
        if services.slot_room(slot):
            parts.append(_("Room: %(room)s", room=services.slot_room(slot)))
        if not as_member:
            parts.append(_("Confirm, move or check in at %(url)s",
                           url=link("interviews.mine")))
    return Invitation(uid=uid_of(interview), sequence=interview.moves, starts_at=slot.starts_at,
                      ends_at=slot.ends_at, summary=summary,
                      location=services.slot_location(slot), url=services.slot_link(slot),
                      description="\n".join(parts), organizer=_organizer(),
                      attendees=[(recipient.display_name(locale), recipient.email)],
                      cancelled=interview.status == "cancelled")


def candidate_ics(interview: Interview, user) -> str:
    """The candidate's own invitation (their interview only)."""
    if interview.application.candidate_id != getattr(user, "id", None):
        raise Forbidden(_("This is not your interview."))
    return build_ics(invitation_for(interview, user, as_member=False))


def member_ics(interview: Interview, user) -> str:
    """A panel member's (or substitute's) invitation to one interview of their panel."""
    if services.panel_role(interview, user) is None:
        raise Forbidden(_("You do not sit on this interview's panel."))
    return build_ics(invitation_for(interview, user, as_member=True))


def filename_of(interview: Interview) -> str:
    return f"interview-{interview.id}.ics"
