"""iCalendar (.ics, RFC 5545/5546) invitations to an interview, written with `icalendar`.

One VEVENT per interview: its UID never changes and its SEQUENCE is the interview's number of
moves, so a calendar updates the event in place when the slot moves. Times are local Bangkok
time with TZID=Asia/Bangkok and the VTIMEZONE that defines it (UTC+7, no daylight saving).
Calendars are often synced to outside services, so an event carries the application number,
never the candidate's name or national ID.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone, TimezoneStandard, vCalAddress, vText

from ..common.clock import BANGKOK, now
from ..common.errors import Forbidden
from ..common.urls import message_link
from . import services
from .models import Interview

TZID = "Asia/Bangkok"
PRODID = "-//Bangkok Metropolitan Administration//BMA Recruit//TH"
UID_DOMAIN = "recruit.bangkok.go.th"


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


def _address(name: str, email: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name or email)
    return address


def _timezone() -> Timezone:
    """Asia/Bangkok as calendars need it: UTC+7 all year (no daylight saving since 1920)."""
    tz = Timezone()
    tz.add("tzid", TZID)
    tz.add("x-lic-location", TZID)
    standard = TimezoneStandard()
    standard.add("dtstart", datetime(1970, 1, 1))  # noqa: DTZ001  (VTIMEZONE rules are in local time by definition)
    standard.add("tzoffsetfrom", timedelta(hours=7))
    standard.add("tzoffsetto", timedelta(hours=7))
    standard.add("tzname", "+07")
    tz.add_component(standard)
    return tz


def build_ics(inv: Invitation) -> str:
    """The VCALENDAR text (CRLF line ends) of one invitation, written by the icalendar library:
    it escapes every TEXT value and parameter (a CR or LF typed into a panel's name or a room
    stays inside its value) and folds long lines without cutting a UTF-8 character."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if inv.cancelled else "REQUEST")
    cal.add_component(_timezone())
    event = Event()
    event.add("uid", inv.uid)
    event.add("sequence", inv.sequence)
    event.add("dtstamp", (inv.stamp or now()).astimezone(UTC))
    event.add("dtstart", inv.starts_at.astimezone(BANGKOK))
    event.add("dtend", inv.ends_at.astimezone(BANGKOK))
    event.add("summary", inv.summary)
    if inv.location:
        event.add("location", inv.location)
    if inv.url:
        event.add("url", inv.url)
    if inv.description:
        event.add("description", inv.description)
    name, email = inv.organizer
    if email:
        event.add("organizer", _address(name, email))
    for name, email in inv.attendees:
        attendee = _address(name, email)
        attendee.params.update({"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "FALSE"})
        event.add("attendee", attendee)
    event.add("status", "CANCELLED" if inv.cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    cal.add_component(event)
    return cal.to_ical().decode("utf-8")


# ---- invitations to an interview -----------------------------------------------------------


def uid_of(interview: Interview) -> str:
    return f"interview-{interview.id}@{UID_DOMAIN}"


def _organizer() -> tuple[str, str]:
    name, email = parseaddr(current_app.config["MAIL_FROM"])
    return name or "BMA Recruit", email


def invitation_for(interview: Interview, recipient, *, as_member: bool) -> Invitation:
    """The invitation `recipient` gets, in the recipient's language."""
    slot = interview.slot
    round_ = interview.application.round
    locale = getattr(recipient, "locale", None) or "th"
    with force_locale(locale):
        mode = _("Online interview") if slot.mode == services.ONLINE else _("On-site interview")
        summary = (
            _("Part C interview, application %(number)s", number=interview.application.number)
            if as_member
            else _("Part C interview: %(round)s", round=round_.title(locale))
        )
        parts = [
            f"{round_.code} · {round_.title(locale)}",
            _("Application number: %(number)s", number=interview.application.number),
            _("Panel: %(name)s", name=slot.panel.name),
            mode,
        ]
        if services.slot_link(slot):
            parts.append(_("Meeting link: %(link)s", link=services.slot_link(slot)))
        if services.slot_room(slot):
            parts.append(_("Room: %(room)s", room=services.slot_room(slot)))
        if not as_member:
            parts.append(_("Confirm, move or check in at %(url)s", url=message_link("interviews.mine")))
    return Invitation(
        uid=uid_of(interview),
        sequence=interview.moves,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        summary=summary,
        location=services.slot_location(slot),
        url=services.slot_link(slot),
        description="\n".join(parts),
        organizer=_organizer(),
        attendees=[(recipient.display_name(locale), recipient.email)],
        cancelled=interview.status == "cancelled",
    )


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
