"""Applications as they stand after each step (applied, approved), a round with approved applicants,
the form a candidate posts and the PDF they upload (the applying journey itself is tested in
tests/applications/)."""

from __future__ import annotations

import io
from datetime import timedelta

from reportlab.pdfgen import canvas
from sqlalchemy import insert, select

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
    return c.post(f"/rounds/{round_.id}/apply", data=apply_form(**data), content_type="multipart/form-data")


def photo_png(size=(300, 400), color=(200, 120, 60)) -> bytes:
    """A passport-style photograph as PNG bytes (a plain colour: what matters is that it prints)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def photo_document(app_: Application, data: bytes | None = None):
    """A photograph uploaded with `app_`, stored as the upload service stores every file."""
    from app.applications.models import Document, DocumentKind
    from app.uploads import services as uploads

    sf = uploads.store(data or photo_png(), "photo.png")
    doc = Document(
        owner_id=app_.candidate_id,
        application_id=app_.id,
        kind=DocumentKind.PHOTO,
        original_name=sf.original_name,
        stored_name=sf.stored_name,
        content_type=sf.content_type,
        size=sf.size,
        sha256=sf.sha256,
    )
    db.session.add(doc)
    db.session.commit()
    return doc


def many_applications(round_, n: int, *, status: str = ApplicationStatus.SUBMITTED, names=None) -> list[int]:
    """`n` candidates and their applications to `round_` in a few bulk INSERTs (HR at volume:
    5,000 built in a second or two, not one ORM object at a time). `names(i)` gives the i-th
    candidate's (first_name_th, last_name_th); numbered <code>-00001, ... like the round does.
    Returns the applications' ids in number order."""
    from app.accounts.models import User
    from tests.factories.accounts import national_id, shared_password_hash

    stamp, password = now(), shared_password_hash()
    tag = f"{round_.code.lower()}-{round_.application_seq}"
    people = []
    for i in range(n):
        first, last = names(i) if names else ("ผู้สมัคร", f"ลำดับ{i + 1}")
        people.append(
            dict(
                email=f"bulk-{tag}-{i}@example.test",
                password_hash=password,
                national_id=national_id(),
                first_name_th=first,
                last_name_th=last,
                first_name_en="Applicant",
                last_name_en=f"No{i + 1}",
                email_verified_at=stamp,
                session_token=f"bulk{tag}{i}",
                locale="th",
                created_at=stamp,
                active=True,
            )
        )
    db.session.execute(insert(User), people)
    emails = [p["email"] for p in people]
    ids = dict(db.session.execute(select(User.email, User.id).where(User.email.in_(emails))).all())
    first_seq = round_.application_seq
    rows = [
        dict(
            number=f"{round_.code}-{first_seq + i + 1:05d}",
            round_id=round_.id,
            candidate_id=ids[email],
            status=status,
            qualifications={},
            eligibility=[],
            submitted_at=stamp,
            disability_type="",
            disability_card_no="",
            shortage_degree="",
            rejection_reason="",
        )
        for i, email in enumerate(emails)
    ]
    db.session.execute(insert(Application), rows)
    round_.application_seq = first_seq + n
    db.session.commit()
    return list(
        db.session.scalars(
            select(Application.id).where(Application.round_id == round_.id).order_by(Application.number)
        )
    )[first_seq:]
