"""`flask audit verify`: recompute the chain, check it against its anchors and name the first
entry that does not match; `flask audit anchor`: record the chain's head now (e.g. from cron)."""

import click
from flask.cli import AppGroup

from ..extensions import db
from .services import anchor, verify_chain

audit_cli = AppGroup("audit", help="Audit log tools.")


@audit_cli.command("verify")
def verify_command():
    report = verify_chain()
    if report.ok:
        click.echo(
            f"audit chain intact: {report.checked} entries checked, {report.anchors_checked} anchors matched"
        )
        return
    e = report.first_broken
    if e is None:  # truncated below an anchor
        raise click.ClickException(
            f"audit chain truncated: {report.reason}; {report.checked} entries checked"
        )
    raise click.ClickException(
        f"audit chain broken at entry seq={e.seq} id={e.id} ({e.action} {e.object_type} "
        f"{e.object_id}): {report.reason}; {report.checked} entries before it are intact"
    )


@audit_cli.command("anchor")
@click.option(
    "--reason",
    default="scheduled anchor",
    show_default=True,
    help="Why the anchor is recorded (kept with it).",
)
def anchor_command(reason: str):
    """Record the chain's head (seq and hash); keep the printed line outside the database."""
    found = anchor(reason)
    db.session.commit()
    click.echo(f"anchor #{found.id}: seq={found.seq} hash={found.hash} at={found.at.isoformat()}")
