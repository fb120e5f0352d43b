"""Applications as they stand after each step (applied, approved), a round with approved applicants,
the form a candidate posts and the PDF they upload (the applying journey itself is tested in
tests/applications/)."""

from __future__ import annotations

import io
from datetime import timedelta

from reportlab.pdfgen import canvas

from app.applications.models import Application, ApplicationStatus
from app.common.clock import now
from app.extensions import db
from app.recruitment.models import Mode, RoundStatus


def application(
    round_, candidate=None, *, status: str = ApplicationStatus.APPROVED, commit: bool = True, **fields
):
    """`candidate`'s (a new candidate's unless given) application to `round_`, numbered as the
    round numbers them (<code>-00001, ...),
    built directly with the model (the applying journey is tested in tests/applications/).
    `commit=False` only flushes, for a builder that adds more in the same transaction."""
    if candidate is None:
        from tests.factories.accounts import candidate as new_candidate

        candidate = new_candidate()
    round_.application_seq += 1
    values = dict(qualifications={}, eligibility=[])
    values.update(fields)
    app_ = Application(
        number=f"{round_.code}-{round_.application_seq:05d}",
        round_id=round_.id,
        candidate_id=candidate.id,
        status=status,
        **values,
    )
    db.session.add(app_)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return app_


def approved_application(
    db, make, round_, candidate=None, status=ApplicationStatus.APPROVED, **names
) -> Application:
    """An application as it stands after HR approved it, of a new candidate unless one is given
    (`names` overwrite the candidate's names)."""
    cand = candidate or make.candidate()
    for k, v in names.items():
        setattr(cand, k, v)
    return application(round_, cand, status=status)


def round_with_applicants(db, make, n: int = 3, mode: str = Mode.COMPETITIVE_EXAM, agency=None):
    agency = agency or make.agency()
    round_ = make.round_(agency, mode=mode, status=RoundStatus.IN_PROGRESS)
    apps = [approved_application(db, make, round_) for _i in range(n)]
    # The applications are in and decided: the window closes (lists wait for it).
    round_.opens_at, round_.closes_at = now() - timedelta(days=20), now() - timedelta(seconds=1)
    db.session.commit()
    return agency, round_, apps


def pdf_bytes(text: str = "Transcript of records") -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, text)
    c.showPage()
    c.save()
    return buf.getvalue()


def apply_form(**extra) -> dict:
    data = {"declaration": "y"}
    data.update(extra)
    return data


def post_apply(c, round_, **data):
    """The candidate's whole way to a submitted application: the form (answers and files), then
    "check your answers", where the declaration is ticked (`declaration=""` leaves it unticked).
    Returns the first page that is not a step forward (the form's refusal) or the last one."""
    data = apply_form(**data)
    declaration = data.pop("declaration")
    first = c.post(f"/rounds/{round_.id}/apply", data=data, content_type="multipart/form-data")
    if first.status_code != 302 or not first.headers["Location"].endswith(f"/rounds/{round_.id}/apply/check"):
        return first
    return c.post(
        f"/rounds/{round_.id}/apply/check", data={"declaration": declaration} if declaration else {}
    )
