"""`flask audit verify`: recompute the chain and name the first broken entry."""
import click
from flask.cli import AppGroup

from .services import verify_chain

audit_cli = AppGroup("audit", help="Audit log tools.")


@audit_cli.command("verify")
def verify_command():
    report = verify_chain()
    if report.ok:
        click.echo(f"audit chain intact: {report.checked} entries checked")
        return
    e = report.first_broken
    raise click.ClickException(
        f"audit chain broken at entry seq={e.seq} id={e.id} ({e.action} {e.object_type} "
        f"{e.object_id}): {report.reason}; {report.checked} entries before it are intact"
    )
