"""The botocore ``personalize`` service model: request validation and response shaping.

Validation is generic over the model (required members, types, lengths, ranges, enums,
patterns, list/map sizes), so a new botocore release is picked up without code changes.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

SERVICE_NAME = "personalize"
TARGET_PREFIX = "AmazonPersonalize."


@functools.lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model(SERVICE_NAME)


def operation_names() -> list[str]:
    return list(service_model().operation_names)


#: Operations of other services the same server answers (ops/tagging.py), by the service that has them.
OTHER_SERVICES = {"GetResources": "resourcegroupstaggingapi"}


@functools.cache
def operation_model(name: str) -> OperationModel:
    other = OTHER_SERVICES.get(name)
    if other is not None:
        return botocore.session.get_session().get_service_model(other).operation_model(name)
    return service_model().operation_model(name)


@functools.cache
def _regex(pattern: str) -> re.Pattern:
    # Java-style Unicode classes used by the model, translated to Python ``re``.
    py = pattern.replace(r"\p{ASCII}", r"\x00-\x7f").replace(r"\p{L}\p{Z}\p{N}", r"\w\s")
    if r"\x00-\x7f" in py and not py.startswith("["):
        py = py.replace(r"\x00-\x7f", r"[\x00-\x7f]")
    return re.compile(py)


#: Output members whose model pattern the real service does not follow: a personalize ``Arn``
#: shape where an IAM role ARN is echoed (API reference §3), and solution-version names
#: "<solution>/<id>" (describe_solution_version__amazon-personalize-samples__1.json).
_OUTPUT_PATTERN_EXEMPT = {("DatasetImportJob", "roleArn"), ("DatasetExportJob", "roleArn"), ("Algorithm", "roleArn"),
                          ("SolutionVersion", "name"), ("SolutionVersionSummary", "name")}


def _fmt(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def validate(shape: Shape | None, value: Any, *, output: bool = False) -> list[str]:
    """Return the constraint violations of ``value`` against ``shape`` (empty when valid)."""
    problems: list[str] = []
    if shape is not None:
        _check(shape, value, "", problems, output, None)
    return problems


def _check(shape: Shape, value: Any, path: str, problems: list[str], output: bool, owner: str | None) -> None:
    where = path or shape.name
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            problems.append(f"Value at '{where}' failed to satisfy constraint: Member must be a structure")
            return
        for req in shape.required_members:
            if value.get(req) is None:
                problems.append(
                    f"Value null at '{_join(path, req)}' failed to satisfy constraint: Member must not be null"
                )
        for key, item in value.items():
            member = shape.members.get(key)
            if member is None:
                if output:
                    problems.append(f"Unexpected member '{_join(path, key)}' (not in shape {shape.name})")
                continue
            if item is None:
                continue
            _check(member, item, _join(path, key), problems, output, f"{shape.name}.{key}")
        return
    if kind == "list":
        if not isinstance(value, list):
            problems.append(f"Value at '{where}' failed to satisfy constraint: Member must be a list")
            return
        _size(meta, len(value), where, problems)
        for i, item in enumerate(value):
            if item is None:
                problems.append(f"Value null at '{where}.{i + 1}.member' failed to satisfy constraint: Member must not be null")
                continue
            _check(shape.member, item, f"{where}.{i + 1}.member", problems, output, None)
        return
    if kind == "map":
        if not isinstance(value, dict):
            problems.append(f"Value at '{where}' failed to satisfy constraint: Member must be a map")
            return
        _size(meta, len(value), where, problems)
        for key, item in value.items():
            _check(shape.key, key, f"{where}.key", problems, output, None)
            if item is None:
                problems.append(f"Value null at '{where}.{key}' failed to satisfy constraint: Member must not be null")
                continue
            _check(shape.value, item, f"{where}.{key}", problems, output, None)
        return
    if kind == "string":
        if not isinstance(value, str):
            problems.append(f"Value '{_fmt(value)}' at '{where}' failed to satisfy constraint: Member must be a string")
            return
        _size(meta, len(value), where, problems, value)
        enum = shape.enum
        if enum and value not in enum:
            problems.append(
                f"Value '{_fmt(value)}' at '{where}' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(enum)}]"
            )
        pattern = meta.get("pattern")
        exempt = output and owner is not None and tuple(owner.split(".", 1)) in _OUTPUT_PATTERN_EXEMPT
        if pattern and not exempt and not _regex(pattern).fullmatch(value):
            problems.append(
                f"Value '{_fmt(value)}' at '{where}' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {pattern}"
            )
        return
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"Value '{_fmt(value)}' at '{where}' failed to satisfy constraint: Member must be an integer")
            return
        _range(meta, value, where, problems)
        return
    if kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            problems.append(f"Value '{_fmt(value)}' at '{where}' failed to satisfy constraint: Member must be a number")
            return
        _range(meta, value, where, problems)
        return
    if kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"Value '{_fmt(value)}' at '{where}' failed to satisfy constraint: Member must be a boolean")
        return
    if kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"Value '{_fmt(value)}' at '{where}' failed to satisfy constraint: Member must be a timestamp")
        return
    if kind == "blob" and not isinstance(value, str):
        problems.append(f"Value at '{where}' failed to satisfy constraint: Member must be base64 text")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _size(meta: dict, size: int, where: str, problems: list[str], value: Any = None) -> None:
    shown = f"'{_fmt(value)}' " if value is not None else ""
    if "min" in meta and size < meta["min"]:
        problems.append(
            f"Value {shown}at '{where}' failed to satisfy constraint: "
            f"Member must have length greater than or equal to {meta['min']}"
        )
    if "max" in meta and size > meta["max"]:
        problems.append(
            f"Value {shown}at '{where}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {meta['max']}"
        )


def _range(meta: dict, value: float, where: str, problems: list[str]) -> None:
    if "min" in meta and value < meta["min"]:
        problems.append(
            f"Value '{value}' at '{where}' failed to satisfy constraint: "
            f"Member must have value greater than or equal to {meta['min']}"
        )
    if "max" in meta and value > meta["max"]:
        problems.append(
            f"Value '{value}' at '{where}' failed to satisfy constraint: "
            f"Member must have value less than or equal to {meta['max']}"
        )


def validation_message(problems: list[str]) -> str:
    n = len(problems)
    head = f"{n} validation error{'s' if n != 1 else ''} detected: "
    return head + "; ".join(problems[:10])


def project(shape: Shape | None, value: Any) -> Any:
    """Keep exactly what ``shape`` declares (dropping ``None`` and unknown members)."""
    if shape is None:
        return {}
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return {}
        out = {}
        for key, member in shape.members.items():
            item = value.get(key)
            if item is not None:
                out[key] = project(member, item)
        return out
    if kind == "list":
        return [project(shape.member, item) for item in (value or [])]
    if kind == "map":
        return {k: project(shape.value, v) for k, v in (value or {}).items()}
    return value
