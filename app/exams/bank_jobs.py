"""The bank page's long work as background jobs (app/background): checking an uploaded file
(reading it with the importers, every rule, the report and the preview) and importing it once
confirmed. A large file then never holds a request: the page shows the job's progress bar and,
once it is done, a link to the report or to the bank."""

from __future__ import annotations

from flask_babel import gettext as _

from ..accounts.models import User
from ..background.services import Outcome, register
from ..extensions import db
from . import bank_uploads
from .bank_files import reporting

CHECK, IMPORT = "bank-check", "bank-import"
BANK = "__bank__"  # (in `bank_url`, where the bank's code goes)
EVERY = 25  # items between two reports of progress (each is a short write of its own)


def _counter(progress, words):
    """An `on_item` for bank_files.reporting that tells the job every EVERY items."""
    read = [0]

    def on_item() -> None:
        read[0] += 1
        if read[0] % EVERY == 0:
            progress(read[0], None, words(read[0]))

    return on_item


def check_upload(progress, token: str, user_id: int, next_url: str) -> Outcome:
    """Read and check the kept upload `token` (nothing is imported); the report is kept with it."""
    user = db.session.get(User, user_id)
    pending = bank_uploads.pending_upload(token, user)
    progress(0, None, _("Reading %(name)s…", name=pending.original_name))
    with reporting(_counter(progress, lambda n: _("%(n)d items read…", n=n))):
        loaded = bank_uploads.check(pending)
    read = len(loaded.items)
    progress(read, read, _("%(n)d items read.", n=read))
    return Outcome(
        summary=_(
            "%(name)s is read: %(items)d items, %(errors)d errors, %(skipped)d skipped questions. "
            "Nothing is imported until you confirm.",
            name=pending.original_name,
            items=read,
            errors=len(loaded.errors),
            skipped=len(loaded.skipped),
        ),
        data={"next_url": next_url, "next_label": _("See the report and the preview")},
    )


def import_upload(
    progress, token: str, user_id: int, new_codes: bool, bank_url: str, index_url: str
) -> Outcome:
    """Import the kept upload `token` as confirmed (bank_uploads.confirm: read again, audited).
    `bank_url` is the bank's page with BANK in place of its code (the caller builds links)."""
    user = db.session.get(User, user_id)
    pending = bank_uploads.pending_upload(token, user)
    progress(0, None, _("Reading %(name)s…", name=pending.original_name))
    with reporting(_counter(progress, lambda n: _("%(n)d items read…", n=n))):
        report, banks = bank_uploads.confirm(pending, user, new_codes=new_codes)
    counts = report.counts()
    total = counts["items_created"] + counts["versions_added"] + counts["unchanged"]
    progress(total, total, _("Imported."))
    summary = _(
        "Imported %(name)s: %(created)d new items, %(versions)d new versions, %(unchanged)d unchanged.",
        name=pending.original_name,
        created=counts["items_created"],
        versions=counts["versions_added"],
        unchanged=counts["unchanged"],
    )
    if report.renamed:
        summary += " " + _(
            "Imported under new codes: %(list)s.",
            list=", ".join(f"{old} → {new}" for old, new in report.renamed),
        )
    one_bank = len(banks) == 1 and total
    return Outcome(
        summary=summary,
        data={
            "next_url": bank_url.replace(BANK, banks[0]) if one_bank else index_url,
            "next_label": _("See the bank") if one_bank else _("Item bank"),
            "banks": banks,
            **counts,
        },
    )


register(CHECK, check_upload)
register(IMPORT, import_upload)
