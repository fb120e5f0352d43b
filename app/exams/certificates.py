"""Part A pass certificates: issuing one per passed attempt, public verification, revocation.

A certificate counts for later rounds while it is valid (not expired, not revoked), so a round's
Part A can be treated as satisfied with `valid_part_a_certificate`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..common import national_id as nid
from ..common.access import is_hr_of, need_hr_of, need_hr_of_sitting
from ..common.clock import BANGKOK, now
from ..common.dates import add_years
from ..common.errors import NotAllowed, NotFound, ValidationFailed
from ..common.i18n import labeller
from ..documents.certificate import PartACertificate, render_part_a_certificate
from ..extensions import db
from ..recruitment.models import StageKind
from .models import Attempt, Certificate, Seat, Sitting

# No 0/O, 1/I: a code read aloud or typed from paper must not be ambiguous.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
GROUP = 4
DEFAULT_VALID_YEARS = 2

VALID, EXPIRED, REVOKED, UNKNOWN = "valid", "expired", "revoked", "unknown"


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _i in range(CODE_LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


def normalize_code(code: str | None) -> str:
    """What people type ("abcd efgh-jk mn") in the stored form "ABCD-EFGH-JKMN"; "" if not one."""
    raw = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    if len(raw) != CODE_LENGTH or any(ch not in ALPHABET for ch in raw):
        return ""
    return "-".join(raw[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


def certificate_of(attempt: Attempt) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.attempt_id == attempt.id))


def issue_certificate(attempt: Attempt, valid_years: int = DEFAULT_VALID_YEARS, actor=None) -> Certificate:
    """The certificate of a submitted, passed Part A attempt; the same one if issued before."""
    exam = attempt.seat.sitting.exam
    if attempt.status != "submitted" or not attempt.passed:
        raise NotAllowed(_("Only a submitted, passed attempt earns a certificate."))
    if not exam.is_part_a:
        raise NotAllowed(_("Certificates are issued for Part A exams only."))
    if not isinstance(valid_years, int) or valid_years < 1:
        raise ValidationFailed(_("A certificate is valid for at least one year."), "valid_years")
    existing = certificate_of(attempt)
    if existing is not None:
        return existing
    for _try in range(5):
        issued = now()
        cert = Certificate(
            code=new_code(),
            attempt_id=attempt.id,
            candidate_id=attempt.seat.candidate_id,
            issued_at=issued,
            valid_until=add_years(issued, valid_years),
        )
        db.session.add(cert)
        try:
            db.session.flush()
        except IntegrityError:  # issued at the same moment elsewhere, or (rarely) a code clash
            db.session.rollback()
            existing = certificate_of(attempt)
            if existing is not None:
                return existing
            continue
        record(
            "certificate.issue",
            cert,
            actor=actor,
            after={
                "code": cert.code,
                "attempt": attempt.id,
                "candidate": cert.candidate_id,
                "exam": exam.code,
                "score": attempt.score,
                "max": attempt.max_score,
                "valid_until": cert.valid_until,
            },
        )
        db.session.commit()
        return cert
    raise NotAllowed(_("The certificate could not be issued just now; try again."))


def issue_if_passed(attempt: Attempt) -> Certificate | None:
    """Hook for submission.submit: issue at once when the exam shows results immediately.

    Under "after publication" a certificate would reveal the result early, so HR issues them
    with `issue_for_sitting` when the results are published.
    """
    sitting = attempt.seat.sitting
    if (
        attempt.status != "submitted"
        or not attempt.passed
        or not sitting.exam.is_part_a
        or (sitting.exam.results_policy != "immediate" and sitting.results_published_at is None)
    ):
        return None
    return issue_certificate(attempt)


def issue_for_sitting(sitting: Sitting, actor) -> list[Certificate]:
    """Certificates for every passed attempt of a Part A sitting (when HR publishes results)."""
    need_hr_of_sitting(actor, sitting)
    if not sitting.exam.is_part_a:
        raise NotAllowed(_("Certificates are issued for Part A exams only."))
    attempts = db.session.scalars(
        select(Attempt)
        .join(Seat)
        .where(Seat.sitting_id == sitting.id, Attempt.status == "submitted", Attempt.passed.is_(True))
        .order_by(Attempt.id)
    )
    return [issue_certificate(a, actor=actor) for a in list(attempts)]


def certificates_of_sitting(sitting: Sitting) -> dict[int, Certificate]:
    """Certificates by attempt id."""
    return {
        c.attempt_id: c
        for c in db.session.scalars(
            select(Certificate).join(Attempt).join(Seat).where(Seat.sitting_id == sitting.id)
        )
    }


@dataclass
class Verification:
    status: str
    certificate: Certificate | None = None

    @property
    def attempt(self) -> Attempt | None:
        return self.certificate.attempt if self.certificate else None

    @property
    def sat_on(self) -> datetime | None:
        return sat_on(self.certificate) if self.certificate else None


STATUS_LABELS = {
    VALID: lambda: _("Valid"),
    EXPIRED: lambda: _("Expired"),
    REVOKED: lambda: _("Revoked"),
    UNKNOWN: lambda: _("Unknown"),
}


status_label = labeller(STATUS_LABELS)


def status_of(cert: Certificate, on: datetime | None = None) -> str:
    on = on or now()
    if cert.revoked_at is not None:
        return REVOKED
    if cert.valid_until is not None and on >= cert.valid_until:
        return EXPIRED
    return VALID


def verify(code: str | None, on: datetime | None = None) -> Verification:
    normalized = normalize_code(code)
    cert = (
        db.session.scalar(select(Certificate).where(Certificate.code == normalized)) if normalized else None
    )
    if cert is None:
        return Verification(UNKNOWN)
    return Verification(status_of(cert, on), cert)


def get_by_code(code: str) -> Certificate:
    found = verify(code)
    if found.certificate is None:
        raise NotFound(_("No certificate has that code."))
    return found.certificate


def revoke(cert: Certificate, actor, reason: str) -> Certificate:
    """HR of the agency that held the exam withdraws a certificate, with a reason."""
    agency_id = cert.attempt.seat.sitting.agency_id
    need_hr_of(actor, agency_id, _("This certificate was issued by another agency."))
    if not (reason or "").strip():
        raise ValidationFailed(_("Give a reason: it is written to the audit log."), "reason")
    if cert.revoked_at is not None:
        raise NotAllowed(_("This certificate has already been revoked."))
    cert.revoked_at, cert.revoked_reason = now(), reason.strip()
    record("certificate.revoke", cert, actor=actor, after={"code": cert.code, "reason": cert.revoked_reason})
    db.session.commit()
    return cert


def valid_part_a_certificate(user, on: datetime | None = None) -> Certificate | None:
    """The newest certificate of `user` valid on `on`: Part A counts as passed for a round."""
    on = on or now()
    return db.session.scalar(
        select(Certificate)
        .where(
            Certificate.candidate_id == user.id,
            Certificate.revoked_at.is_(None),
            Certificate.issued_at <= on,
            or_(Certificate.valid_until.is_(None), Certificate.valid_until > on),
        )
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        .limit(1)
    )


def part_a_certificate(application) -> Certificate | None:
    """For an application to a round with a Part A stage: the candidate's certificate valid on the
    round's closing date, which satisfies that stage, or None (also for rounds without Part A)."""
    if application.round.stage(StageKind.PART_A) is None:
        return None
    return valid_part_a_certificate(application.candidate, application.round.closes_at)


