"""Panel members' pages: my interviews, the live scoring page (driven by static/js/panel.js over
the /panel socket), the candidate's documents and the score sheet PDF."""

from __future__ import annotations

from flask import abort, make_response, render_template, url_for
from flask_login import current_user, login_required

from ..accounts.labels import education_label
from ..accounts.models import Role
from ..common.auth import roles_required
from ..common.i18n import current_locale
from ..uploads.responses import private_download
from . import bp, chairing, panel_access, scoreboard, scoring, video
from .panel_forms import CorrectionForm, DeclarationForm, SubstituteForm, substitute_choices
from .score_sheet import render_score_sheet
from .video_pages import panel_video, room_messages, room_page


@bp.route("/panel")
@roles_required(Role.PANEL)
def panel_home():
    panels_today = panel_access.my_panels_today(current_user)
    config = {
        "panels": [p.id for p in panels_today],
        "interview_url": url_for(".panel_interview", interview_id=0),
    }
    groups = panel_access.my_interviews(current_user)
    return render_template(
        "interviews/panel_home.html",
        groups=groups,
        # (no final score shown for an interview the member is recused from)
        recused=scoring.recused_interview_ids(current_user, [iv.id for g in groups.values() for iv in g]),
        panels_today=panels_today,
        panel_config=config,
        status_label=panel_access.status_label,
        num=scoring.num,
    )


@bp.route("/panel/interviews/<int:interview_id>")
@room_page
@roles_required(Role.PANEL)
def panel_interview(interview_id: int):
    interview = panel_access.interview_for(current_user, interview_id)
    role = scoring.role_of(interview, current_user)
    # (a recused chair presides over nothing of this candidate: scoreboard.state_for)
    chairs = scoring.is_chair(interview, current_user) and not scoring.is_recused(interview, current_user)
    criteria = scoring.criteria_of(interview)
    app_ = interview.application
    q = app_.qualifications or {}
    substitute_form = None
    if chairs:
        substitute_form = SubstituteForm(formdata=None)
        substitute_form.user_id.choices = substitute_choices(chairing.substitute_choices(interview))
    config = {
        "interview_id": interview.id,
        "user_id": current_user.id,
        "role": role,
        "chairs": chairs,
        "locale": current_locale(),
        "criteria": [{"id": c.id, "max_points": scoring.num(c.max_points)} for c in criteria],
        "stage_max": scoring.num(scoreboard.part_c_max(interview)),
        "urls": {
            "score_sheet": url_for(".panel_score_sheet", interview_id=interview.id),
            "home": url_for(".panel_home"),
        },
    }
    return render_template(
        "interviews/panel_interview.html",
        interview=interview,
        app=app_,
        round=app_.round,
        role=role,
        chairs=chairs,
        acting_chair=scoring.is_acting_chair(interview, current_user),
        criteria=criteria,
        num=scoring.num,
        criterion_title=scoring.criterion_title,
        qualifications=[
            (k, v)
            for k, v in (
                ("education", education_label(q.get("education_level"))),
                ("degree", q.get("degree_name")),
                ("field", q.get("field_of_study")),
                ("gpa", q.get("gpa")),
            )
            if v
        ],
        documents=app_.documents
        if panel_access.can_view_candidate_documents(current_user, interview)
        else None,
        declaration_form=DeclarationForm(formdata=None),
        correction_form=CorrectionForm(formdata=None) if chairs else None,
        substitute_form=substitute_form,
        panel_config=config,
        video_config=panel_video(interview, current_user),
        video_messages=room_messages(),
        recordings=video.recordings_of(interview)
        if video.may_fetch_recordings(current_user, interview)
        else [],
    )


@bp.route("/panel/interviews/<int:interview_id>/documents/<int:doc_id>")
@login_required
def panel_document(interview_id: int, doc_id: int):
    interview = scoring.get_interview(interview_id)
    doc = panel_access.candidate_document(interview, current_user, doc_id)
    return private_download(doc.stored_name, doc.content_type, doc.original_name)


@bp.route("/panel/interviews/<int:interview_id>/score-sheet.pdf")
@login_required
def panel_score_sheet(interview_id: int):
    interview = scoring.get_interview(interview_id)
    if not panel_access.can_view_score_sheet(current_user, interview):
        abort(403)
    pdf = render_score_sheet(interview)
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'inline; filename="score-sheet-{interview.application.number}.pdf"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
