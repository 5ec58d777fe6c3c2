"""Avro schema checks for the emulator's CreateSchema / CreateDataset / UpdateDataset.

An adapter over `perso_iac.facts.avro`, where Personalize's rules live (shared with
`perso validate`): this module parses the schema string, keeps the parsed `Schema`, and turns
issues into `SchemaError`s whose message the backend returns as InvalidInputException.
Dataset types here use the upper-case spelling (`ACTION_INTERACTIONS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field

from ..facts import avro as _facts
from ..facts.avro import NUMERIC, PRIMITIVES, AvroIssue, Field  # noqa: F401 - re-exported

#: canonical (ARN) dataset type -> spelling used in docs and describe output
DATASET_TYPES = {t.upper(): t for t in _facts.DATASET_TYPES}

#: the facts' tables keyed by the upper-case spelling
REQUIRED = {t.upper(): rules for t, rules in _facts.REQUIRED.items()}
RESERVED = {t.upper(): rules for t, rules in _facts.RESERVED.items()}
METADATA_LIMITS = {t.upper(): limits for t, limits in _facts.METADATA_LIMITS.items()}


class SchemaError(ValueError):
    """The schema is not acceptable; the message is shown to the caller."""


@dataclass(frozen=True)
class Schema:
    record_name: str
    fields: tuple[Field, ...]
    doc: dict = dc_field(default_factory=dict, compare=False, repr=False)  # the parsed schema

    @property
    def dataset_type(self) -> str | None:
        """The dataset type the record name announces, if any."""
        announced = _facts.announced_dataset_type({"name": self.record_name})
        return announced.upper() if announced else None

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def normalize_dataset_type(value: str) -> str | None:
    """``Interactions``/``item_interactions``/``ACTION_INTERACTIONS`` -> canonical upper case."""
    key = value.strip().upper()
    if key in DATASET_TYPES:
        return key
    if key == "ITEM_INTERACTIONS":
        return "INTERACTIONS"
    return None


def _raise(issues: list[AvroIssue]) -> None:
    if issues:
        raise SchemaError("; ".join(_message(i) for i in issues))


def _message(issue: AvroIssue) -> str:
    where = _facts.dotted(issue.path) if len(issue.path) > 1 else ""
    text = issue.message[0].upper() + issue.message[1:]
    return f"{text} (at {where})" if where else text


def parse(text: str) -> Schema:
    """The general rules; raises SchemaError."""
    doc, issue = _facts.parse_schema_text(text)
    if issue is not None:
        _raise([issue])
    fields, issues = _facts.check_schema(doc, text=text)
    _raise(issues)
    return Schema(doc["name"], tuple(fields), doc)


def check_for_dataset_type(schema: Schema, dataset_type: str, domain: str | None = None) -> None:
    """Raise SchemaError unless ``schema`` fits ``dataset_type`` (any spelling) in a group of ``domain``."""
    _raise(_facts.check_for_dataset_type(schema.doc, dataset_type, domain=domain, fields=list(schema.fields))
           + _facts.check_domain(dataset_type, domain))


def check_schema_text(text: str, domain: str | None = None) -> Schema:
    """CreateSchema-time check: structure always, dataset rules when the record name tells the type."""
    schema = parse(text)
    _raise(_facts.check_announced_type(schema.doc, domain=domain, fields=list(schema.fields)))
    return schema


def check_schema_update(old: Schema, new: Schema) -> None:
    """UpdateDataset: keep every old field unchanged; new fields must be nullable."""
    _raise(_facts.check_update(old.fields, new.fields))
