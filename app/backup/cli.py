"""`flask backup create DIR` and `flask backup restore DIR` (docs/deployment.md, "Backups")."""

import click
from flask.cli import AppGroup

from .services import BackupError, create_backup, restore_backup

backup_cli = AppGroup("backup", help="Back up and restore the database and the uploads.")


@backup_cli.command("create")
@click.argument("folder", type=click.Path(file_okay=False))
def create_command(folder):
    """Write a backup into FOLDER (new or empty)."""
    try:
        report = create_backup(folder)
    except BackupError as err:
        raise click.ClickException(str(err)) from None
    click.echo(
        f"backup of the {report.database} database written to {report.folder}: "
        f"{sum(report.counts.values())} rows in {len(report.counts)} tables, "
        f"{report.uploads} uploaded files"
    )


@backup_cli.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
def restore_command(folder):
    """Restore the backup in FOLDER into DATABASE_URL (a new, empty database) and UPLOAD_DIR."""
    try:
        report = restore_backup(folder)
    except BackupError as err:
        raise click.ClickException(str(err)) from None
    click.echo(
        f"restored {sum(report.counts.values())} rows and {report.uploads} uploaded "
        f"files from {report.folder}; now run `flask audit verify`"
    )
