"""A large list's official outputs built in the background: the announcement PDF or the XLSX of
a list of thousands takes longer than a person should wait on a request with nothing moving,
so HR starts it as a job and downloads the file from the job's page."""

from __future__ import annotations

from flask_babel import gettext as _

from ..background.services import Outcome, register
from ..extensions import db
from .announcement_pdf import render_announcement
from .exports import file_stem, to_csv, to_xlsx
from .models import MeritList

JOB_KIND = "merit.build_output"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {
    "pdf": ("application/pdf", lambda ml, url: render_announcement(ml, url)),
    "xlsx": (XLSX_MIMETYPE, lambda ml, _url: to_xlsx(ml)),
    "csv": ("text/csv; charset=utf-8", lambda ml, _url: to_csv(ml)),
}


def build_output(progress, list_id: int, fmt: str, verify_url: str | None = None) -> Outcome:
    """Build one output of the list; `verify_url` is the public verify page of a published list
    (None: a draft's preview, watermarked)."""
    merit_list = db.session.get(MeritList, list_id)
    mimetype, build = FORMATS[fmt]
    count = len(merit_list.entries)
    progress(0, count, _("Building the %(fmt)s of %(n)s entries.", fmt=fmt.upper(), n=count))
    data = build(merit_list, verify_url)
    progress(count, count)
    return Outcome(
        summary=_(
            "The %(fmt)s of the list is ready (%(kb)s KB).", fmt=fmt.upper(), kb=max(1, len(data) // 1024)
        ),
        data={"entries": count},
        file_name=f"{file_stem(merit_list)}.{fmt}",
        file_type=mimetype,
        file_data=data,
    )


register(JOB_KIND, build_output)
