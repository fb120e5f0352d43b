"""`flask bank validate PATH`, `flask bank import PATH` and `flask bank schema`: check and load
exam bank files, publish the format's JSON Schema. Calibration and parallel forms add their
commands from calibration_cli.py."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from ..common.errors import DomainError
from . import calibration_cli
from .bank_files import LoadedBank
from .bank_format import BANDS, json_schemas
from .bank_import import import_bank
from .importers import FORMATS, Defaults, detect_format, load_source
from .importers.spreadsheet import template

bank_cli = AppGroup(
    "bank", help="Exam bank tools: validate and import item and blueprint files, publish their JSON Schema."
)


def _source_options(command):
    options = [
        click.argument("path", type=click.Path(exists=True)),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(FORMATS),
            help="Format of PATH (default: from its name: folders and .yaml are yaml, "
            ".xml/.zip qti, .gift/.txt gift, .csv csv, .xlsx xlsx).",
        ),
        click.option("--bank", "bank_code", help="QTI/GIFT/CSV/XLSX: the bank the items go into."),
        click.option(
            "--section", help="QTI/GIFT/CSV/XLSX: the section of the items (a sheet's row may say its own)."
        ),
        click.option(
            "--difficulty",
            type=click.Choice(BANDS),
            help="QTI/GIFT/CSV/XLSX: the difficulty band of the items (default: medium).",
        ),
        click.option(
            "--topic",
            help="QTI/GIFT/CSV/XLSX: the topic (default: general; GIFT $CATEGORY: lines set it too).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _load(path, fmt, bank_code, section, difficulty, topic) -> LoadedBank:
    fmt = fmt or detect_format(path)
    if fmt is None:
        return load_source(path)  # (one error: the unsupported format)
    given = {"--bank": bank_code, "--section": section, "--difficulty": difficulty, "--topic": topic}
    if fmt == "yaml":
        extra = [name for name, value in given.items() if value]
        if extra:
            raise click.UsageError(
                f"{', '.join(extra)} apply to QTI, GIFT, CSV and XLSX only; "
                "a YAML file says its own bank and section"
            )
        return load_source(path, "yaml")
    if not bank_code or not section:
        raise click.UsageError(f"a {fmt.upper()} import needs --bank and --section")
    defaults = Defaults(bank=bank_code, section=section)
    if difficulty:
        defaults.difficulty = difficulty
    if topic:
        defaults.topic = topic
    return load_source(path, fmt, defaults)


def _echo_notes(loaded: LoadedBank) -> None:
    for warning in loaded.warnings:
        click.echo(f"warning: {warning}")
    if loaded.skipped:
        click.echo(f"Skipped {len(loaded.skipped)}:")
        for skipped in loaded.skipped:
            click.echo(f"  {skipped}")


def _fail_on_errors(loaded: LoadedBank, what: str) -> None:
    if not loaded.errors:
        return
    for error in loaded.errors:
        click.echo(str(error))
    click.echo(f"{len(loaded.errors)} error{'s' if len(loaded.errors) != 1 else ''}; {what}.")
    raise SystemExit(1)


@bank_cli.command("validate")
@_source_options
def validate_command(path, fmt, bank_code, section, difficulty, topic):
    """Check PATH (a file or a folder) against the bank format; print every error."""
    loaded = _load(path, fmt, bank_code, section, difficulty, topic)
    _echo_notes(loaded)
    _fail_on_errors(loaded, "the bank is not valid")
    files = len(loaded.files)
    items = len(loaded.items)
    click.echo(
        f"OK: {items} item{'s' if items != 1 else ''} in {files} "
        f"file{'s' if files != 1 else ''}, "
        f"{len(loaded.blueprints)} blueprint{'s' if len(loaded.blueprints) != 1 else ''}"
    )


@bank_cli.command("import")
@_source_options
@click.option(
    "--new-codes",
    is_flag=True,
    help="An item whose code belongs to a different item of the bank (another file, package "
    "or resource) is imported under a new code (CODE-2, ...) instead of refusing the import.",
)
def import_command(path, fmt, bank_code, section, difficulty, topic, new_codes):
    """Import PATH into the database: new items, new versions of changed ones, blueprints.

    Exits 1 when nothing could be imported (errors, or every question skipped)."""
    loaded = _load(path, fmt, bank_code, section, difficulty, topic)
    _echo_notes(loaded)
    _fail_on_errors(loaded, "nothing was imported")
    if not loaded.items and not loaded.blueprints:
        click.echo("Nothing was imported: no item or blueprint could be read.")
        raise SystemExit(1)
    try:
        report = import_bank(loaded, source=str(path), new_codes=new_codes)
    except DomainError as err:
        click.echo(f"error: {err.message}")
        raise SystemExit(1) from None
    click.echo(f"Imported {path} into bank {', '.join(loaded.banks)}:")
    click.echo(
        f"  items: {len(report.created)} created, {len(report.new_versions)} new "
        f"versions, {len(report.unchanged)} unchanged, {len(report.reclassified)} "
        "reclassified"
    )
    if report.new_versions:
        click.echo("  new versions: " + ", ".join(f"{code} v{n}" for code, n in report.new_versions))
    if report.reclassified:
        click.echo("  reclassified (section, topic or difficulty): " + ", ".join(report.reclassified))
    if report.renamed:
        click.echo("  under new codes: " + ", ".join(f"{old} -> {new}" for old, new in report.renamed))
    click.echo(
        f"  blueprints: {len(report.blueprints_created)} created, "
        f"{len(report.blueprints_updated)} updated, "
        f"{len(report.blueprints_unchanged)} unchanged"
    )


@bank_cli.command("template")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
def template_command(out):
    """Write the spreadsheet template (OUT ends .xlsx or .csv): the header row of the item
    columns, Thai and English; the workbook has a sheet of examples of each item type."""
    suffix = Path(out).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise click.UsageError("OUT must end with .xlsx or .csv")
    Path(out).write_bytes(template(suffix[1:]))
    click.echo(f"Wrote {out}")


SCHEMA_DIR = "exam_bank/schema"


@bank_cli.command("schema")
@click.argument("out_dir", default=SCHEMA_DIR, type=click.Path(file_okay=False))
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 if the files in OUT_DIR differ from the format."
)
def schema_command(out_dir, check):
    """Write the JSON Schema of item and blueprint files (from app/exams/bank_format.py) to
    OUT_DIR (default exam_bank/schema), for editors and other tools."""
    out = Path(out_dir)
    stale = []
    for name, text in json_schemas().items():
        path = out / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(str(path))
        if not check:
            out.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if check and stale:
        click.echo(f"out of date: {', '.join(stale)}; run `flask bank schema {out_dir}`")
        raise SystemExit(1)
    click.echo(f"Wrote {', '.join(stale)}" if stale else f"Up to date: {out_dir}")


calibration_cli.register(bank_cli)
