"""Load a spec file: YAML -> variables -> JSON Schema -> semantic checks -> a frozen `Spec`.

    spec = load_spec("perso.yaml", variables={"env": "prod"}, var_files=["prod.vars.yaml"])

Raises `SpecError` when the file can't be read or isn't YAML (the message names file:line:col),
and `SpecValidationError` listing every problem found, each located at file:line:col with a
dotted path and a hint. Never calls AWS, never prints.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import SpecError, SpecValidationError
from . import variables as variables_mod
from .flatten import Flattener, build_outputs, check_cycles, digest
from .model import Spec
from .readfile import SPEC_MAX_BYTES, read_bounded
from .validate import Problems, check_semantics, check_structure
from .yamlsrc import parse_yaml


def load_spec(path: str | Path, variables: Mapping[str, str] | None = None,
              var_files: Sequence[str | Path] = (), *, environ: Mapping[str, str] | None = None) -> Spec:
    spec_path = Path(path)
    file = str(path)
    try:
        text = read_bounded(spec_path, "spec file", SPEC_MAX_BYTES, display=file)
    except FileNotFoundError:
        raise SpecError(f"spec file {file} does not exist",
                        hint="pass the spec with -f FILE, or run perso where perso.yaml is") from None

    doc = parse_yaml(text, file)
    problems = Problems(doc)
    problems.extend(doc.problems)
    if not isinstance(doc.data, dict):
        what = "empty" if doc.data is None else "not a mapping"
        problems.add((), f"the spec is {what}",
                     "a spec starts with version: 1 and stack: NAME (see docs/spec.md)")
        raise SpecValidationError(problems.result())

    def add(p: Sequence[str | int], message: str, hint: str | None = None) -> None:
        problems.add(p, message, hint)

    extra: list = []
    declared = variables_mod.declare(doc, add)
    variables_mod.assign(doc, declared, dict(variables or {}), var_files, add, extra,
                         environ=os.environ if environ is None else environ)
    problems.extend(extra)
    data, unresolved = variables_mod.interpolate(doc, declared, add)
    problems.poisoned |= unresolved

    check_structure(data, problems)
    base_dir = spec_path.resolve().parent
    checked = check_semantics(data, problems, base_dir)
    if problems.items:
        raise SpecValidationError(problems.result())

    resources = Flattener(doc, data, checked).run()
    check_cycles(resources, problems)
    if problems.items:
        raise SpecValidationError(problems.result())
    outputs = build_outputs(doc, data)

    backend = data.get("backend")
    if backend and "local" in backend:
        local = dict(backend["local"])
        local["path"] = str((base_dir / local["path"]).resolve()) if "path" in local else local.get("path")
        backend = {"local": local}
    elif backend:
        backend = {"s3": dict(backend["s3"])}

    return Spec(path=spec_path, stack=data["stack"], resources=resources, region=data.get("region"),
                backend=backend or None, outputs=outputs, digest=digest(resources, outputs),
                sensitive=variables_mod.sensitive_values(declared))
