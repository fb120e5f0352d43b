"""The helpers every template may call, registered in one place by the factory (create_app).

Each capability's label functions live in its services (or labels) module; this module only
names them for the templates, so that importing a views module registers nothing by itself and
one list shows what a template can use. Names carry their capability's prefix where a bare name
would clash (`merit_status_label`, `offer_status_label`, ...). Blueprint-local helpers (the
admin and application pages' context processors) stay with their blueprint.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, request
from flask_login import current_user

from .accounts import labels as accounts_labels
from .accounts.models import Role
from .applications import services as applications
from .booking import availability as booking_availability
from .booking import notices as booking_notices
from .booking import policy as booking_policy
from .booking import services as booking
from .common import forms as common_forms
from .common import national_id as nid
from .common.clock import now
from .common.i18n import current_locale
from .exams import (
    analysis,
    bank_browse,
    calibration,
    certificates,
    item_types,
    parallel_forms,
    proctoring,
    sittings,
)
from .interviews import placement, schedule, video
from .interviews import services as interviews
from .merit import labels as merit_labels
from .merit import list_use, offers
from .merit import public as merit_public
from .merit import services as merit
from .partners import nominees
from .payments import services as payments
from .recruitment import eligibility
from .recruitment import services as recruitment
from .scholarships import services as scholarships
from .scores import labels as scores_labels


# ---- helpers that exist for the templates only -----------------------------------------------
def mmss(seconds: int | None) -> str:
    """Time left as the proctor's table shows it: 95:07 (minutes may pass 60)."""
    if seconds is None:
        return "—"
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def localized(obj, name: str) -> str:
    """obj.<name>_en for English readers when there is one, else obj.<name>_th."""
    english = getattr(obj, f"{name}_en", "") or ""
    return english if current_locale() == "en" and english else getattr(obj, f"{name}_th", "")


def national_id_of(person) -> str:
    """The person's national ID in full for those allowed to see it, masked for everyone else."""
    if person is None or not person.national_id:
        return ""
    if applications.can_see_national_id(current_user, person):
        return nid.formatted(person.national_id)
    return nid.masked(person.national_id)


def interview_chair_of(interview):
    return interviews.chair_of(interviews.panel_of(interview))


def pending_offers() -> int:
    """The candidate's offers awaiting an answer (the menu badge and the reminder on their home
    page), counted once per request and only if a template asks."""
    cached = request.environ.get("bma.pending_offers")
    if cached is None:
        cached = request.environ["bma.pending_offers"] = (
            offers.pending_offers_count(current_user)
            if current_user.is_authenticated and current_user.has_role(Role.CANDIDATE)
            else 0
        )
    return cached


def my_nominations() -> list:
    """The candidate's nominations (MOU channel), each with its next step."""
    if not current_user.is_authenticated or not current_user.has_role(Role.CANDIDATE):
        return []
    return [(n, nominees.next_step(n)) for n in nominees.nominations_of_person(current_user)]


def booking_place(b) -> str:
    """Where a booking's seat is (sitting, time, centre, room, seat) in the reader's language."""
    return booking_notices.place_text(b, current_locale())


def my_scholarship():
    """The candidate's scholarship contract, if any."""
    if not current_user.is_authenticated or not current_user.has_role(Role.CANDIDATE):
        return None
    return scholarships.contract_of_person(current_user)


# ---- what the templates see, by capability ---------------------------------------------------
TEMPLATE_GLOBALS: dict[str, dict[str, Callable]] = {
    "common": {
        "form_error_items": common_forms.error_items,
    },
    "accounts": {
        "education_label": accounts_labels.education_label,
        "employment_label": accounts_labels.employment_label,
    },
    "recruitment": {
        "mode_label": recruitment.mode_label,
        "status_label": recruitment.status_label,
        "stage_label": recruitment.stage_label,
        "accommodation_label": recruitment.accommodation_label,
        "position_level": recruitment.position_level,
        "describe": eligibility.describe,
        "is_eligible": eligibility.is_eligible,
        "requirements": eligibility.requirements,
        "describe_requirement": eligibility.describe_requirement,
        "localized": localized,
    },
    "applications": {
        "national_id_of": national_id_of,
    },
    "exams": {
        "exam_state_label": sittings.state_label,
        "exam_candidate_state": proctoring.candidate_state,
        "sitting_status_label": sittings.sitting_status_label,
        "sitting_status_now": sittings.sitting_status_now,
        "timing_label": sittings.timing_label,
        "seat_accommodations": sittings.accommodation_names,
        "item_flag_label": analysis.flag_label,
        "item_type_label": item_types.type_label,
        "item_summary": bank_browse.summary_of,
        "difficulty_label": bank_browse.difficulty_label,
        "certificate_status_label": certificates.status_label,
        "part_a_certificate_of": certificates.part_a_certificate,
        "mmss": mmss,
        "calibration_model_label": calibration.model_label,
        "calibration_status_label": calibration.calibration_status_label,
        "item_calibrations": calibration.parameters_by_version,
        "forms_opening_refusal": parallel_forms.opening_refusal,
        "forms_report": parallel_forms.form_report,
    },
    "interviews": {
        "interview_status_label": schedule.status_label,
        "interview_mode_label": schedule.mode_label,
        "interview_slot_time": schedule.slot_label,
        "interview_slot_location": interviews.slot_location,
        "interview_slot_link": interviews.slot_link,
        "interview_chair_of": interview_chair_of,
        "interview_slot_room": interviews.slot_room,
        "interview_accommodations": placement.accommodation_kinds,
        "interview_accommodation_label": recruitment.accommodation_label,
        "interview_has_room": video.has_room,
    },
    "scores": {
        "score_source_label": scores_labels.source_label,
    },
    "merit": {
        "merit_status_label": merit_labels.list_status_label,
        "merit_kind_label": merit_labels.list_kind_label,
        "merit_track_label": merit_labels.track_label,
        "merit_entry_status_label": merit_labels.entry_status_label,
        "merit_decided_by_label": merit_labels.decided_by_label,
        "merit_stage_label": merit_labels.stage_short_label,
        "waive_consequence": merit_labels.waive_consequence,
        "merit_tie_break_label": merit_labels.tie_break_label,
        "merit_list_title": merit_labels.list_title,
        "merit_status_on": merit.status_on,
        "offer_status_label": offers.status_label,
        "offer_document_label": offers.document_label,
        "offer_documents": offers.offer_documents,
        "use_status_label": list_use.status_label,
        "pending_offers": pending_offers,
        "merit_rankings_of_application": merit_public.rankings_of_application,
    },
    "partners": {
        "my_nominations": my_nominations,
    },
    "payments": {
        "payment_status_label": payments.payment_status_label,
        "payment_of_application": payments.payment_of,
        "fee_of_round": payments.fee_of,
    },
    "booking": {
        "booking_status_label": booking.booking_status_label,
        "booking_of_application": booking_availability.booking_of,
        "round_uses_booking": booking_policy.round_uses_booking,
        "booking_place": booking_place,
        "now_utc": now,
    },
    "scholarships": {
        "my_scholarship": my_scholarship,
        "open_placement_rounds": scholarships.open_placement_rounds,
    },
}


def register(app: Flask) -> None:
    """Make every helper of TEMPLATE_GLOBALS callable from every template of `app`."""
    seen: dict[str, str] = {}
    for capability, helpers in TEMPLATE_GLOBALS.items():
        for name, helper in helpers.items():
            if name in seen:  # two capabilities may not claim one name
                raise RuntimeError(f"template global {name!r} of {capability} is also {seen[name]}'s")
            seen[name] = capability
            app.add_template_global(helper, name)
