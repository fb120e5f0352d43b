"""Irreversible actions are confirmed before they happen, naming what will happen.

The page's form carries `data-confirm` (macros/confirm.html): with JavaScript, static/js/forms.js
asks in an accessible <dialog> and sends the form with confirm=yes. Without it, or whenever a
POST arrives without confirm=yes, the view answers with `ask(...)`, a confirmation page that
sends the same fields again with confirm=yes: the server never acts on an unconfirmed POST.
"""

from __future__ import annotations

from flask import render_template, request

FIELD = "confirm"
YES = "yes"


def confirmed() -> bool:
    """Did the person confirm (the dialog's or the confirmation page's "yes")?"""
    return request.form.get(FIELD) == YES


def ask(*, title: str, consequence: str, yes_label: str, back_url: str):
    """The confirmation page for this POST: what will happen, "yes" (the same fields again,
    confirmed) and a way back. Answered 200: it is a step of the journey, not an error."""
    fields = [(name, value) for name, values in request.form.lists() if name != FIELD for value in values]
    return render_template(
        "confirm.html",
        title=title,
        consequence=consequence,
        yes_label=yes_label,
        back_url=back_url,
        action=request.path,
        fields=fields,
    )
