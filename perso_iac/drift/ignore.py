"""The ignore file (`.persoignore`): accepted drift, one rule a line.

`ADDRESS` (everything about that resource) or `ADDRESS:ATTRIBUTE.PATH`; shell-style wildcards
(`campaign.*`, `*:tags.*`); `#` starts a comment; an ARN matches an unmanaged resource.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from ..errors import PersoError
from .model import DriftKind, DriftReport


@dataclass(frozen=True)
class IgnoreRule:
    address: str                  # glob
    path: str | None = None       # glob over dotted attribute paths; None: the whole resource

    def __str__(self) -> str:
        return self.address if self.path is None else f"{self.address}:{self.path}"


@dataclass(frozen=True)
class IgnoreList:
    rules: tuple[IgnoreRule, ...] = ()
    source: str = ""

    def ignores_resource(self, *names: str) -> bool:
        return any(r.path is None and any(fnmatch.fnmatchcase(n, r.address) for n in names if n)
                   for r in self.rules)

    def ignores_attribute(self, address: str, path: str) -> bool:
        for rule in self.rules:
            if not fnmatch.fnmatchcase(address, rule.address):
                continue
            if rule.path is None or fnmatch.fnmatchcase(path, rule.path) or path.startswith(rule.path + "."):
                return True
        return False


def parse_ignore(text: str, source: str = ".persoignore") -> IgnoreList:
    rules = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("arn:"):
            rules.append(IgnoreRule(line))
            continue
        address, sep, path = line.partition(":")
        address, path = address.strip(), path.strip()
        if not address or (sep and not path) or " " in address or " " in path:
            raise PersoError(f"{source}:{number}: cannot read the ignore rule {raw.strip()!r}",
                             hint="write ADDRESS or ADDRESS:ATTRIBUTE.PATH, e.g. campaign.main.recs:minProvisionedTPS")
        rules.append(IgnoreRule(address, path or None))
    return IgnoreList(tuple(rules), source)


def load_ignore(path: str | Path | None) -> IgnoreList:
    if path is None:
        return IgnoreList()
    file = Path(path)
    try:
        return parse_ignore(file.read_text(encoding="utf-8"), str(file))
    except FileNotFoundError:
        raise PersoError(f"the ignore file {file} does not exist",
                         hint="create it, or leave out --ignore-file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PersoError(f"the ignore file {file} cannot be read: {exc}") from None


def baseline_lines(report: DriftReport) -> list[str]:
    """Ignore-file lines that accept every drift finding of `report` (like driftctl gen-driftignore)."""
    lines = []
    for d in report.drifted:
        if d.kind is DriftKind.DELETED:
            lines.append(d.address)
        else:
            lines.extend(f"{d.address}:{a.path}" for a in d.attributes)
    lines.extend(u.address for u in report.unmanaged)
    return lines
