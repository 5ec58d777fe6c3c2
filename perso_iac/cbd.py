"""Create-before-destroy replacements: which replacements create the new resource first, under
which name, and how the old one is kept track of until it is deleted. Pure: no AWS.

Personalize names are unique per type in an account and region, so a replacement that keeps its
name cannot exist next to the old one: the new one gets the spec's name with a suffix derived from
its address (and the next such replacement goes back to the plain name). The state records the AWS
name with the spec's name next to it (`spec_name`), as for a move, so later plans are clean.

While both exist, apply keeps the old one in the state under `<address>~deposed` (Terraform's
deposed objects): a killed apply leaves it there, and the next plan deletes it once the new one
and everything that depends on it are applied, so nothing is orphaned or duplicated.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import replace

from .plan import Action, Change, Reason
from .resources.base import ResourceType
from .spec.model import ResourceSpec
from .state.model import StateFile

DEPOSED = "~deposed"
MAX_NAME = 63  # Personalize's name limit for every type perso replaces create-before-destroy

WHY_LIFECYCLE = "lifecycle.create_before_destroy"
WHY_RENAME = "a rename whose old and new names do not clash"
WHY_DEFAULT = "a new {type} is created first, and what uses it moves to it in place"

Names = Mapping[tuple[str, str], frozenset[str]]  # (type, AWS name) -> addresses holding it


def deposed(address: str) -> str:
    return address + DEPOSED


def deposed_base(address: str) -> str | None:
    """The address a deposed entry was replaced at (None: not a deposed entry)."""
    return address[: -len(DEPOSED)] if address.endswith(DEPOSED) else None


def suffixed(name: str, address: str) -> str:
    """The spec's name with a suffix of its own (stable: the same address always gets the same one)."""
    tag = hashlib.sha256(address.encode()).hexdigest()[:6]
    return f"{name[: MAX_NAME - len(tag) - 1]}-{tag}"


def names_in_use(resources: Mapping[str, ResourceSpec], state: StateFile) -> Names:
    """Every AWS name the state holds and the spec asks for, with the addresses holding it."""
    out: dict[tuple[str, str], set[str]] = {}
    for address, res in state.resources.items():
        out.setdefault((res.type, res.name), set()).add(address)
    for address, spec in resources.items():
        out.setdefault((spec.type, spec.name), set()).add(address)
    return {k: frozenset(v) for k, v in out.items()}


def _taken(names: Names, type_name: str, name: str, address: str) -> bool:
    return bool(names.get((type_name, name), frozenset()) - {address})


def order(change: Change, spec: ResourceSpec, adapter: ResourceType, current_name: str | None,
          planned: Mapping[str, Change], names: Names) -> Change:
    """`change` as a create-before-destroy replacement where it can be one, else unchanged.

    `current_name` is the AWS name of the resource being replaced (None when it does not exist)."""
    if change.action is Action.CREATE and _taken(names, change.type, change.name, change.address) \
            and deposed(change.address) in names[(change.type, change.name)]:
        # A killed create-before-destroy: the old one (deposed) still holds the spec's name.
        return _named(change, suffixed(change.name, change.address), change.name)
    if change.action is not Action.REPLACE or change.is_intent or current_name is None:
        return change
    if adapter.no_create_before_destroy or change.reason is Reason.FAILED_REMOTELY:
        return change  # a failed one serves nothing: freeing its name first costs nothing
    wanted = spec.lifecycle.create_before_destroy
    rename = "name" in change.replace_paths
    if wanted is False or (wanted is None and not rename and not adapter.create_before_destroy_by_default):
        return change
    if any(_deletes_first(planned.get(d)) for d in change.depends_on):
        return change  # a dependency is deleted before it is recreated: so must this be (AWS refuses otherwise)
    derived = change.name
    if derived != current_name and not _taken(names, change.type, derived, change.address):
        name = derived
    elif wanted is None and rename:
        return change  # the new name clashes with another resource's: delete first, as before
    else:
        name = suffixed(derived, change.address)
        if _taken(names, change.type, name, change.address) or name == current_name:
            return change
    why = WHY_LIFECYCLE if wanted else WHY_RENAME if rename else WHY_DEFAULT.format(type=change.type)
    return replace(_named(change, name, derived), create_before_destroy=True, cbd_why=why)


def _named(change: Change, name: str, derived: str) -> Change:
    after = dict(change.after or {})
    if "name" in after:
        after["name"] = name
    return replace(change, name=name, after=after, spec_name=derived if name != derived else "")


def _deletes_first(change: Change | None) -> bool:
    """Whether this dependency's replacement deletes the old one before creating the new one."""
    if change is None or change.action is not Action.REPLACE or change.create_before_destroy:
        return False
    return not change.is_intent or change.reason is Reason.DEPENDENCY_REPLACED


def cascades(change: Change) -> bool:
    """Whether replacing `change` forces what depends on it to be replaced too (not only updated):
    AWS will not delete the old one while they use it. A create-before-destroy replacement moves
    them to the new one instead; retraining (an intent) replaces only what its own parent took."""
    return _deletes_first(change)


def dependents(base: str, changes: Mapping[str, Change]) -> set[str]:
    """Every change that depends on `base`, directly or not (by the spec's references)."""
    out: set[str] = set()
    todo = [base]
    while todo:
        current = todo.pop()
        for address, change in changes.items():
            if current in change.depends_on and address not in out:
                out.add(address)
                todo.append(address)
    return out


def cbd_delete_base(change: Change) -> str | None:
    """The address whose new resource must be ready (with what uses it) before this delete runs."""
    if change.create_before_destroy and not change.is_intent:
        return change.address
    return deposed_base(change.address)


def hints(changes: Iterable[Change], resources: Mapping[str, ResourceSpec],
          adapters: Mapping[str, ResourceType]) -> list[str]:
    """Where a replacement could keep serving: create_before_destroy on the replaced resource."""
    out = []
    by_address = {c.address: c for c in changes}
    for change in by_address.values():
        adapter = adapters.get(change.type)
        spec = resources.get(change.address)
        if change.action is not Action.REPLACE or change.create_before_destroy or change.is_intent \
                or adapter is None or adapter.no_create_before_destroy or spec is None \
                or spec.lifecycle.create_before_destroy is False or change.reason is Reason.FAILED_REMOTELY:
            continue
        if any(_deletes_first(by_address.get(d)) for d in change.depends_on):
            continue
        taken = [a for a in dependents(change.address, by_address)
                 if by_address[a].action is Action.REPLACE and by_address[a].reason is Reason.DEPENDENCY_REPLACED
                 and not by_address[a].is_intent]
        if not taken and not getattr(adapter, "serves_traffic", False):
            continue
        also = f", taking {', '.join(sorted(taken))} down with it" if taken else ""
        out.append(f"{change.address} is deleted before its replacement is ready{also}: with "
                   f"`lifecycle: {{create_before_destroy: true}}` on it, perso creates the new one first "
                   f"and moves what uses it in place, so nothing stops serving")
    return out
