"""Variables: declarations, their values, and `${var.NAME}` interpolation.

A value comes from, highest first: `--var NAME=VALUE` (the `variables` argument of `load_spec`),
the `--var-file`s (later files win), the environment (`PERSO_VAR_<NAME>`), the declared default.
Values given as text are coerced to the declared type (string, integer, number, boolean).

`${var.NAME}` works in any string value outside `variables:`; a string that is exactly one
`${var.NAME}` takes the variable's typed value (so `minProvisionedTPS: ${var.tps}` is an integer).
`$${` writes a literal `${`. In `outputs.*.value`, other `${...}` expressions are resource
references and are left for the loader.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Problem, SpecError
from . import terraform
from .readfile import SPEC_MAX_BYTES, read_bounded
from .yamlsrc import MAX_INT_DIGITS, Document, parse_yaml

TYPES = ("string", "integer", "number", "boolean")
ENV_PREFIX = "PERSO_VAR_"
_EXPR = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_VAR_REF = re.compile(r"^\s*var\.([A-Za-z_][A-Za-z0-9_-]*)\s*$")
_UNSET = object()

AddProblem = Callable[[Sequence[str | int], str, str | None], None]


@dataclass
class Variable:
    name: str
    type: str = "string"
    default: Any = _UNSET
    value: Any = _UNSET
    sensitive: bool = False   # `sensitive: true`: its value is redacted in saved plans

    @property
    def has_value(self) -> bool:
        return self.value is not _UNSET


class CoercionError(ValueError):
    pass


def coerce(value: Any, type_: str) -> Any:
    """Convert a value (text from the command line, or a YAML scalar) to the declared type."""
    if type_ == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str | int | float):
            return str(value)
        raise CoercionError(f"{value!r} is not a string")
    if type_ == "integer":
        if isinstance(value, bool):
            raise CoercionError(f"{value!r} is not an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            return _int(value)
        raise CoercionError(f"{value!r} is not an integer")
    if type_ == "number":
        if isinstance(value, bool):
            raise CoercionError(f"{value!r} is not a number")
        if isinstance(value, int | float):
            return value
        if isinstance(value, str):
            text = value.strip()
            if re.fullmatch(r"[+-]?\d+", text):
                return _int(text)
            try:
                number = float(text)
            except ValueError:
                raise CoercionError(f"{value!r} is not a number") from None
            if number != number or number in (float("inf"), float("-inf")):
                raise CoercionError(f"{value!r} is not a finite number")
            return number
        raise CoercionError(f"{value!r} is not a number")
    if type_ == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            text = value.strip().lower()
            if text in ("true", "yes", "on", "1"):
                return True
            if text in ("false", "no", "off", "0"):
                return False
        raise CoercionError(f"{value!r} is not a boolean (true or false)")
    raise CoercionError(f"unknown type {type_!r}")


def _int(text: str) -> int:
    if len(text.strip()) > MAX_INT_DIGITS:
        raise CoercionError(f"an integer of {len(text.strip()):,} characters is too large "
                            f"(at most {MAX_INT_DIGITS})")
    return int(text)


def did_you_mean(word: str, choices: Sequence[str]) -> str | None:
    import difflib  # only when something is misspelled: difflib and heapq cost ~7 ms to import

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def declare(doc: Document, add: AddProblem) -> dict[str, Variable]:
    """Read `variables:` leniently (the JSON Schema reports malformed entries)."""
    raw = doc.data.get("variables") if isinstance(doc.data, dict) else None
    out: dict[str, Variable] = {}
    if not isinstance(raw, dict):
        return out
    for name, decl in raw.items():
        if not isinstance(decl, dict):
            decl = {}
        type_ = decl.get("type", "string")
        var = Variable(name=name, type=type_ if type_ in TYPES else "string", sensitive=decl.get("sensitive") is True)
        if "default" in decl:
            try:
                var.default = coerce(decl["default"], var.type)
            except CoercionError as exc:
                add(("variables", name, "default"), f"default {exc}",
                    f"give a {var.type} default, or change the variable's type")
        out[name] = var
    return out


def assign(doc: Document, declared: dict[str, Variable], cli: Mapping[str, str],
           var_files: Sequence[str | Path], add: AddProblem, extra: list[Problem],
           environ: Mapping[str, str] | None = None) -> None:
    """Give each variable its value from the highest-priority source."""
    environ = os.environ if environ is None else environ
    names = sorted(declared)

    def where(name: str) -> tuple[str, ...]:
        return ("variables", name)

    for name, var in declared.items():
        if var.default is not _UNSET:
            var.value = var.default
        env_key = ENV_PREFIX + name
        if env_key in environ:
            try:
                var.value = coerce(environ[env_key], var.type)
            except CoercionError as exc:
                add(where(name), f"{env_key}: {exc}", f"set {env_key} to a {var.type}")

    for file in var_files:
        vdoc = _read_var_file(file)
        if vdoc.data is None:
            continue
        extra.extend(vdoc.problems)
        if not isinstance(vdoc.data, dict):
            extra.append(vdoc.problem((), "a variables file must be a mapping of NAME: VALUE",
                                      "e.g. env: prod"))
            continue
        tf = terraform.is_output_json(vdoc.data)  # `terraform output -json`: values unwrapped
        for name, value in (terraform.output_values(vdoc.data) if tf else vdoc.data).items():
            var = declared.get(name)
            if var is None and tf:
                continue  # a Terraform output no variable of this spec reads
            if var is None:
                guess = did_you_mean(name, names)
                extra.append(vdoc.problem((name,), f"no variable '{name}' is declared in the spec",
                                          f"did you mean '{guess}'?" if guess else
                                          f"declare it under variables: in {doc.file}", key=True))
                continue
            try:
                var.value = coerce(value, var.type)
            except CoercionError as exc:
                at = (name, "value") if tf else (name,)
                extra.append(vdoc.problem(at, f"variable '{name}': {exc}", f"give a {var.type}"))
                continue
            if tf and name in terraform.sensitive_outputs(vdoc.data):
                var.sensitive = True

    for name, text in cli.items():
        var = declared.get(name)
        if var is None:
            guess = did_you_mean(name, names)
            add(("variables",) if "variables" in (doc.data or {}) else (),
                f"--var {name}: no variable '{name}' is declared in the spec",
                f"did you mean '{guess}'?" if guess else "declare it under variables:")
            continue
        try:
            var.value = coerce(text, var.type)
        except CoercionError as exc:
            add(where(name), f"--var {name}: {exc}", f"pass a {var.type}, e.g. --var {name}=...")


def _read_var_file(file: str | Path) -> Document:
    path = Path(file)
    try:
        text = read_bounded(path, "variables file", SPEC_MAX_BYTES, display=str(file))
    except FileNotFoundError:
        raise SpecError(f"variables file {file} does not exist", hint="check the --var-file path") from None
    return parse_yaml(text, str(file))  # JSON is YAML


def sensitive_values(declared: dict[str, Variable]) -> dict[str, str]:
    """The values of the variables marked `sensitive: true`, as they appear in text."""
    return {name: (("true" if var.value else "false") if isinstance(var.value, bool) else str(var.value))
            for name, var in declared.items() if var.sensitive and var.has_value}


def interpolate(doc: Document, declared: dict[str, Variable], add: AddProblem) -> tuple[Any, set[tuple]]:
    """A copy of the document with `${var.x}` replaced. Returns (data, paths left unresolved)."""
    unresolved: set[tuple] = set()
    names = sorted(declared)

    def resolve(name: str, path: tuple) -> tuple[Any, bool]:
        var = declared.get(name)
        if var is None:
            guess = did_you_mean(name, names)
            add(path, f"unknown variable '{name}'",
                f"did you mean '${{var.{guess}}}'?" if guess else
                "declare it under variables: (type, default, description)")
        elif not var.has_value:
            add(path, f"variable '{name}' has no value",
                f"set it with --var {name}=..., in a --var-file, with {ENV_PREFIX}{name}, "
                "or give it a default")
        else:
            return var.value, True
        unresolved.add(path)
        return None, False

    def sub_string(text: str, path: tuple) -> Any:
        in_output = len(path) >= 3 and path[0] == "outputs" and path[2] == "value"
        whole = _EXPR.fullmatch(text)
        if whole and whole.group(1) is not None:
            m = _VAR_REF.match(whole.group(1))
            if m:
                value, ok = resolve(m.group(1), path)
                return value if ok else text

        def repl(m: re.Match[str]) -> str:
            if m.group(0) == "$${":
                return "$${" if in_output else "${"  # outputs unescape after reading references
            vm = _VAR_REF.match(m.group(1))
            if vm:
                value, ok = resolve(vm.group(1), path)
                if not ok:
                    return m.group(0)
                return ("true" if value else "false") if isinstance(value, bool) else str(value)
            if not in_output:
                add(path, f"'{m.group(0)}' is not a variable reference",
                    "only ${var.NAME} can be used here; write '$${' for a literal '${'")
                unresolved.add(path)
            return m.group(0)

        if "${" in _EXPR.sub("", text):
            add(path, "unterminated '${' in this string", "close it with '}', or write '$${' for a literal '${'")
            unresolved.add(path)
            return text
        return _EXPR.sub(repl, text)

    def walk(value: Any, path: tuple) -> Any:
        if isinstance(value, dict):
            return {k: (v if path == () and k == "variables" else walk(v, (*path, k)))
                    for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*path, i)) for i, v in enumerate(value)]
        if isinstance(value, str) and "${" in value:
            return sub_string(value, path)
        return value

    return walk(doc.data, ()), unresolved
