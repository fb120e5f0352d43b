"""`flask demo load`: seed an empty database with demo agencies, rounds and accounts."""

import click
from flask.cli import AppGroup

from .demo import DEMO_PASSWORD, USERS, is_empty, load

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing (and say so) when data exists.")
def load_command(if_empty: bool):
    if not is_empty():
        if if_empty:
            click.echo(
                "Database already has data; demo not loaded again. Demo accounts "
                f"(password for all: {DEMO_PASSWORD}, unless changed):"
            )
            for email, *_rest, roles, _agency, _nid in USERS:
                click.echo(f"  {email:34} {', '.join(roles)}")
            return
        raise click.ClickException("The database is not empty; demo data loads only into an empty one.")
    accounts = load()
    click.echo(f"Demo data loaded. Accounts (password for all: {DEMO_PASSWORD}):")
    for email, roles in accounts:
        click.echo(f"  {email:34} {roles}")
