"""The editor schema (docs/perso-spec.schema.json): current, described, and accepting every example
as written (unresolved ${var.…}) while still catching typos."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from perso_iac.spec.editor import editor_schema
from perso_iac.spec.schema import spec_json_schema

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "docs" / "perso-spec.schema.json"
EXAMPLES = sorted((ROOT / "examples").glob("*/perso.yaml"))


def test_published_schema_is_current():
    assert json.loads(PUBLISHED.read_text()) == editor_schema(), \
        "regenerate it: perso schema > docs/perso-spec.schema.json"


def test_every_key_has_a_description():
    missing: list[str] = []

    def walk(node: dict, path: str) -> None:
        for key, child in (node.get("properties") or {}).items():
            if "description" not in child:
                missing.append(f"{path}.{key}")
            walk(child, f"{path}.{key}")
        for key in ("additionalProperties", "items"):
            if isinstance(node.get(key), dict):
                walk(node[key], f"{path}.*")
        for key in ("anyOf", "oneOf", "allOf"):
            for child in node.get(key) or []:
                walk(child, path)

    walk(editor_schema(), "")
    assert missing == []


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.parent.name)
def test_examples_validate_unresolved_and_name_the_schema(example):
    text = example.read_text()
    assert text.startswith("# yaml-language-server: $schema=../../docs/perso-spec.schema.json\n")
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for e in Draft202012Validator(editor_schema()).iter_errors(yaml.safe_load(text))]
    assert errors == []


def test_strict_schema_rejects_what_the_editor_schema_accepts():
    doc = {"version": 1, "stack": "retail-${var.env}", "dataset_groups": {"g": {"campaigns": {
        "c": {"solution": "s", "minProvisionedTPS": "${var.tps}"}}}}}
    assert not list(Draft202012Validator(editor_schema()).iter_errors(doc))
    assert list(Draft202012Validator(spec_json_schema()).iter_errors(doc))


@pytest.mark.parametrize("doc", [
    {"version": 1, "stack": "s", "dataset_groups": {"g": {"campains": {}}}},              # a typo
    {"version": 1, "stack": "s", "dataset_groups": {"g": {"campaigns": {"c": {"solution": "s",
                                                                              "minProvisionedTPS": "lots"}}}}},
])
def test_editor_schema_still_flags_mistakes(doc):
    assert list(Draft202012Validator(editor_schema()).iter_errors(doc))
