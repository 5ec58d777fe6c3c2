"""Bad input never escapes as a traceback: mutate every node of an example, expect a Spec or a SpecError."""

from __future__ import annotations

import copy
import graphlib
from pathlib import Path

import pytest
import yaml

from perso_iac.errors import Problem, SpecError
from perso_iac.spec.flatten import check_cycles
from perso_iac.spec.loader import load_spec
from perso_iac.spec.model import ResourceSpec, SourceLocation
from perso_iac.spec.validate import Problems
from perso_iac.spec.yamlsrc import parse_yaml

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "movielens" / "perso.yaml"
REPLACEMENTS = [None, 1, "x", [], {}, True, "${var.nope}", {"zz": 1}, -5, "a b", "$LATEST", "${x"]


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*path, i))


def test_spec_mutations_give_a_spec_or_a_spec_error(tmp_path):
    base = yaml.safe_load(EXAMPLE.read_text())
    (tmp_path / "schemas").mkdir()
    for src in (EXAMPLE.parent / "schemas").iterdir():
        (tmp_path / "schemas" / src.name).write_text(src.read_text())
    spec = tmp_path / "perso.yaml"
    checked = 0
    for i, path in enumerate(list(_paths(base))[1:]):
        for mutation in (REPLACEMENTS[i % len(REPLACEMENTS)], "DELETE"):
            data = copy.deepcopy(base)
            node = data
            for key in path[:-1]:
                node = node[key]
            if mutation == "DELETE":
                del node[path[-1]]
            else:
                node[path[-1]] = mutation
            spec.write_text(yaml.safe_dump(data))
            try:
                load_spec(spec, environ={})
            except SpecError as exc:
                for problem in getattr(exc, "problems", []):
                    assert isinstance(problem, Problem) and problem.line >= 1 and problem.col >= 1
            checked += 1
    assert checked > 100


def test_spec_dependency_cycle_is_a_problem():
    def r(address, *deps):
        return ResourceSpec(address=address, type="filter", name=address, params={}, depends_on=deps,
                            source=SourceLocation("perso.yaml", 3, 5))

    resources = {"a": r("a", "b"), "b": r("b", "c"), "c": r("c", "a"), "d": r("d")}
    problems = Problems(parse_yaml("x: 1\n", "perso.yaml"))
    check_cycles(resources, problems)
    [p] = problems.items
    assert p.message.startswith("dependency cycle: ") and (p.line, p.col) == (3, 5)
    with pytest.raises(graphlib.CycleError):  # the same graph, as the engine would see it
        graphlib.TopologicalSorter({a: x.depends_on for a, x in resources.items()}).prepare()


def test_spec_no_cycle_no_problem():
    problems = Problems(parse_yaml("x: 1\n", "perso.yaml"))
    spec = load_spec(EXAMPLE, environ={})
    check_cycles(spec.resources, problems)
    assert problems.items == []
