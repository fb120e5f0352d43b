"""The two-person workflow of a prepared list: approve (a second HR approver of the agency),
publish (the digest is fixed, validity starts, the corrected version is superseded), correct
(the next version, prepared by generation.prepare_version), extend (once, with a reason) and cancel.
Each step locks the list's row, checks who may act and on which status, and is audited.
A list's validity on a given day is services.status_on; the periods are set here.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..accounts.models import Role
from ..audit.services import anchor, record
from ..common.clock import BANGKOK, now
from ..common.dates import add_years
from ..common.errors import DomainError, Forbidden, NotAllowed, ValidationFailed
from ..common.i18n import current_locale, writing_locale
from ..common.thai import format_date
from ..extensions import db
from ..notifications.services import queue_email
from ..scores.results import ScoreChange, manual_changes
from .digest import digest_of
from .generation import prepare_version
from .labels import list_status_label, list_title
from .models import EntryStatus, ListStatus, MeritEntry, MeritList, Offer, OfferStatus
from .readiness import require_ready, stages_for
from .services import EXPIRED, PENDING, list_snapshot, need_hr, status_on, versions_of


def _lock(merit_list: MeritList) -> MeritList:
    """Re-read the list's row for update (PostgreSQL row lock until commit), so two people
    acting on the same list at once act one after the other on its current state."""
    return db.session.scalars(
        select(MeritList)
        .where(MeritList.id == merit_list.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _locked_with_reason(
    merit_list: MeritList, actor, reason: str | None, missing: str
) -> tuple[MeritList, str]:
    """The opening of every step that must carry a reason: the actor is HR of the round, the
    list is re-read under lock, and the reason is given (`missing` says what it is for)."""
    need_hr(actor, merit_list.round)
    merit_list = _lock(merit_list)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(missing, "reason")
    return merit_list, reason


def _second_person_refusal(actor, first_id: int | None, not_approver: str, same_person: str):
    """The two-person rule: the second step is taken by an HR approver who did not take the first."""
    if not actor.has_role(Role.HR_APPROVER):
        return Forbidden(not_approver)
    if actor.id == first_id:
        return Forbidden(same_person)
    return None


def approve_refusal(merit_list: MeritList, approver) -> DomainError | None:
    """Why `approver` may not approve the list (the page then offers no approve button), or None."""
    if merit_list.status != ListStatus.DRAFT:
        return NotAllowed(_("Only a draft list can be approved."))
    return _second_person_refusal(
        approver,
        merit_list.prepared_by_id,
        _("Only an HR approver can approve a list."),
        _(
            "You prepared this list, so you cannot approve it: a second HR "
            "approver must check and approve it (two-person rule)."
        ),
    )


def confirm_withdrawal_refusal(merit_list: MeritList, actor) -> DomainError | None:
    """Why `actor` may not confirm the requested withdrawal of the list, or None."""
    if merit_list.status != ListStatus.PUBLISHED or merit_list.withdrawal_requested_by_id is None:
        return NotAllowed(_("There is no withdrawal of this list waiting for confirmation."))
    return _second_person_refusal(
        actor,
        merit_list.withdrawal_requested_by_id,
        _("Only an HR approver can confirm a withdrawal."),
        _(
            "You requested this withdrawal, so you cannot confirm it: a second "
            "HR approver must (two-person rule)."
        ),
    )


def changes_behind(merit_list: MeritList) -> list[ScoreChange]:
    """Every score on which this list rests that HR entered, imported or corrected (rather
    than taken from its source): what the approver must see before approving."""
    kinds = set(stages_for(merit_list.round, merit_list.kind))
    return [c for c in manual_changes(merit_list.round) if c.stage_kind in kinds]


def _require_current(merit_list: MeritList) -> None:
    """The round is (still) at the stage this list needs, and no score it rests on changed
    since it was prepared."""
    require_ready(merit_list.round, merit_list.kind)
    later = [c for c in changes_behind(merit_list) if c.at > merit_list.prepared_at]
    if later:
        raise NotAllowed(
            _(
                "%(n)s scores were entered or corrected after this version was "
                "prepared: prepare it again so that it shows them.",
                n=len(later),
            )
        )


def approve(merit_list: MeritList, approver, changes_seen: bool = False) -> MeritList:
    """The second pair of eyes: an HR approver of the agency other than the preparer, who has
    seen every score entered, imported or corrected by hand behind the list."""
    need_hr(approver, merit_list.round)
    merit_list = _lock(merit_list)
    refusal = approve_refusal(merit_list, approver)
    if refusal is not None:
        raise refusal
    _require_current(merit_list)
    changes = changes_behind(merit_list)
    if changes and not changes_seen:
        raise ValidationFailed(
            _(
                "%(n)s scores behind this list were entered, imported or "
                "corrected by hand: review them below and confirm that you "
                "have seen them.",
                n=len(changes),
            ),
            "changes_seen",
        )
    before = list_snapshot(merit_list)
    merit_list.status = ListStatus.APPROVED
    merit_list.approved_by_id, merit_list.approved_at = approver.id, now()
    record(
        "merit_list.approve",
        merit_list,
        actor=approver,
        before=before,
        after=list_snapshot(merit_list)
        | {
            "manual_changes_seen": [
                {
                    "application": c.application_number,
                    "stage": c.stage_kind,
                    "kind": c.kind,
                    "before": c.before,
                    "after": c.after,
                    "at": c.at,
                }
                for c in changes
            ]
        },
    )
    db.session.commit()
    return merit_list


def publish(merit_list: MeritList, actor) -> MeritList:
    """Publish an approved list: fix its content with a digest, start its validity, and
    supersede the version it corrects (which keeps that version's validity)."""
    need_hr(actor, merit_list.round)
    merit_list = _lock(merit_list)
    if merit_list.status != ListStatus.APPROVED:
        raise NotAllowed(_("Only an approved list can be published."))
    _require_current(merit_list)
    old = db.session.get(MeritList, merit_list.supersedes_id) if merit_list.supersedes_id else None
    if old is not None and old.status != ListStatus.PUBLISHED:
        raise NotAllowed(_("The version this correction replaces is no longer published."))
    if old is not None:
        _carry_use_over(old, merit_list)
    before = list_snapshot(merit_list)
    at = now()
    merit_list.status = ListStatus.PUBLISHED
    merit_list.published_by_id, merit_list.published_at = actor.id, at
    if old is not None:  # a correction does not make a list live longer
        merit_list.valid_until, merit_list.extended = old.valid_until, old.extended
        merit_list.extension_reason = old.extension_reason
    else:
        merit_list.valid_until = add_years(
            at.astimezone(BANGKOK).date(), current_app.config["MERIT_LIST_VALID_YEARS"]
        )
    # Set the digest before anything is flushed: once flushed as published, the list is frozen.
    with db.session.no_autoflush:
        merit_list.digest = digest_of(merit_list)
    record("merit_list.publish", merit_list, actor=actor, before=before, after=list_snapshot(merit_list))
    if old is not None:
        old_before = list_snapshot(old)
        old.status = ListStatus.SUPERSEDED
        record(
            "merit_list.supersede",
            old,
            actor=actor,
            before=old_before,
            after=list_snapshot(old)
            | {"superseded_by": merit_list.id, "reason": merit_list.correction_reason},
        )
    anchor("merit_list.publish", merit_list)  # the chain's head, printed on the announcement
    try:
        db.session.commit()
    except IntegrityError:  # the same digest cannot be published twice
        db.session.rollback()
        raise NotAllowed(_("This list could not be published just now; try again.")) from None
    return merit_list


def _carry_use_over(old: MeritList, new: MeritList) -> None:
    """Appointed, waived and lapsed candidates keep that status in the corrected version;
    open offers must be settled first (they point at the old version's entries)."""
    called = db.session.scalar(
        select(func.count())
        .select_from(MeritEntry)
        .where(MeritEntry.list_id == old.id, MeritEntry.status == EntryStatus.CALLED)
    )
    if called:
        raise NotAllowed(
            _(
                "%(n)s candidates on the current version have an open offer: wait "
                "for their answer (or the deadline) before publishing the "
                "correction.",
                n=called,
            )
        )
    used = dict(
        db.session.execute(
            select(MeritEntry.application_id, MeritEntry.status).where(
                MeritEntry.list_id == old.id, MeritEntry.status != EntryStatus.AVAILABLE
            )
        ).all()
    )
    if not used:
        return
    ids = db.session.execute(
        select(MeritEntry.id, MeritEntry.application_id).where(
            MeritEntry.list_id == new.id, MeritEntry.application_id.in_(list(used))
        )
    ).all()
    if ids:
        db.session.execute(update(MeritEntry), [{"id": i, "status": used[a]} for i, a in ids])


def correct(merit_list: MeritList, actor, reason: str, tie_break=None) -> MeritList:
    """A new draft version of a published list from the current scores, with the reason.
    It supersedes the published version once it is approved and published in turn."""
    merit_list, reason = _locked_with_reason(
        merit_list,
        actor,
        reason,
        _("Give the reason for the correction: it is printed with the new version."),
    )
    if merit_list.status != ListStatus.PUBLISHED:
        raise NotAllowed(_("Only the published version of a list can be corrected."))
    versions = versions_of(merit_list)
    pending = next((v for v in versions if v.status in PENDING), None)
    if pending is not None:
        raise NotAllowed(_("A correction is already being prepared (version %(v)s).", v=pending.version))
    require_ready(merit_list.round, merit_list.kind)
    return prepare_version(
        merit_list.round,
        actor,
        merit_list.kind,
        merit_list.track,
        tie_break,
        None,
        next_version=versions[-1].version + 1,
        supersedes=merit_list,
        reason=reason,
    )


def extend(merit_list: MeritList, actor, reason: str, until: date) -> MeritList:
    """Extend a valid published list once, with a reason."""
    merit_list, reason = _locked_with_reason(
        merit_list, actor, reason, _("Give the reason for the extension.")
    )
    if merit_list.status != ListStatus.PUBLISHED:
        raise NotAllowed(_("Only a published list can be extended."))
    if merit_list.extended:
        raise NotAllowed(_("This list has already been extended once; it cannot be extended again."))
    if status_on(merit_list) == EXPIRED:
        raise NotAllowed(_("This list has expired; it can no longer be extended."))
    if not isinstance(until, date) or until <= merit_list.valid_until:
        raise ValidationFailed(
            _(
                "The new end of validity must be after %(d)s.",
                d=format_date(merit_list.valid_until, current_locale()),
            ),
            "until",
        )
    limit = add_years(merit_list.valid_until, current_app.config["MERIT_LIST_MAX_EXTENSION_YEARS"])
    if until > limit:
        raise ValidationFailed(
            _("A list can be extended until %(d)s at the latest.", d=format_date(limit, current_locale())),
            "until",
        )
    before = list_snapshot(merit_list)
    merit_list.valid_until, merit_list.extended = until, True
    merit_list.extension_reason = reason
    return _recorded("merit_list.extend", merit_list, actor, before, reason=reason)


def _recorded(action: str, merit_list: MeritList, actor, before: dict | None, **why) -> MeritList:
    """Write the step to the audit log (the list before and after, with its reason) and commit."""
    record(action, merit_list, actor=actor, before=before, after=list_snapshot(merit_list) | why)
    db.session.commit()
    return merit_list


def cancel(merit_list: MeritList, actor, reason: str) -> MeritList:
    """Cancel a pending draft (or approved version) with a reason. A published list is not
    cancelled by one person: it is withdrawn by two (request_withdrawal, confirm_withdrawal)."""
    merit_list, reason = _locked_with_reason(
        merit_list, actor, reason, _("Give the reason for the cancellation.")
    )
    if merit_list.status == ListStatus.PUBLISHED:
        raise NotAllowed(
            _(
                "A published list is withdrawn by two people: request the "
                "withdrawal with its reason, and a second HR approver confirms it."
            )
        )
    if merit_list.status not in PENDING:
        raise NotAllowed(
            _("This list is %(status)s and cannot be cancelled.", status=list_status_label(merit_list.status))
        )
    before = list_snapshot(merit_list)
    merit_list.status = ListStatus.CANCELLED
    merit_list.cancelled_at, merit_list.cancel_reason = now(), reason
    merit_list.cancelled_by_id = actor.id
    return _recorded("merit_list.cancel", merit_list, actor, before, reason=reason)


# ---- withdrawal of a published list (two people) -----------------------------------------


def request_withdrawal(merit_list: MeritList, actor, reason: str) -> MeritList:
    """First step: an HR user of the agency asks, with the reason, that the published list
    be withdrawn. Nothing changes for the public until a second person confirms."""
    merit_list, reason = _locked_with_reason(
        merit_list, actor, reason, _("Give the reason for the withdrawal: it is published with the list.")
    )
    if merit_list.status != ListStatus.PUBLISHED:
        raise NotAllowed(_("Only a published list can be withdrawn."))
    if merit_list.withdrawal_requested_by_id is not None:
        raise NotAllowed(_("A withdrawal of this list is already waiting for confirmation."))
    merit_list.withdrawal_requested_by_id = actor.id
    merit_list.withdrawal_requested_at, merit_list.withdrawal_reason = now(), reason
    return _recorded("merit_list.withdrawal_request", merit_list, actor, None, reason=reason)


def confirm_withdrawal(merit_list: MeritList, actor) -> MeritList:
    """Second step: an HR approver of the agency other than the requester confirms. The list
    is withdrawn (status cancelled, with the reason and the date); its digest still verifies
    the content as published. Offers made from it: those awaiting the candidate's answer are
    withdrawn and the candidate is told by email; candidates who already reported in keep
    their appointment."""
    need_hr(actor, merit_list.round)
    merit_list = _lock(merit_list)
    refusal = confirm_withdrawal_refusal(merit_list, actor)
    if refusal is not None:
        raise refusal
    before = list_snapshot(merit_list)
    at = now()
    merit_list.status = ListStatus.CANCELLED
    merit_list.cancelled_at, merit_list.cancelled_by_id = at, actor.id
    merit_list.cancel_reason = merit_list.withdrawal_reason
    withdrawn = _withdraw_open_offers(merit_list, actor, at)
    record(
        "merit_list.withdraw",
        merit_list,
        actor=actor,
        before=before,
        after=list_snapshot(merit_list)
        | {
            "reason": merit_list.withdrawal_reason,
            "requested_by": merit_list.withdrawal_requested_by_id,
            "offers_withdrawn": withdrawn,
        },
    )
    anchor("merit_list.withdraw", merit_list)
    db.session.commit()
    return merit_list


def _withdraw_open_offers(merit_list: MeritList, actor, at) -> list[int]:
    offers = list(
        db.session.scalars(
            select(Offer)
            .join(MeritEntry, MeritEntry.id == Offer.entry_id)
            .where(MeritEntry.list_id == merit_list.id, Offer.status == OfferStatus.PENDING)
            .order_by(Offer.id)
        )
    )
    for offer in offers:
        offer.status, offer.responded_at = OfferStatus.WITHDRAWN, at
        offer.entry.status = EntryStatus.AVAILABLE
        record(
            "offer.withdraw",
            offer,
            actor=actor,
            after={
                "status": OfferStatus.WITHDRAWN,
                "list_id": merit_list.id,
                "reason": merit_list.withdrawal_reason,
            },
        )
        _tell_offer_withdrawn(offer, merit_list)
    return [o.id for o in offers]


def _tell_offer_withdrawn(offer: Offer, merit_list: MeritList) -> None:
    candidate = offer.entry.candidate
    locale = writing_locale(candidate)
    with force_locale(locale):
        subject = _("Your call to report in is withdrawn")
        body = _(
            'Dear %(name)s,\n\nThe list "%(list)s" you were called from has been '
            "withdrawn because: %(reason)s\n\nYour call to report in is therefore "
            "withdrawn; you need not report in. You will be told if a new list is "
            "published.\n",
            name=candidate.display_name(locale),
            list=list_title(merit_list, locale),
            reason=merit_list.withdrawal_reason,
        )
    queue_email(
        to=candidate.email,
        subject=subject,
        body=body,
        dedupe_key=f"offer-withdrawn:{offer.id}",
        user_id=candidate.id,
    )
