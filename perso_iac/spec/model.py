"""The validated spec as the engine sees it: flat, typed, frozen.

The YAML nests resources under their dataset group; the loader flattens them into
`ResourceSpec`s keyed by address (`dataset.movielens.interactions`). Parameters are
spelled as the Personalize API spells them. A value that depends on another resource
(an ARN perso will only know after apply) is a `Ref`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SourceLocation:
    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Ref:
    """A reference to an output of another resource, resolved at plan or apply time.

    `Ref("solution.movielens.up", "arn", suffix="/$LATEST")` is the solution's ARN followed by
    "/$LATEST". The attribute names are the keys of the referenced adapter's outputs.
    """

    address: str
    attr: str = "arn"
    suffix: str = ""

    def __str__(self) -> str:
        return f"${{{self.address}.{self.attr}}}{self.suffix}"


@dataclass(frozen=True)
class Lifecycle:
    prevent_destroy: bool = False
    # Dotted parameter paths whose differences are ignored; ("*",) ignores every parameter.
    ignore_changes: tuple[str, ...] = ()
    # Replace by creating the new one first, then deleting the old one (Terraform's create_before_destroy);
    # None: perso's default (a rename whose names do not clash, a schema: yes; otherwise no).
    create_before_destroy: bool | None = None


@dataclass(frozen=True)
class ResourceSpec:
    address: str                      # "campaign.movielens.main"
    type: str                         # "campaign"
    name: str                         # the AWS name (or job-name prefix for intents)
    params: Mapping[str, Any]         # API-spelled parameters; may contain Ref values at any depth
    tags: Mapping[str, str] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()  # addresses: every Ref target plus explicit dependencies
    # Replace this resource whenever one of these values changes (Terraform's replace_triggered_by);
    # used for intents: an import re-runs when its source changes, training re-runs after new imports.
    triggers: tuple[Ref, ...] = ()
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    source: SourceLocation | None = None


@dataclass(frozen=True)
class OutputSpec:
    name: str
    value: Any                        # a Ref, or a literal
    description: str = ""
    source: SourceLocation | None = None


@dataclass(frozen=True)
class Move:
    """A `moved:` entry: the resource at `old` (in the state) is now `new` in the spec."""

    old: str
    new: str
    source: SourceLocation | None = None


@dataclass(frozen=True)
class Spec:
    path: Path
    stack: str                                  # names the state
    resources: Mapping[str, ResourceSpec]       # by address, in file order
    region: str | None = None
    backend: Mapping[str, Any] | None = None    # {"local": {...}} or {"s3": {...}}
    outputs: Mapping[str, OutputSpec] = field(default_factory=dict)
    digest: str = ""                            # sha256 of the resolved spec (variables applied)
    prices_file: str | None = None              # `cost: {prices_file}`, resolved against the spec's directory
    moves: tuple[Move, ...] = ()                # `moved:` (old address -> new address)
    # values of the variables marked `sensitive: true`, by name: redacted from saved plans
    sensitive: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
