"""The lock file (requirements.lock, `make lock`) pins every dependency pyproject.toml names, so
`make install` on a fresh machine installs the versions CI passed with."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(spec: str) -> str:
    return canonical(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", spec).group(0))


def test_the_lock_pins_exactly_every_dependency_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    needed = {requirement_name(s) for s in project["dependencies"]}
    needed |= {requirement_name(s) for group in project["optional-dependencies"].values() for s in group}
    pinned = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep and version, f"not an exact pin: {line!r}"
            pinned[canonical(name)] = version
    missing = sorted(needed - set(pinned))
    assert missing == [], "pyproject.toml changed: run `make lock` and commit requirements.lock"
    assert "bma-recruit" not in pinned  # the project itself is installed from the tree
