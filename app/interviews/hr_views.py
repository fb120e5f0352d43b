"""HR's Part C pages of a round: panels and members, the rubric, slots, automatic scheduling
with its report, the schedule and each panel's daily schedule PDF, and the acting chair of an
interview whose chair declared a conflict."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.models import User
from ..common.access import HR_ROLES
from ..common.auth import roles_required
from ..common.errors import DomainError
from ..common.forms import show_error
from ..common.i18n import current_locale
from ..extensions import db
from ..recruitment.services import round_for_hr
from . import booking, bp, chairing, conflicts, placement, rooms, rubrics, schedule, services
from .forms import (
    ActingChairForm,
    AutoScheduleForm,
    ButtonForm,
    CriterionForm,
    HrMoveForm,
    MemberForm,
    PanelForm,
    SlotsForm,
)
from .schedule_pdf import daily_schedule_pdf


def _me():
    return current_user._get_current_object()


def _round(round_id: int):
    return round_for_hr(round_id, current_user)


def _panel(round_, panel_id: int):
    panel = services.get_panel(panel_id)
    if panel.round_id != round_.id:
        abort(404)
    return panel


def setup_steps() -> list[tuple[str, str]]:
    """The interview set-up, one step per page (the summary page shows them all)."""
    return [
        ("panels", _("Panels")),
        ("rubric", _("Rubric")),
        ("slots", _("Slots")),
        ("scheduling", _("Automatic scheduling")),
        ("invitations", _("Invitations")),
    ]


def _render(
    round_,
    status: int = 200,
    panel_form=None,
    member_forms=None,
    criterion_form=None,
    slots_form=None,
    auto_form=None,
    edit_forms=None,
    acting_forms=None,
    step: str = "overview",
):
    panels = services.panels_of_round(round_)
    recusals = conflicts.chair_recusals(round_)
    acting_forms = acting_forms or {}
    for iv in recusals:
        acting_forms.setdefault(
            iv.id,
            ActingChairForm(
                users=conflicts.scoring_members(iv),
                formdata=None,
                prefix=f"a{iv.id}",
                data={"user_id": iv.acting_chair_id},
            ),
        )
    users = services.panel_users()
    member_forms = member_forms or {}
    edit_forms = edit_forms or {}
    for p in panels:
        member_forms.setdefault(p.id, MemberForm(users=users, formdata=None, prefix=f"m{p.id}"))
        edit_forms.setdefault(p.id, PanelForm(obj=p, formdata=None, prefix=f"p{p.id}"))
    if slots_form is None:
        slots_form = SlotsForm(panels=panels, formdata=None)
    slots = {p.id: schedule.slots_of_panel(p) for p in panels}
    problems = {p.id: services.panel_problems(p) for p in panels}
    rubric = rubrics.rubric_of(round_)
    interviews = schedule.interviews_of_round(round_)
    invitations = schedule.invitation_states(interviews)
    steps = setup_steps()
    keys = [k for k, _label in steps]
    done = {
        "panels": bool(panels) and not any(problems.values()),
        "rubric": bool(rubric and rubric.criteria),
        "slots": any(slots.values()),
        "scheduling": bool(interviews),
        "invitations": bool(interviews) and all(v == "sent" for v in invitations.values()),
    }
    context = dict(
        round=round_,
        panels=panels,
        slots=slots,
        days={p.id: schedule.days_of_panel(p) for p in panels},
        problems=problems,
        rubric=rubric,
        rubric_locked=rubrics.rubric_locked(round_),
        rubric_total=rubrics.rubric_total(rubric),
        interviews=interviews,
        invitations=invitations,
        invitation_counts={
            "sent": sum(1 for v in invitations.values() if v == "sent"),
            "waiting": sum(1 for v in invitations.values() if v in ("pending", "sending")),
            "confirmed": sum(1 for iv in interviews if iv.status == "confirmed"),
        },
        panel_form=panel_form or PanelForm(formdata=None),
        member_forms=member_forms,
        edit_forms=edit_forms,
        criterion_form=criterion_form or CriterionForm(formdata=None),
        slots_form=slots_form,
        auto_form=auto_form or AutoScheduleForm(formdata=None),
        recusals=recusals,
        acting_forms=acting_forms,
        button=ButtonForm(formdata=None),
        steps=steps,
        done=done,
    )
    if step == "overview":
        return render_template("interviews/hr_round.html", **context), status
    i = keys.index(step)
    return render_template(
        "interviews/hr_setup.html",
        step=step,
        step_number=i + 1,
        step_label=steps[i][1],
        previous=steps[i - 1] if i > 0 else None,
        following=steps[i + 1] if i + 1 < len(steps) else None,
        **context,
    ), status


@bp.route("/hr/rounds/<int:round_id>/interviews")
@roles_required(*HR_ROLES)
def hr_round_interviews(round_id: int):
    return _render(_round(round_id))


@bp.route("/hr/rounds/<int:round_id>/interviews/setup/<step>")
@roles_required(*HR_ROLES)
def hr_setup_step(round_id: int, step: str):
    round_ = _round(round_id)
    if step not in {k for k, _label in setup_steps()}:
        abort(404)
    return _render(round_, step=step)


def _need_button() -> None:
    if not ButtonForm().validate_on_submit():  # only the CSRF token to check
        abort(400)


def _done(round_, message: str, anchor: str = "", step: str | None = None):
    """Back to the step the change was made in (the summary when none), with the message."""
    flash(message, "success")
    if step:
        return redirect(url_for(".hr_setup_step", round_id=round_.id, step=step) + anchor)
    return redirect(url_for(".hr_round_interviews", round_id=round_.id) + anchor)


# ---- panels and members ------------------------------------------------------------------


@bp.route("/hr/rounds/<int:round_id>/interviews/panels", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_panel_new(round_id: int):
    round_ = _round(round_id)
    form = PanelForm()
    if not form.validate_on_submit():
        return _render(round_, 422, panel_form=form, step="panels")
    try:
        panel = services.create_panel(round_, _me(), **form.values())
    except DomainError as err:
        return _render(round_, show_error(form, err), panel_form=form, step="panels")
    return _done(
        round_, _("The panel %(name)s has been set up.", name=panel.name), f"#panel-{panel.id}", step="panels"
    )


@bp.route("/hr/rounds/<int:round_id>/interviews/panels/<int:panel_id>", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_panel_edit(round_id: int, panel_id: int):
    round_ = _round(round_id)
    panel = _panel(round_, panel_id)
    form = PanelForm(prefix=f"p{panel.id}")
    if not form.validate_on_submit():
        return _render(round_, 422, edit_forms={panel.id: form}, step="panels")
    try:
        services.update_panel(panel, _me(), **form.values())
    except DomainError as err:
        return _render(round_, show_error(form, err), edit_forms={panel.id: form}, step="panels")
    return _done(
        round_, _("The panel %(name)s has been saved.", name=panel.name), f"#panel-{panel.id}", step="panels"
    )


@bp.route("/hr/rounds/<int:round_id>/interviews/panels/<int:panel_id>/members", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_member_add(round_id: int, panel_id: int):
    round_ = _round(round_id)
    panel = _panel(round_, panel_id)
    form = MemberForm(users=services.panel_users(), prefix=f"m{panel.id}")
    if not form.validate_on_submit():
        return _render(round_, 422, member_forms={panel.id: form}, step="panels")
    user = db.session.get(User, form.user_id.data)
    try:
        services.add_member(panel, _me(), user, form.role.data)
    except DomainError as err:
        return _render(round_, show_error(form, err), member_forms={panel.id: form}, step="panels")
    return _done(
        round_,
        _("%(name)s has joined the panel.", name=user.full_name_th),
        f"#panel-{panel.id}",
        step="panels",
    )


@bp.route(
    "/hr/rounds/<int:round_id>/interviews/panels/<int:panel_id>/members/<int:member_id>/remove",
    methods=["POST"],
)
@roles_required(*HR_ROLES)
def hr_member_remove(round_id: int, panel_id: int, member_id: int):
    round_ = _round(round_id)
    panel = _panel(round_, panel_id)
    _need_button()
    member = next((m for m in panel.members if m.id == member_id), None)
    try:
        services.remove_member(panel, _me(), member)
    except DomainError as err:
        return _render(round_, show_error(None, err), step="panels")
    return _done(round_, _("The member has left the panel."), f"#panel-{panel.id}", step="panels")


# ---- the acting chair of an interview whose chair declared a conflict -------------------


@bp.route("/hr/rounds/<int:round_id>/interviews/<int:interview_id>/acting-chair", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_acting_chair(round_id: int, interview_id: int):
    round_ = _round(round_id)
    interview = services.get_interview(interview_id)
    if interview.application.round_id != round_.id:
        abort(404)
    form = ActingChairForm(users=conflicts.scoring_members(interview), prefix=f"a{interview.id}")
    if not form.validate_on_submit():
        return _render(round_, 422, acting_forms={interview.id: form})
    user = db.session.get(User, form.user_id.data)
    try:
        chairing.name_acting_chair(interview, _me(), user)
    except DomainError as err:
        return _render(round_, show_error(form, err), acting_forms={interview.id: form})
    rooms.notify_chair_changed(interview)
    return _done(
        round_,
        _(
            "%(name)s presides over the interview of %(number)s.",
            name=user.full_name_th,
            number=interview.application.number,
        ),
        "#acting-chairs",
    )


# ---- moving a booked interview --------------------------------------------------------


def _slot_choice_label(slot) -> str:
    return f"{schedule.slot_label(slot, current_locale())} · {slot.panel.name}"


def _render_move(round_, interview, form=None, status: int = 200):
    slots = booking.slots_hr_may_move_to(interview)
    form = form or HrMoveForm(slots=slots, label=_slot_choice_label, formdata=None)
    return render_template(
        "interviews/hr_move.html", round=round_, interview=interview, form=form, slots=slots
    ), status


def _interview_of(round_, interview_id: int):
    interview = services.get_interview(interview_id)
    if interview.application.round_id != round_.id:
        abort(404)
    return interview


@bp.route("/hr/rounds/<int:round_id>/interviews/<int:interview_id>/move", methods=["GET", "POST"])
@roles_required(*HR_ROLES)
def hr_move(round_id: int, interview_id: int):
    round_ = _round(round_id)
    interview = _interview_of(round_, interview_id)
    if request.method == "GET":
        return _render_move(round_, interview)
    form = HrMoveForm(slots=booking.slots_hr_may_move_to(interview), label=_slot_choice_label)
    if not form.validate_on_submit():
        return _render_move(round_, interview, form, 422)
    try:
        booking.hr_move(
            interview,
            _me(),
            schedule.get_slot(form.slot_id.data),
            form.reason.data,
            ip=request.remote_addr or "",
        )
    except DomainError as err:
        return _render_move(round_, interview, form, show_error(form, err))
    return _done(
        round_,
        _(
            "The interview of %(number)s has moved to %(when)s. The candidate and the panel "
            "have been sent the new invitation.",
            number=interview.application.number,
            when=schedule.slot_label(interview.slot, current_locale()),
        ),
        "#schedule",
    )


# ---- rubric -----------------------------------------------------------------------------


@bp.route("/hr/rounds/<int:round_id>/interviews/rubric/default", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_rubric_default(round_id: int):
    round_ = _round(round_id)
    _need_button()
    try:
        rubrics.use_default_rubric(round_, _me())
    except DomainError as err:
        return _render(round_, show_error(None, err), step="rubric")
    return _done(round_, _("The rubric now has the five standard criteria."), "#rubric", step="rubric")


@bp.route("/hr/rounds/<int:round_id>/interviews/rubric/criteria", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_criterion_add(round_id: int):
    round_ = _round(round_id)
    form = CriterionForm()
    if not form.validate_on_submit():
        return _render(round_, 422, criterion_form=form, step="rubric")
    try:
        rubrics.add_criterion(round_, _me(), **form.values())
    except DomainError as err:
        return _render(round_, show_error(form, err), criterion_form=form, step="rubric")
    return _done(round_, _("The criterion has been added."), "#rubric", step="rubric")


@bp.route("/hr/rounds/<int:round_id>/interviews/rubric/criteria/<int:criterion_id>/remove", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_criterion_remove(round_id: int, criterion_id: int):
    round_ = _round(round_id)
    _need_button()
    try:
        rubrics.remove_criterion(round_, _me(), criterion_id)
    except DomainError as err:
        return _render(round_, show_error(None, err), step="rubric")
    return _done(round_, _("The criterion has been removed."), "#rubric", step="rubric")


# ---- slots and scheduling ------------------------------------------------------------------


@bp.route("/hr/rounds/<int:round_id>/interviews/slots", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_slots_generate(round_id: int):
    round_ = _round(round_id)
    panels = services.panels_of_round(round_)
    form = SlotsForm(panels=panels)
    if not form.validate_on_submit():
        return _render(round_, 422, slots_form=form, step="slots")
    panel = _panel(round_, form.panel_id.data)
    try:
        batch = placement.generate_slots(panel, _me(), **form.values())
    except DomainError as err:
        return _render(round_, show_error(form, err), slots_form=form, step="slots")
    message = _("%(n)s slots created for %(panel)s.", n=len(batch.created), panel=panel.name)
    if batch.skipped_overlap or batch.skipped_past:
        message += " " + _(
            "Skipped: %(overlap)s overlapping the panel's slots, %(past)s in the past.",
            overlap=batch.skipped_overlap,
            past=batch.skipped_past,
        )
    return _done(round_, message, f"#panel-{panel.id}", step="slots")


@bp.route("/hr/rounds/<int:round_id>/interviews/slots/<int:slot_id>/cancel", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_slot_cancel(round_id: int, slot_id: int):
    round_ = _round(round_id)
    _need_button()
    slot = schedule.get_slot(slot_id)
    _panel(round_, slot.panel_id)
    try:
        placement.cancel_slot(slot, _me())
    except DomainError as err:
        return _render(round_, show_error(None, err), step="slots")
    return _done(round_, _("The slot has been cancelled."), f"#panel-{slot.panel_id}", step="slots")


@bp.route("/hr/rounds/<int:round_id>/interviews/auto-schedule", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_auto_schedule(round_id: int):
    round_ = _round(round_id)
    form = AutoScheduleForm()
    if not form.validate_on_submit():
        return _render(round_, 422, auto_form=form, step="scheduling")
    try:
        report = placement.auto_schedule(
            round_, _me(), accommodation_extra_minutes=form.accommodation_extra_minutes.data
        )
    except DomainError as err:
        return _render(round_, show_error(form, err), auto_form=form, step="scheduling")
    # The report is the answer to this action (it can be long): shown here, not redirected.
    return render_template("interviews/hr_schedule_report.html", round=round_, report=report)


@bp.route("/hr/rounds/<int:round_id>/interviews/panels/<int:panel_id>/schedule-<day>.pdf")
@roles_required(*HR_ROLES)
def hr_schedule_pdf(round_id: int, panel_id: int, day: str):
    round_ = _round(round_id)
    panel = _panel(round_, panel_id)
    try:
        on = date.fromisoformat(day)
    except ValueError:
        abort(404)
    pdf = daily_schedule_pdf(panel, on)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="interviews-panel-{panel.id}-{on}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )
