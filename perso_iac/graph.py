"""Dependency order of resources, from the references between them."""

from __future__ import annotations

import graphlib
from collections.abc import Iterable, Mapping

from .errors import SpecError


def topological_order(depends_on: Mapping[str, Iterable[str]]) -> list[str]:
    """Addresses with every dependency before its dependents; ties keep the given order.

    Dependencies outside the mapping are ignored (they are not part of this graph)."""
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for address, deps in depends_on.items():
        sorter.add(address, *[d for d in deps if d in depends_on])
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise SpecError(f"dependency cycle: {cycle}", hint="remove one of the references in the cycle") from exc
    position = {address: i for i, address in enumerate(depends_on)}
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=position.__getitem__)
        order.extend(ready)
        sorter.done(*ready)
    return order

