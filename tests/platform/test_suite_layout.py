"""The suite's own layout (issue 19): tests live in one folder per capability, and no test module
imports another test module or `conftest`; fixtures come from conftest.py, builders from
tests/factories/, readers and clients from tests/support/."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
SHARED = {"factories", "support"}  # importable helpers; everything else under tests/ is a test folder


def package_of(path: Path) -> str:
    return ".".join(path.relative_to(TESTS.parent).parts[:-1])


def imported_modules(source: str, package: str) -> list[tuple[int, str]]:
    """Every module `source` (a module of `package`) imports, as an absolute dotted name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            # `from tests.merit import test_offers` imports a module too
            found += [(node.lineno, base)] + [(node.lineno, f"{base}.{a.name}") for a in node.names]
    return found


def forbidden(module: str) -> bool:
    parts = module.split(".")
    return "conftest" in parts or (parts[0] == "tests" and any(p.startswith("test_") for p in parts))


def test_no_test_module_imports_another_or_conftest():
    offenders = [
        f"{path.relative_to(TESTS.parent)}:{line}: imports {module}"
        for path in sorted(TESTS.rglob("*.py"))
        for line, module in imported_modules(path.read_text(encoding="utf-8"), package_of(path))
        if forbidden(module)
    ]
    assert offenders == [], "\n".join(offenders)


def test_tests_are_arranged_by_capability():
    at_root = sorted(p.name for p in TESTS.glob("*.py") if p.name not in ("__init__.py", "conftest.py"))
    assert at_root == [], f"test files belong in a capability folder: {at_root}"
    in_shared = sorted(str(p.relative_to(TESTS)) for d in SHARED for p in (TESTS / d).rglob("test_*.py"))
    assert in_shared == [], f"tests/factories and tests/support hold helpers, not tests: {in_shared}"
    folders = {p.parent.name for p in TESTS.rglob("test_*.py")}
    assert {"accounts", "applications", "exams", "interviews", "merit", "platform"} <= folders


def test_the_check_catches_what_it_forbids():
    """The scanner itself: a relative import of a sibling test module, an absolute one and
    imports of conftest are each reported; importing the factories and support is not."""
    assert [m for _line, m in imported_modules(SOURCE, "tests.merit") if forbidden(m)] == [
        "tests.merit.test_offers",
        "tests.merit.test_offers.page",
        "tests.scores.test_scores",
        "tests.conftest",
        "tests.conftest.IS_POSTGRES",
        "tests.conftest",
    ]


SOURCE = """
from .test_offers import page
from tests.scores import test_scores
from ..conftest import IS_POSTGRES
import tests.conftest
from tests.factories import merit
from tests.support.reading import page_text
"""
