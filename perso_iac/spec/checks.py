"""What every semantic check shares: the problem collector, what the checks worked out for the
flattener, and the checks of values many types hold (ARNs, S3 locations, tags).

The adapters' own checks (`ResourceType.check_entries`) build on these; `validate.py` drives them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Problem
from .schema_parts import KEY_PATTERN, NAME_PATTERN
from .variables import did_you_mean
from .yamlsrc import Document

PathT = tuple[str | int, ...]

NAME_RE = re.compile(NAME_PATTERN)
KEY_RE = re.compile(KEY_PATTERN)
ROLE_ARN_RE = re.compile(r"^arn:([a-z\d-]+):iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")
KMS_ARN_RE = re.compile(r"^arn:aws.*:kms:.*:[0-9]{12}:key/.*$")
S3_RE = re.compile(r"^(s3|http|https)://.+$")
ROLE_EXAMPLE = "arn:aws:iam::123456789012:role/Name"
KMS_EXAMPLE = "arn:aws:kms:us-east-1:123456789012:key/ID"
MAX_TAGS = 50

__all__ = ["KEY_RE", "KMS_ARN_RE", "NAME_RE", "ROLE_ARN_RE", "S3_RE", "Checked", "PathT", "Problems", "SpecWarning",
           "check_arn", "check_s3", "check_tags", "d", "did_you_mean", "entries", "s", "tag_value"]


class Problems:
    """Collects problems located in a document; drops those at paths whose variables failed."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.items: list[Problem] = []
        self.warnings: list[Problem] = []   # accepted by AWS, but probably not what was meant
        self.poisoned: set[PathT] = set()

    def add(self, path: Sequence[str | int], message: str, hint: str | None = None, *, key: bool = False) -> None:
        path = tuple(path)
        if any(path[: len(p)] == p for p in self.poisoned if len(p) <= len(path)):
            return
        self.items.append(self.doc.problem(path, message, hint, key=key))

    def warn(self, path: Sequence[str | int], message: str, hint: str | None = None) -> None:
        self.warnings.append(self.doc.problem(tuple(path), message, hint))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    def result(self) -> list[Problem]:
        seen: set[tuple] = set()
        out = []
        for p in self.items:
            ident = (p.file, p.line, p.col, p.path, p.message)
            if ident not in seen:
                seen.add(ident)
                out.append(p)
        return sorted(out, key=lambda p: (p.file != self.doc.file, p.file, p.line, p.col))


@dataclass
class Checked:
    """What the semantic checks worked out, for the flattener and for later checks."""

    schemas: dict[str, Any] = field(default_factory=dict)        # key -> parsed Avro object
    names: dict[PathT, str] = field(default_factory=dict)        # resource path -> AWS name
    addresses: dict[str, str] = field(default_factory=dict)      # address -> type
    schema_domains: dict[str, str | None] = field(default_factory=dict)  # Avro schema key -> domain
    base_dir: Path = Path(".")                                   # files named in the spec are relative to it
    warnings: list[Problem] = field(default_factory=list)        # see SpecWarning


class SpecWarning(UserWarning):
    """Something AWS accepts but that likely does not do what the spec means (shown, never fatal)."""


def d(value: Any) -> dict:
    """`value` when it is a mapping, else an empty one: checks look only at well-shaped values."""
    return value if isinstance(value, dict) else {}


def s(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def entries(value: Any) -> list[tuple[str, dict]]:
    """The well-formed entries of a keyed section (invalid keys are reported by the JSON Schema)."""
    return [(k, v) for k, v in d(value).items() if isinstance(v, dict) and KEY_RE.match(str(k))]


def check_arn(entry: Mapping[str, Any], path: PathT, key: str, pattern: re.Pattern[str], problems: Problems,
              example: str) -> None:
    value = entry.get(key)
    if isinstance(value, str) and (not pattern.match(value) or len(value) > (2048 if "kms" in key.lower()
                                                                               else 256)):
        problems.add((*path, key), f"invalid {key} '{value}'", f"expected an ARN like {example}")


def check_s3(entry: Mapping[str, Any], path: PathT, key: str, problems: Problems) -> None:
    value = entry.get(key)
    if isinstance(value, str) and (not S3_RE.match(value) or len(value) > 256):
        problems.add((*path, key), f"invalid S3 location '{value}'",
                     "expected s3://bucket/path (at most 256 characters)")


_TAG_CHARS = set("_.:/=+-@")


def _tag_text_ok(text: str) -> bool:
    return all(c.isalpha() or c.isspace() or c.isnumeric() or c in _TAG_CHARS for c in text)


def check_tags(tags: Mapping[str, Any], path: PathT, problems: Problems, defaults: Mapping[str, Any]) -> None:
    for key, value in tags.items():
        kp = (*path, key)
        if not 1 <= len(key) <= 128:
            problems.add(kp, f"tag key '{key}' must be 1 to 128 characters", key=True)
        elif key.lower().startswith("aws:"):
            problems.add(kp, f"tag key '{key}' uses the reserved prefix 'aws:'", "choose another key", key=True)
        elif not _tag_text_ok(key):
            problems.add(kp, f"tag key '{key}' has characters AWS does not allow",
                         "use letters, digits, spaces and _ . : / = + - @", key=True)
        if isinstance(value, str | int | float | bool):
            text = tag_value(value)
            if len(text) > 256:
                problems.add(kp, f"tag value of '{key}' is {len(text)} characters long; AWS allows 256")
            elif not _tag_text_ok(text):
                problems.add(kp, f"tag value of '{key}' has characters AWS does not allow",
                             "use letters, digits, spaces and _ . : / = + - @")
    total = len(set(tags) | set(defaults))
    if total > MAX_TAGS:
        problems.add(path, f"{total} tags (with defaults.tags); AWS allows {MAX_TAGS} per resource",
                     "remove some tags")


def tag_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
