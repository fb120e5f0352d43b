"""The item bank pages for bank managers: upload a file, read its report and preview, confirm
the import; browse the banks, their items and versions; retire an item; the media of items in
an upload awaiting confirmation."""

from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.models import Role
from ..background import services as background
from ..common.auth import roles_required
from ..common.errors import DomainError
from ..common.forms import show_error
from ..common.i18n import current_locale
from . import bank_browse, bank_jobs, bank_uploads, bp
from .bank_forms import ConfirmForm, DiscardForm, RetireForm, UploadForm
from .media_links import media_base, upload_media_base


def _me():
    return current_user._get_current_object()


def _render_index(form, status: int = 200):
    return render_template(
        "exams/bank_index.html",
        form=form,
        banks=bank_browse.banks(),
    ), status


@bp.route("/bank")
@roles_required(Role.BANK_MANAGER)
def bank_index():
    return _render_index(UploadForm())


@bp.route("/bank/uploads", methods=["POST"])
@roles_required(Role.BANK_MANAGER)
def bank_upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return _render_index(form, 422)
    upload = form.file.data
    try:
        pending = bank_uploads.receive(
            _me(),
            upload.filename,
            upload.read(),
            bank=form.bank.data or "",
            section=form.section.data or "",
            difficulty=form.difficulty.data,
            topic=form.topic.data or "",
        )
    except DomainError as err:
        return _render_index(form, show_error(form, err))
    # Read and checked in the background: a large file never holds the request.
    report_url = url_for("exams.bank_upload_report", token=pending.token)
    job = background.submit(
        bank_jobs.CHECK,
        _me(),
        {"token": pending.token, "user_id": _me().id, "next_url": report_url},
        title=_("Checking %(name)s", name=pending.original_name),
        return_to=url_for("exams.bank_index"),
        locale=current_locale(),
    )
    bank_uploads.note_job(pending, job.id)
    return redirect(url_for("background.job_page", job_id=job.id))


@bp.route("/bank/uploads/<token>")
@roles_required(Role.BANK_MANAGER)
def bank_upload_report(token: str):
    pending = bank_uploads.pending_upload(token, _me())
    loaded = bank_uploads.checked(pending)
    if loaded is None and pending.job_id is not None:  # still being checked: its progress
        return redirect(url_for("background.job_page", job_id=pending.job_id))
    if loaded is None:
        loaded = bank_uploads.check(pending)
    items = bank_browse.preview(loaded, lambda code: upload_media_base(token, code))
    return render_template(
        "exams/bank_upload.html",
        pending=pending,
        loaded=loaded,
        items=items,
        conflicts=[it for it in items if it.status == bank_browse.CONFLICT],
        confirm_form=ConfirmForm(),
        new_codes_form=ConfirmForm(new_codes="1"),
        discard_form=DiscardForm(),
    ), (422 if loaded.errors else 200)


@bp.route("/bank/uploads/<token>/confirm", methods=["POST"])
@roles_required(Role.BANK_MANAGER)
def bank_upload_confirm(token: str):
    pending = bank_uploads.pending_upload(token, _me())
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    # Imported in the background (read again, then written in one transaction): its progress
    # and result on the job's page; a refusal (an IdentityConflict names both places) is the
    # job's error, and its "Back" returns to the report, which offers new codes.
    job = background.submit(
        bank_jobs.IMPORT,
        _me(),
        {
            "token": token,
            "user_id": _me().id,
            "new_codes": form.new_codes.data == "1",
            "bank_url": url_for("exams.bank_items", bank=bank_jobs.BANK),
            "index_url": url_for("exams.bank_index"),
        },
        title=_("Importing %(name)s", name=pending.original_name),
        return_to=url_for("exams.bank_upload_report", token=token),
        locale=current_locale(),
    )
    return redirect(url_for("background.job_page", job_id=job.id))


@bp.route("/bank/uploads/<token>/discard", methods=["POST"])
@roles_required(Role.BANK_MANAGER)
def bank_upload_discard(token: str):
    pending = bank_uploads.pending_upload(token, _me())
    if not DiscardForm().validate_on_submit():
        abort(400)
    bank_uploads.discard(pending, _me())
    flash(
        _("The upload %(name)s was discarded; nothing was imported.", name=pending.original_name), "success"
    )
    return redirect(url_for("exams.bank_index"))


@bp.route("/bank/uploads/<token>/media/<code>/<path:name>")
@roles_required(Role.BANK_MANAGER)
def bank_upload_media(token: str, code: str, name: str):
    """A file of an item in an upload awaiting confirmation (its preview)."""
    pending = bank_uploads.pending_upload(token, _me())
    found = bank_uploads.media_file(pending, code, name)
    response = send_file(io.BytesIO(found.data), mimetype=found.content_type, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


TEMPLATE_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@bp.route("/bank/template.<fmt>")
@roles_required(Role.BANK_MANAGER)
def bank_template(fmt: str):
    """The spreadsheet template (.xlsx or .csv), written by the spreadsheet importer."""
    data = bank_uploads.spreadsheet_template(fmt)
    return send_file(
        io.BytesIO(data),
        mimetype=TEMPLATE_TYPES[fmt],
        as_attachment=True,
        download_name=f"bank-template.{fmt}",
    )


@bp.route("/bank/<bank>")
@roles_required(Role.BANK_MANAGER)
def bank_items(bank: str):
    return render_template("exams/bank_items.html", bank=bank, rows=bank_browse.items_of(bank))


def _render_item(item, form, status: int = 200):
    return render_template(
        "exams/bank_item.html",
        item=item,
        versions=bank_browse.versions_of(item, media_base),
        form=form,
    ), status


@bp.route("/bank/<bank>/items/<code>")
@roles_required(Role.BANK_MANAGER)
def bank_item(bank: str, code: str):
    return _render_item(bank_browse.item_of(bank, code), RetireForm())


@bp.route("/bank/<bank>/items/<code>/retire", methods=["POST"])
@roles_required(Role.BANK_MANAGER)
def bank_item_retire(bank: str, code: str):
    item = bank_browse.item_of(bank, code)
    form = RetireForm()
    if not form.validate_on_submit():
        return _render_item(item, form, 422)
    try:
        bank_browse.retire(_me(), item, form.reason.data)
    except DomainError as err:
        return _render_item(item, form, show_error(form, err))
    flash(_("Item %(code)s is retired: new papers no longer draw it.", code=code), "success")
    return redirect(url_for("exams.bank_item", bank=bank, code=code))
