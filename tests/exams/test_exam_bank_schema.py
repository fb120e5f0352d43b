"""The bank format's published JSON Schema (exam_bank/schema/, from app/exams/bank_format.py):
kept up to date by `flask bank schema`, and accepting what `flask bank validate` accepts, so an
editor or another tool can check a file the way the platform does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from app.exams.bank_files import load_path
from app.exams.bank_format import json_schemas

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "exam_bank" / "schema"
DATA = Path(__file__).parent / "data" / "exam_bank"


def published(kind: str) -> Draft202012Validator:
    schema = json.loads((PUBLISHED / f"{kind}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_errors(path: Path) -> list[str]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in published(doc["kind"]).iter_errors(doc)
    ]


def test_the_published_schema_is_the_format_of_the_code(runner):
    for name, text in json_schemas().items():
        assert (PUBLISHED / name).read_text(encoding="utf-8") == text, (
            f"exam_bank/schema/{name} is out of date: run `flask bank schema`"
        )
    result = runner.invoke(args=["bank", "schema", "--check"])
    assert result.exit_code == 0 and result.output.strip() == "Up to date: exam_bank/schema"


def test_the_command_writes_the_schema_and_check_names_a_stale_file(runner, tmp_path):
    out = tmp_path / "schema"
    result = runner.invoke(args=["bank", "schema", str(out)])
    assert result.exit_code == 0 and "items.schema.json" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["blueprint.schema.json", "items.schema.json"]
    (out / "items.schema.json").write_text("{}", encoding="utf-8")
    stale = runner.invoke(args=["bank", "schema", str(out), "--check"])
    assert stale.exit_code == 1 and f"out of date: {out / 'items.schema.json'}" in stale.output
    assert (out / "items.schema.json").read_text(encoding="utf-8") == "{}"  # --check writes nothing


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "exam_bank" / "part_a").glob("*.yaml")) + sorted((DATA / "valid").glob("*.yaml")),
    ids=lambda p: p.name,
)
def test_every_file_the_validator_accepts_the_schema_accepts(path):
    assert load_path(path.parent).ok
    assert schema_errors(path) == []


def test_the_schema_rejects_the_shape_errors_the_validator_names():
    misc = DATA / "invalid" / "misc.yaml"
    found = "\n".join(schema_errors(misc))
    assert "items/0/difficulty: 'normal' is not one of" in found
    assert "items/0/choices/0/en: 3 is not valid" in found  # text or nothing, not a number
    assert "items/0: Additional properties are not allowed ('explaination' was unexpected)" in found
    assert "items/0/id: 'an-040' does not match" in found
    # What a schema cannot say (the key among the choices, the languages of the choices) is
    # left to `flask bank validate`: the schema lets it through, the validator does not.
    for name in ("wrong_key.yaml", "thai_stem_english_choices.yaml"):
        assert schema_errors(DATA / "invalid" / name) == []
        assert not load_path(DATA / "invalid" / name).ok
