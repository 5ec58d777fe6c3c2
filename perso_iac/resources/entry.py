"""What an adapter sees of the spec and of a discovered account when it describes its own type:
the entry being flattened or checked, and the resources found by `perso import --dataset-group`.

The generic drivers (`spec/flatten.py`, `spec/validate.py`, `importer.py`) build these and call
the adapter's hooks; the adapters never walk the document themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..spec.checks import Checked, PathT, s
from ..spec.model import Lifecycle, Ref
from .base import Observed


def default_name(key: str, entry: Mapping[str, Any], container_name: str | None) -> str:
    """The AWS name of an entry: its `name:`, else its key (prefixed by its container's name)."""
    return s(entry.get("name")) or (f"{container_name}-{key}" if container_name else key)


def lifecycle_of(entry: Mapping[str, Any]) -> Lifecycle:
    lc = entry.get("lifecycle") or {}
    ignore = lc.get("ignore_changes", ())
    cbd = lc.get("create_before_destroy")
    return Lifecycle(prevent_destroy=bool(lc.get("prevent_destroy", False)),
                     ignore_changes=("*",) if ignore == "all" else tuple(ignore),
                     create_before_destroy=None if cbd is None else bool(cbd))


@dataclass(frozen=True)
class Flat:
    """One resource an adapter makes of a spec entry; the flattener adds tags and its location."""

    address: str
    name: str
    params: dict[str, Any]
    path: PathT
    own_tags: tuple[Mapping[str, Any] | None, ...] = ()   # merged over defaults.tags, in order
    depends_on: tuple[str, ...] = ()
    triggers: tuple[Ref, ...] = ()
    lifecycle: Lifecycle = field(default_factory=Lifecycle)


@dataclass(frozen=True)
class EntryContext:
    """A validated spec entry being flattened, with what its adapter may need from around it."""

    type_name: str
    key: str
    name: str                                   # its AWS name
    path: PathT
    entry: Mapping[str, Any]
    checked: Checked
    container_key: str | None = None            # the key of the entry holding it (e.g. its dataset group)
    container: Mapping[str, Any] = field(default_factory=dict)
    container_ref: Ref | None = None            # the holder's ARN, known after apply
    declared: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # type -> addresses in the holder

    def address(self, type_name: str | None = None) -> str:
        t = type_name or self.type_name
        return f"{t}.{self.container_key}.{self.key}" if self.container_key else f"{t}.{self.key}"


@dataclass
class GroupCheck:
    """The entries of one container (a dataset group) for the per-type checks of its members."""

    key: str
    path: PathT
    entry: Mapping[str, Any]
    sections: dict[str, dict[str, dict]]        # section -> {key: entry}, well-formed entries only
    checked: Checked
    defaults_tags: Mapping[str, Any]
    dataset_types: set[str] = field(default_factory=set)   # filled by the dataset check, read by later ones


class Discovered(NamedTuple):
    """One live resource found under a dataset group, with the address it gets in the spec."""

    address: str
    type: str
    arn: str
    observed: Observed
    tags: Mapping[str, str] = {}

    @property
    def key(self) -> str:
        return self.address.rsplit(".", 1)[1]


@dataclass
class SpecWriting:
    """What an adapter may look up while writing the spec entry of a discovered resource."""

    container_name: str                                      # AWS name of the dataset group
    keys: dict[str, str] = field(default_factory=dict)       # ARN -> spec key of every discovered resource
    children: dict[tuple[str, str], Discovered] = field(default_factory=dict)  # (type, parent ARN) -> intent

    def key_of(self, arn: Any, default: Any = None) -> Any:
        return self.keys.get(arn, default) if isinstance(arn, str) else default

    def child(self, type_name: str, parent_arn: Any) -> Discovered | None:
        return self.children.get((type_name, parent_arn)) if isinstance(parent_arn, str) else None


_STRING_MAPS = ("algorithmHyperParameters", "featureTransformationParameters", "itemExplorationConfig")
# hpoResourceConfig's counts are strings in the API
_STRING_SCALARS = ("maxNumberOfTrainingJobs", "maxParallelTrainingJobs")
# strings only at the top of the config: solutionConfig.eventValueThreshold is a string, but
# solutionConfig.eventsConfig.eventParametersList[].eventValueThreshold is a number (botocore model)
_TOP_STRING_SCALARS = ("eventValueThreshold",)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def stringify_maps(value: Any, top: bool = True) -> Any:
    """Where the API wants text, YAML numbers are accepted (`hidden_dimension: 100` -> "100")."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in _STRING_MAPS and isinstance(v, dict):
                out[k] = {mk: _scalar_text(mv) for mk, mv in v.items()}
            elif (k in _STRING_SCALARS or (top and k in _TOP_STRING_SCALARS)) and not isinstance(v, dict | list):
                out[k] = _scalar_text(v)
            else:
                out[k] = stringify_maps(v, top=False)
        return out
    if isinstance(value, list):
        return [stringify_maps(v, top=False) for v in value]
    return value
