"""Renaming addresses in the state: `moved:` in the spec and `perso state mv`. Pure: no AWS.

A moved resource keeps its ARN and its AWS name. When the spec would derive another name from
the new key, the state records that spec name next to the AWS one (`spec_name`), and the differ
keeps the AWS name for as long as the spec asks for that name (see diff.py).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping

from .plan import Plan
from .spec.model import Move, ResourceSpec
from .state.model import StateFile


def rename(state: StateFile, old: str, new: str) -> None:
    """Re-key `old` as `new` in place, with every dependency and trigger naming it."""
    resource = state.resources[old]
    state.forget(old)
    resource.address = new
    state.record(resource)
    for other in state.resources.values():
        other.depends_on = [new if d == old else d for d in other.depends_on]
        other.triggers = {k.replace("${" + old + ".", "${" + new + "."): v for k, v in other.triggers.items()}


def with_moves(state: StateFile, moves: Iterable[Move],
               resources: Mapping[str, ResourceSpec]) -> tuple[StateFile, dict[str, str], list[str]]:
    """A copy of `state` with the spec's moves made, the moves made (new -> old) and warnings.

    A move whose old address is not in the state is done already (or was never applied): skipped,
    as Terraform does. One whose new address is taken too is refused with a warning. Without a move
    to make, `state` itself is returned: copying it cost a no-op plan more CPU than diffing it."""
    moves = [m for m in moves if m.old in state.resources]
    if not moves:
        return state, {}, []
    moved_state = copy.deepcopy(state)
    made: dict[str, str] = {}
    warnings: list[str] = []
    for move in moves:
        if move.old not in moved_state.resources:
            continue
        if move.new in moved_state.resources:
            warnings.append(f"moved: {move.old} and {move.new} are both in the state, so nothing was moved; "
                            f"remove one (`perso state rm ...`) or the moved entry")
            continue
        rename(moved_state, move.old, move.new)
        resource = moved_state.resources[move.new]
        wanted = resources[move.new].name if move.new in resources else resource.name
        resource.spec_name = wanted if wanted != resource.name else ""
        made[move.new] = move.old
    return moved_state, made, warnings


def apply_moves(state: StateFile, plan: Plan) -> list[tuple[str, str]]:
    """Make the plan's moves in `state` (in place); the (old, new) pairs made."""
    made = []
    for change in plan.changes:
        if change.moved_from and change.moved_from in state.resources and change.address not in state.resources:
            rename(state, change.moved_from, change.address)
            state.resources[change.address].spec_name = change.spec_name
            made.append((change.moved_from, change.address))
    return made


def moved_copy(state: StateFile, plan: Plan) -> StateFile:
    """`state` as the plan sees it: with the plan's moves made (a copy; `state` itself without moves)."""
    if not any(c.moved_from for c in plan.changes):
        return state
    out = copy.deepcopy(state)
    apply_moves(out, plan)
    return out


def keep_name_after_mv(state: StateFile, new: str, resources: Mapping[str, ResourceSpec] | None) -> str:
    """After `perso state mv OLD NEW`: keep NEW's AWS name as `moved:` would, and say what the next
    plan will do for it (`resources` is None when the spec could not be read)."""
    resource = state.resources[new]
    if resources is None:
        return (f"The spec could not be read to check the next plan: if it derives {new}'s AWS name from the "
                f"key, the next plan replaces it (it is named '{resource.name}' in AWS); `moved:` in the spec "
                f"keeps the name instead.")
    if new not in resources:
        return f"The spec has no {new}: the next plan destroys it ('{resource.name}' in AWS)."
    wanted = resources[new].name
    if wanted == resource.name:
        resource.spec_name = ""
        return f"The next plan changes nothing in AWS for it: the spec names it '{wanted}', as AWS does."
    resource.spec_name = wanted
    return (f"The spec derives the name '{wanted}' from the new key; {new} keeps its AWS name "
            f"'{resource.name}' (recorded in the state), so the next plan changes nothing in AWS for it.")
