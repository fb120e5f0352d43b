"""`flask outbox send`: send the queued emails that are due (run from cron or the scheduler)."""

import click
from flask.cli import AppGroup

from .services import send_pending

outbox_cli = AppGroup("outbox", help="The email outbox.")


@outbox_cli.command("send")
@click.option("--limit", default=200, show_default=True)
def send_command(limit: int):
    counts = send_pending(limit=limit)
    click.echo(
        "sent {sent}, retry later {retry}, failed for good {failed}, "
        "taken by another sender {skipped}".format(**counts)
    )
