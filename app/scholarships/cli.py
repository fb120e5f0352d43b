"""`flask scholarships remind`: queue the reminders to HR about scholars (cron or the scheduler)."""

import click
from flask.cli import AppGroup

from .services import send_reminders

scholarships_cli = AppGroup("scholarships", help="Scholarship students and their obligation.")


@scholarships_cli.command("remind")
def remind_command():
    counts = send_reminders()
    click.echo("reminders queued for HR: {reminders}".format(**counts))
