"""The helpers templates call are registered in one place (app/templating.py) by the factory,
not as a side effect of importing a views module."""

from __future__ import annotations

import re
from pathlib import Path

from app import templating

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"


def test_the_factory_registers_every_helper_of_the_one_list(app):
    for helpers in templating.TEMPLATE_GLOBALS.values():
        for name, helper in helpers.items():
            assert app.jinja_env.globals[name] is helper, name


def test_no_module_registers_template_globals_by_being_imported():
    pattern = re.compile(r"app_template_global|app_context_processor|app_template_filter")
    offenders = [
        str(p.relative_to(ROOT))
        for p in sorted((ROOT / "app").rglob("*.py"))
        if pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_every_capability_prefixed_helper_a_template_calls_is_registered(app):
    """A template that calls a helper nobody registers fails only when that page is shown."""
    used, macros = set(), set()
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        used |= set(
            re.findall(
                r"\b((?:merit|offer|use|interview|exam|sitting|score|item|"
                r"certificate)_[a-z_]+)\(",
                text,
            )
        )
        macros |= set(re.findall(r"{%-?\s*macro\s+([a-z_]+)\(", text))
    assert used, "the scan found no helper at all: the pattern is wrong"
    missing = sorted(name for name in used - macros if name not in app.jinja_env.globals)
    assert missing == []


def test_the_helpers_show_what_the_user_reads(app, client):
    with app.test_request_context("/?lang=en"):
        assert templating.mmss(95 * 60 + 7) == "95:07" and templating.mmss(None) == "—"
        assert templating.pending_offers() == 0  # nobody logged in
    home = client.get("/")
    assert home.status_code == 200
