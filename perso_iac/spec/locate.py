"""The spec as commands that only read the state need it (`perso output`, `perso show`): its stack,
backend, region and outputs, without requiring the variables only resources use."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import PersoError, SpecValidationError
from .flatten import build_outputs
from .loader import load_spec
from .model import Spec
from .yamlsrc import parse_yaml


def load_for_state(path: str | Path, variables: Mapping[str, str] | None = None,
                   var_files: Sequence[str | Path] = ()) -> Spec:
    """The full spec when it loads; else, when what locates the state uses no variable, that part
    alone (no resources). The full load's error stands when the state cannot be located without it."""
    try:
        return load_spec(path, variables=variables, var_files=var_files)
    except SpecValidationError as exc:
        spec = _located(Path(path))
        if spec is None:
            raise exc from None
        return spec


def _located(path: Path) -> Spec | None:
    try:
        doc = parse_yaml(path.read_text(encoding="utf-8"), str(path))
        data: Any = doc.data
        if not isinstance(data, dict) or not isinstance(data.get("stack"), str):
            return None
        located = {k: data.get(k) for k in ("stack", "backend", "region", "outputs")}
        if "${var." in json.dumps(located, default=str):
            return None
        backend = data.get("backend")
        if isinstance(backend, dict) and isinstance(backend.get("local"), dict):
            local = dict(backend["local"])
            if "path" in local:
                local["path"] = str((path.resolve().parent / str(local["path"])).resolve())
            backend = {"local": local}
        elif isinstance(backend, dict) and isinstance(backend.get("s3"), dict):
            backend = {"s3": dict(backend["s3"])}
        else:
            backend = None
        outputs = data.get("outputs") or {}
        if not isinstance(outputs, dict) or not all(isinstance(o, dict) for o in outputs.values()):
            return None
        return Spec(path=path, stack=data["stack"], resources={}, region=data.get("region"), backend=backend,
                    outputs=build_outputs(doc, {"outputs": outputs}))
    except (PersoError, OSError, ValueError, TypeError, AttributeError):
        return None
