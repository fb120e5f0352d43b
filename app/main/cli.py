"""`flask demo load`: seed an empty database with demo agencies, rounds and accounts;
`flask demo exam-history`: a simulated past Part A sitting to calibrate the demo bank on."""

import click
from flask.cli import AppGroup

from .demo import DEMO_EXAM, DEMO_PASSWORD, USERS, is_empty, load, simulate_exam_history

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


@demo_cli.command("exam-history")
@click.option("--candidates", type=click.IntRange(50, 5000), default=600, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
def exam_history_command(candidates: int, seed: int):
    """Add a simulated past sitting of the demo Part A exam (fictitious candidates who cannot
    log in), so that the demo bank can be calibrated and parallel forms assembled."""
    try:
        added = simulate_exam_history(candidates, seed)
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    click.echo(
        f"Added a simulated past sitting of {DEMO_EXAM}: {added} submitted tests. Next: "
        f"flask bank calibrate {DEMO_EXAM}, then flask bank assemble-forms {DEMO_EXAM} "
        "(or the exam's Calibration and parallel forms page)."
    )
