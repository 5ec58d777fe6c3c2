"""YAML in, plain Python data out, with the source position of every key and value.

`parse_yaml(text, file)` returns a `Document`: `data` is what `yaml.safe_load` would return
(dicts, lists, scalars), and `locate(path)` gives the 1-based line and column of the node at a
path (a tuple of mapping keys and list indices). Duplicate mapping keys are collected as
problems instead of silently keeping the last value. Syntax errors raise `SpecError` naming
`file:line:col`.

Input is bounded while it is composed, before anything is expanded: at most `MAX_DEPTH` levels of
nesting, `MAX_NODES` values once aliases are expanded (a "billion laughs" alias bomb is refused
in milliseconds, at the line of the node that grows too large), integers of at most
`MAX_INT_DIGITS` characters, no NUL or other control characters.

The parsing itself is in `yamlload.py`, imported on the first parse: modules that only need
`Document` or `dotted` (the resource adapters, `perso schema`) do not load PyYAML.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import Problem

Path = tuple[str | int, ...]


def dotted(path: Sequence[str | int]) -> str:
    """`("schemas", "x", "fields", 2, "type")` -> `schemas.x.fields[2].type`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True)
class Pos:
    line: int
    col: int


@dataclass
class Document:
    file: str
    data: Any
    values: dict[Path, Pos] = field(default_factory=dict)   # where each value starts
    keys: dict[Path, Pos] = field(default_factory=dict)     # where the key of a mapping entry starts
    problems: list[Problem] = field(default_factory=list)   # duplicate keys

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> Pos:
        """The position of the node at `path` (of its key when `key`), or of its nearest ancestor."""
        path = tuple(path)
        while True:
            table = (self.keys, self.values) if key else (self.values, self.keys)
            for t in table:
                if path in t:
                    return t[path]
            if not path:
                return Pos(1, 1)
            path = path[:-1]

    def problem(self, path: Sequence[str | int], message: str, hint: str | None = None, *,
                key: bool = False) -> Problem:
        pos = self.locate(path, key=key)
        return Problem(self.file, pos.line, pos.col, dotted(path), message, hint)


MAX_DEPTH = 64             # nesting levels, aliases expanded; specs use about 12
MAX_NODES = 100_000        # values once aliases are expanded; specs hold a few hundred
MAX_INT_DIGITS = 64        # the text of one integer; Personalize's largest are 10 digits


def parse_yaml(text: str, file: str) -> Document:
    from .yamlload import parse_yaml as parse

    return parse(text, file)
