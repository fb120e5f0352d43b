"""Importers of other question formats (IMS QTI 2.1, Moodle GIFT, CSV and XLSX spreadsheets)
into the bank's item shape.

Each importer turns a question into the same mapping an item file holds and passes it through
`bank_files.item_from_dict`, so an imported item obeys every rule of FORMAT.md. Questions the
bank cannot hold are not dropped silently: they are listed as skipped, with the reason. Every
import is bounded by the limits of config.py (BANK_MAX_*), read here from the app's config.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app, has_app_context

from ..bank_files import Limits, LoadedBank, load_path
from ..bank_format import BankError
from ..bank_messages import N_
from . import gift, qti, spreadsheet
from .shared import Defaults, check_defaults

__all__ = ["FORMATS", "Defaults", "check_defaults", "detect_format", "limits", "load_source"]

FORMATS = ("yaml", "qti", "gift", "csv", "xlsx")
SUFFIXES = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".xml": "qti",
    ".zip": "qti",
    ".gift": "gift",
    ".txt": "gift",
    ".csv": "csv",
    ".xlsx": "xlsx",
}
UNSUPPORTED = N_(
    "unsupported format: the bank imports YAML (.yaml, .yml), QTI 2.1 (.xml, or a content "
    "package .zip), GIFT (.gift, .txt), CSV (.csv) and Excel (.xlsx) files"
)


def detect_format(path) -> str | None:
    """From the name: .yaml/.yml yaml, .xml/.zip qti, .gift/.txt gift, .csv csv, .xlsx xlsx; a
    folder by what it holds, YAML first; None for any other file (an unsupported format)."""
    path = Path(path)
    if path.is_dir():
        found = {SUFFIXES.get(p.suffix.lower()) for p in path.rglob("*") if p.is_file()}
        return next((fmt for fmt in FORMATS if fmt in found), "yaml")
    return SUFFIXES.get(path.suffix.lower())


def limits() -> Limits:
    """The app's limits (config.py); none outside an app."""
    return Limits.of(current_app.config) if has_app_context() else Limits()


def load_source(path, fmt: str | None = None, defaults: Defaults | None = None, bounds: Limits | None = None):
    """Read PATH in the given format (guessed from the name when None) into a LoadedBank.

    A file in no format the bank knows gives one error, "unsupported format", and nothing else."""
    fmt = fmt or detect_format(path)
    bounds = bounds or limits()
    if fmt is None:
        loaded = LoadedBank(limits=bounds)
        loaded.errors.append(BankError(str(path), UNSUPPORTED))
        return loaded
    if fmt == "yaml":
        return load_path(path, bounds)
    if defaults is None:
        raise ValueError(f"{fmt} import needs a bank and a section")
    loaders = _loaders()
    if fmt not in loaders:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    loaded = loaders[fmt](path, defaults, bounds)
    loaded.check_item_count()
    return loaded


def _loaders() -> dict:
    return {
        "qti": qti.load_qti,
        "gift": gift.load_gift,
        "csv": spreadsheet.load_csv,
        "xlsx": spreadsheet.load_xlsx,
    }
