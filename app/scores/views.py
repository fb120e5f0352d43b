"""HR's stage-score page of a round: scores per stage, entered by hand, imported from CSV or
pulled from the online Part A test."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..background import services as background
from ..common.access import HR_ROLES
from ..common.auth import roles_required
from ..common.errors import DomainError, ValidationFailed
from ..common.forms import show_error
from ..common.i18n import current_locale
from ..recruitment.models import StageKind
from ..recruitment.services import round_for_hr, stage_label
from . import bp, csv_import, part_a, recording, results
from . import charts as score_charts
from .forms import PartARanksForm, ScoreEntryForm, ScoreImportForm, SyncPartAForm
from .models import ScoreSource


def _me():
    return current_user._get_current_object()


def _stage_kind(round_, asked: str | None) -> str:
    kinds = [s.kind for s in round_.stages]
    if not kinds:
        abort(404)
    return asked if asked in kinds else kinds[0]


def _render(round_, stage_kind: str, status: int = 200, entry_form=None, import_form=None, ranks_form=None):
    q = request.args.get("q", "").strip()[:100]
    result = request.args.get("result", "")
    result = result if result in results.RESULT_FILTERS else ""
    entry_form = entry_form or ScoreEntryForm(formdata=None, stage_kind=stage_kind)
    import_form = import_form or ScoreImportForm(formdata=None, stage_kind=stage_kind)
    page = results.stage_page(
        round_,
        stage_kind,
        q,
        result,
        request.args.get("page", 1, type=int) or 1,
        current_app.config["HR_LIST_PER_PAGE"],
    )
    return render_template(
        "scores/hr_scores.html",
        round=round_,
        stage=round_.stage(stage_kind),
        stage_label=stage_label,
        page=page,
        rows=page.rows,
        q=q,
        result=result,
        result_filters=[
            ("", _("All")),
            (results.PASSED, _("Pass")),
            (results.FAILED, _("Fail")),
            (results.MISSING, _("No score yet")),
        ],
        pager_args={"stage": stage_kind, **({"q": q} if q else {}), **({"result": result} if result else {})},
        distribution=score_charts.stage_distribution(round_, stage_kind),
        entry_form=entry_form,
        import_form=import_form,
        sync_form=SyncPartAForm(formdata=None),
        ranks_form=ranks_form or PartARanksForm(formdata=None, ranks=round_.part_a_ranks),
        ranking_basis=part_a.ranking_basis(round_) if round_.stage(StageKind.PART_A) else None,
        basis_statement=part_a.basis_statement,
        has_part_a=round_.stage(StageKind.PART_A) is not None,
    ), status


@bp.route("/hr/rounds/<int:round_id>/scores")
@roles_required(*HR_ROLES)
def hr_scores(round_id: int):
    round_ = round_for_hr(round_id, current_user)
    return _render(round_, _stage_kind(round_, request.args.get("stage")))


@bp.route("/hr/rounds/<int:round_id>/scores", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_enter_score(round_id: int):
    round_ = round_for_hr(round_id, current_user)
    form = ScoreEntryForm()
    stage_kind = _stage_kind(round_, form.stage_kind.data)
    if not form.validate_on_submit():
        return _render(round_, stage_kind, 422, entry_form=form)
    try:
        app_ = results.find_application(round_, form.application_number.data)
        current = recording.existing_score(app_, stage_kind)
        if current is not None and current.score != recording.parse_score(form.score.data):
            if not form.reason.data:  # refuse before anything changes, saying why
                raise ValidationFailed(recording.already_recorded_message(app_, current), "reason")
            correction = recording.correct_stage_score(
                app_, stage_kind, form.score.data, actor=_me(), reason=form.reason.data
            )
            flash(
                _(
                    "Score of %(number)s corrected: %(before)s → %(after)s. The correction and "
                    "its reason are shown to the list's approver.",
                    number=app_.number,
                    before=correction.score_before,
                    after=correction.score_after,
                ),
                "success",
            )
            return redirect(url_for("scores.hr_scores", round_id=round_.id, stage=stage_kind))
        row = recording.record_stage_score(
            app_,
            stage_kind,
            form.score.data,
            source=ScoreSource.HR_ENTRY,
            actor=_me(),
            note=form.note.data or "",
        )
    except DomainError as err:
        return _render(round_, stage_kind, show_error(form, err), entry_form=form)
    flash(
        _(
            "Score of %(number)s recorded: %(score)s / %(max)s (%(result)s).",
            number=app_.number,
            score=row.score,
            max=row.max_score,
            result=_("pass") if row.passed else _("fail"),
        ),
        "success",
    )
    return redirect(url_for("scores.hr_scores", round_id=round_.id, stage=stage_kind))


@bp.route("/hr/rounds/<int:round_id>/scores/import", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_import_scores(round_id: int):
    round_ = round_for_hr(round_id, current_user)
    form = ScoreImportForm()
    stage_kind = _stage_kind(round_, form.stage_kind.data)
    if not form.validate_on_submit():
        return _render(round_, stage_kind, 422, import_form=form)
    try:
        text = form.file.data.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        form.file.errors.append(_('The file is not UTF-8 text: save it as "CSV UTF-8".'))
        return _render(round_, stage_kind, 422, import_form=form)
    back = url_for("scores.hr_scores", round_id=round_.id, stage=stage_kind)
    if csv_import.data_rows(text) > current_app.config["BACKGROUND_ROWS_THRESHOLD"]:
        # A large file: checked and saved in the background, its progress on the job's page.
        job = background.submit(
            csv_import.JOB_KIND,
            _me(),
            {"round_id": round_.id, "stage_kind": stage_kind, "text": text, "actor_id": current_user.id},
            title=_(
                "Importing %(stage)s scores of %(code)s", stage=stage_label(stage_kind), code=round_.code
            ),
            return_to=back,
            locale=current_locale(),
        )
        return redirect(url_for("background.job_page", job_id=job.id))
    try:
        result = csv_import.import_scores_csv(round_, stage_kind, text, _me())
    except DomainError as err:
        return _render(round_, stage_kind, show_error(form, err), import_form=form)
    flash(csv_import.result_message(result), "success")
    return redirect(back)


@bp.route("/hr/rounds/<int:round_id>/scores/part-a-ranks", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_part_a_ranks(round_id: int):
    round_ = round_for_hr(round_id, current_user)
    form = PartARanksForm()
    if not form.validate_on_submit():
        return _render(round_, StageKind.PART_A, 422, ranks_form=form)
    try:
        part_a.set_part_a_ranks(round_, _me(), form.ranks.data, form.ranks_reason.data)
    except DomainError as err:
        return _render(round_, StageKind.PART_A, show_error(form, err), ranks_form=form)
    flash(_("Saved. It applies when Part A is next pulled from the online test."), "success")
    return redirect(url_for("scores.hr_scores", round_id=round_.id, stage=StageKind.PART_A))


@bp.route("/hr/rounds/<int:round_id>/scores/sync-part-a", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_sync_part_a(round_id: int):
    round_ = round_for_hr(round_id, current_user)
    if not SyncPartAForm().validate_on_submit():
        abort(400)
    try:
        result = part_a.sync_part_a_from_exams(round_, _me())
    except DomainError as err:
        show_error(None, err)
        return redirect(url_for("scores.hr_scores", round_id=round_.id))
    flash(
        _(
            "Part A pulled from the online test: %(created)s new, %(updated)s changed, %(same)s unchanged.",
            created=result.created,
            updated=result.updated,
            same=result.unchanged,
        ),
        "success",
    )
    if result.not_equated:
        flash(
            _(
                "The round ranks by the equated score, but %(n)s tests have no equated score (not "
                "calibrated or not equated yet): the raw score was taken for everyone, so that all "
                "are on one scale.",
                n=result.not_equated,
            ),
            "warning",
        )
    if result.kept_manual:
        flash(
            _(
                "%(n)s scores entered by HR were kept as they are: %(numbers)s.",
                n=len(result.kept_manual),
                numbers=", ".join(result.kept_manual[:20]),
            ),
            "warning",
        )
    if result.missing:
        flash(
            _(
                "%(n)s approved applicants have neither a submitted test nor a valid Part A "
                "certificate: %(numbers)s.",
                n=len(result.missing),
                numbers=", ".join(result.missing[:20]),
            ),
            "warning",
        )
    return redirect(url_for("scores.hr_scores", round_id=round_.id, stage=StageKind.PART_A))
