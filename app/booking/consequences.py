"""What a candidate's irreversible booking action does, said before they confirm it (the same
words in the page's dialog and on the confirmation page, docs/forms.md)."""

from __future__ import annotations

from flask_babel import gettext as _

from ..common.i18n import current_locale


def cancel_consequence(booking) -> str:
    return _(
        "Your seat in %(sitting)s is released for someone else (the waiting list first). You may "
        "book again only while seats are left, and a fee already paid is not refunded.",
        sitting=booking.sitting.title(current_locale()),
    )
