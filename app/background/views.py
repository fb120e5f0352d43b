"""A background job's pages: its progress (the page polls the JSON beside it), its result or
error, and the file it made; only to the person who started it."""

from __future__ import annotations

from flask import Response, jsonify, render_template
from flask_login import current_user, login_required

from . import bp, services


@bp.route("/jobs/<int:job_id>")
@login_required
def job_page(job_id: int):
    job = services.job_for(job_id, current_user)
    return render_template(
        "background/job.html", job=job, state=services.state_of(job), result_link=services.result_link(job)
    )


@bp.route("/jobs/<int:job_id>.json")
@login_required
def job_state(job_id: int):
    job = services.job_for(job_id, current_user)
    return jsonify(ok=True, job=services.state_of(job)), 200, {"Cache-Control": "no-store"}


@bp.route("/jobs/<int:job_id>/file")
@login_required
def job_file(job_id: int):
    name, mimetype, data = services.file_of(services.job_for(job_id, current_user))
    return Response(
        data,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