def can_download(user, cert: Certificate) -> bool:
    """The holder, and HR of the agency that held the exam."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.id == cert.candidate_id:
        return True
    return is_hr_of(user, cert.attempt.seat.sitting.agency_id)


def sat_on(cert: Certificate) -> datetime:
    """When the exam was taken: the attempt's start, else the sitting's scheduled start."""
    attempt = cert.attempt
    return attempt.started_at or attempt.seat.sitting.starts_at


def render_pdf(cert: Certificate, verify_url: str) -> bytes:
    """The printable certificate (Thai, A4) with its code and a QR code to `verify_url`."""
    attempt = cert.attempt
    exam = attempt.seat.sitting.exam
    holder = cert.candidate
    return render_part_a_certificate(
        PartACertificate(
            candidate_name_th=holder.full_name_th,
            national_id_masked=nid.masked(holder.national_id),
            exam_title=exam.title_th,
            sat_on=sat_on(cert),
            score=attempt.score,
            total=attempt.max_score,
            issued_on=cert.issued_at.astimezone(BANGKOK).date(),
            verification_code=cert.code,
            verify_url=verify_url,
            pass_percent=exam.pass_percent,
            valid_until=cert.valid_until.astimezone(BANGKOK).date() if cert.valid_until else None,
        )
    )
