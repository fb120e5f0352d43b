"""`flask merit expire-offers`: lapse the offers whose reporting-in deadline has passed.

Safe to run from cron as often as you like: an offer lapses once, whoever gets there first.
"""

import click
from flask.cli import AppGroup

from .offers import expire_offers

merit_cli = AppGroup("merit", help="Merit lists: calling candidates.")


@merit_cli.command("expire-offers")
def expire_offers_command():
    counts = expire_offers()
    click.echo("lapsed {lapsed}, already handled by another run {skipped}".format(**counts))
