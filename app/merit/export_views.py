"""The official outputs of a published list, for everyone: the announcement PDF, CSV and XLSX.

Published lists, and those published then superseded or cancelled (which say so), are public.
A draft or approved list is 404 for the public; HR of the round's agency may preview its PDF,
watermarked "ร่าง — ยังไม่ได้ประกาศ". The PDF of a published list is cached per process: its
content is fixed by the digest, so only its status (superseded, cancelled) and validity
(extended) can change what it shows, and those are part of the cache key.
"""

from __future__ import annotations

import functools

from flask import Response, abort, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..background import services as background
from ..common.access import HR_ROLES
from ..common.auth import roles_required
from ..common.i18n import current_locale
from ..common.urls import external_url, has_public_base_url
from ..extensions import db, limiter
from . import bp, output_jobs, services
from .announcement_pdf import render_announcement
from .exports import file_stem, to_csv, to_xlsx
from .forms import StepForm
from .models import MeritList
from .public import is_public, list_for_download

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PUBLIC_CACHE = "public, max-age=300"


def verify_url(digest: str) -> str:
    """The public verify page of a list (/verify/list/<digest>), as an absolute URL on the
    configured PUBLIC_BASE_URL: never the Host a client sent."""
    return external_url("merit.verify_list", digest=digest)


@functools.lru_cache(maxsize=32)
def _published_pdf(list_id: int, digest: str, status: str, valid_until, extended: bool, url: str) -> bytes:
    return render_announcement(db.session.get(MeritList, list_id), url)


@bp.route("/lists/<int:list_id>/announcement.pdf")
@limiter.limit("30 per minute")
def export_pdf(list_id: int):
    merit_list = list_for_download(list_id, current_user, allow_preview=True)
    if is_public(merit_list):
        pdf = _published_pdf(
            merit_list.id,
            merit_list.digest,
            merit_list.status,
            merit_list.valid_until,
            merit_list.extended,
            verify_url(merit_list.digest),
        )
        # A shared cache may keep it only when its link cannot depend on the request's host.
        cache = PUBLIC_CACHE if has_public_base_url() else "private, no-cache"
    else:  # HR's preview of a draft: watermarked, never cached
        pdf, cache = render_announcement(merit_list, None), "private, no-store"
    return _download(merit_list, pdf, "pdf", "application/pdf", cache, inline=True)


@bp.route("/lists/<int:list_id>.csv")
@limiter.limit("60 per minute")
def export_csv(list_id: int):
    merit_list = list_for_download(list_id)
    return _download(merit_list, to_csv(merit_list), "csv", "text/csv; charset=utf-8", PUBLIC_CACHE)


@bp.route("/lists/<int:list_id>.xlsx")
@limiter.limit("60 per minute")
def export_xlsx(list_id: int):
    merit_list = list_for_download(list_id)
    return _download(merit_list, to_xlsx(merit_list), "xlsx", XLSX_MIMETYPE, PUBLIC_CACHE)


@bp.route("/hr/lists/<int:list_id>/outputs/<fmt>", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_build_output(list_id: int, fmt: str):
    """HR builds a large list's PDF or XLSX in the background and downloads it from the job."""
    merit_list = services.list_for_hr(list_id, current_user)
    if fmt not in output_jobs.FORMATS:
        abort(404)
    if not StepForm().validate_on_submit():
        abort(400)
    job = background.submit(
        output_jobs.JOB_KIND,
        current_user,
        {
            "list_id": merit_list.id,
            "fmt": fmt,
            "verify_url": verify_url(merit_list.digest) if is_public(merit_list) else None,
        },
        title=_("Building the %(fmt)s of %(title)s", fmt=fmt.upper(), title=merit_list.title_th),
        return_to=url_for("merit.hr_list", list_id=merit_list.id),
        locale=current_locale(),
    )
    return redirect(url_for("background.job_page", job_id=job.id))


def _download(
    merit_list, data: bytes, ext: str, mimetype: str, cache: str, *, inline: bool = False
) -> Response:
    """One output of the list, named after it ("R12-2569-merit-general-v2.csv")."""
    disposition = "inline" if inline else "attachment"
    return Response(
        data,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'{disposition}; filename="{file_stem(merit_list)}.{ext}"',
            "Cache-Control": cache,
        },
    )
