"""Flatten a checked spec document into the engine's `ResourceSpec`s and `OutputSpec`s.

Runs only on a document that passed `validate.py`, so it can trust shapes and references.
Resources come out in file order: schemas, then per dataset group the group itself followed by
its sections in the order they are written (each dataset followed by its import, each solution
by its training run).
"""

from __future__ import annotations

import graphlib
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..compare import refs_in
from ..errors import Problem
from .avro import canonical
from .model import Lifecycle, OutputSpec, Ref, ResourceSpec, SourceLocation
from .validate import (
    SECTIONS,
    TAGGABLE,
    Checked,
    Problems,
    group_name,
    nested_name,
    normalize_dataset_type,
    parse_output_ref,
    tag_value,
)
from .yamlsrc import Document

_STRING_MAPS = ("algorithmHyperParameters", "featureTransformationParameters", "itemExplorationConfig")
# hpoResourceConfig's counts are strings in the API
_STRING_SCALARS = ("maxNumberOfTrainingJobs", "maxParallelTrainingJobs")
# strings only at the top of the config: solutionConfig.eventValueThreshold is a string, but
# solutionConfig.eventsConfig.eventParametersList[].eventValueThreshold is a number (botocore model)
_TOP_STRING_SCALARS = ("eventValueThreshold",)
_SOLUTION_KEYS = ("performHPO", "performAutoML", "performIncrementalUpdate", "eventType", "solutionConfig")


class Flattener:
    def __init__(self, doc: Document, data: dict, checked: Checked) -> None:
        self.doc = doc
        self.data = data
        self.checked = checked
        self.resources: dict[str, ResourceSpec] = {}
        self.default_tags = _tags(data.get("defaults", {}).get("tags", {}))

    # -- helpers ---------------------------------------------------------------------------------
    def source(self, path: tuple) -> SourceLocation:
        pos = self.doc.locate(path, key=True)
        return SourceLocation(self.doc.file, pos.line, pos.col)

    def tags(self, type_: str, *own: Mapping[str, Any] | None) -> dict[str, str]:
        if type_ not in TAGGABLE:
            return {}
        out = dict(self.default_tags)
        for tags in own:
            out.update(_tags(tags or {}))
        return out

    def add(self, address: str, type_: str, name: str, params: dict[str, Any], path: tuple, *,
            tags: dict[str, str] | None = None, depends_on: tuple[str, ...] = (),
            triggers: tuple[Ref, ...] = (), lifecycle: Lifecycle | None = None) -> None:
        refs = [r.address for r in refs_in(params)]
        deps = tuple(dict.fromkeys([*refs, *depends_on]))
        self.resources[address] = ResourceSpec(
            address=address, type=type_, name=name, params=params, tags=tags or {}, depends_on=deps,
            triggers=triggers, lifecycle=lifecycle or Lifecycle(), source=self.source(path))

    # -- the walk --------------------------------------------------------------------------------
    def run(self) -> dict[str, ResourceSpec]:
        for key, entry in self.data.get("schemas", {}).items():
            path = ("schemas", key)
            params: dict[str, Any] = {"name": self.checked.names[path],
                                      "schema": canonical(self.checked.schemas[key])}
            if entry.get("domain"):
                params["domain"] = entry["domain"]
            self.add(f"schema.{key}", "schema", params["name"], params, path, lifecycle=_lifecycle(entry))
        for gkey, group in self.data.get("dataset_groups", {}).items():
            self.group(gkey, group)
        return self.resources

    def group(self, gkey: str, group: dict) -> None:
        gpath = ("dataset_groups", gkey)
        gname = group_name(gkey, group)
        params: dict[str, Any] = {"name": gname}
        for k in ("domain", "roleArn", "kmsKeyArn"):
            if k in group:
                params[k] = group[k]
        gaddr = f"dataset_group.{gkey}"
        self.add(gaddr, "dataset_group", gname, params, gpath, tags=self.tags("dataset_group", group.get("tags")),
                 lifecycle=_lifecycle(group))
        dsg = Ref(gaddr)
        datasets = tuple(f"dataset.{gkey}.{k}" for k in group.get("datasets", {}))
        imports = tuple(f"dataset_import.{gkey}.{k}" for k, d in group.get("datasets", {}).items() if "import" in d)
        solutions = group.get("solutions", {})
        for section in group:
            if section not in SECTIONS:
                continue
            for key, entry in group[section].items():
                path = (*gpath, section, key)
                name = nested_name(gname, key, entry)
                ctx = _Ctx(gkey, key, name, path, dsg, datasets, imports, entry)
                getattr(self, section)(ctx, solutions)

    def datasets(self, c: _Ctx, _solutions: dict) -> None:
        e = c.entry
        address = f"dataset.{c.gkey}.{c.key}"
        params = {"name": c.name, "datasetType": normalize_dataset_type(e["datasetType"]),
                  "schemaArn": Ref(f"schema.{e['schema']}"), "datasetGroupArn": c.dsg}
        self.add(address, "dataset", c.name, params, c.path, tags=self.tags("dataset", e.get("tags")),
                 lifecycle=_lifecycle(e))
        imp = e.get("import")
        if imp is not None:
            iparams: dict[str, Any] = {"datasetArn": Ref(address), "dataSource": dict(imp["dataSource"])}
            if "roleArn" in imp:
                iparams["roleArn"] = imp["roleArn"]
            iparams["importMode"] = imp.get("importMode", "FULL")
            if "publishAttributionMetricsToS3" in imp:
                iparams["publishAttributionMetricsToS3"] = imp["publishAttributionMetricsToS3"]
            self.add(f"dataset_import.{c.gkey}.{c.key}", "dataset_import", f"{c.name}-import", iparams,
                     (*c.path, "import"), tags=self.tags("dataset_import", e.get("tags"), imp.get("tags")))

    def solutions(self, c: _Ctx, _solutions: dict) -> None:
        e = c.entry
        address = f"solution.{c.gkey}.{c.key}"
        params: dict[str, Any] = {"name": c.name, "datasetGroupArn": c.dsg}
        if "recipeArn" in e:
            params["recipeArn"] = e["recipeArn"]
        params["performAutoTraining"] = e["performAutoTraining"]
        for k in _SOLUTION_KEYS:
            if k in e:
                params[k] = _stringify_maps(e[k])
        self.add(address, "solution", c.name, params, c.path, tags=self.tags("solution", e.get("tags")),
                 depends_on=c.datasets, lifecycle=_lifecycle(e))
        training = e.get("training") or {}
        if training.get("trigger", "on_change") == "on_change":
            triggers = tuple(Ref(i, "arn") for i in c.imports)
            self.add(f"solution_version.{c.gkey}.{c.key}", "solution_version", c.name,
                     {"solutionArn": Ref(address), "trainingMode": training.get("trainingMode", "FULL")},
                     (*c.path, "training") if "training" in e else c.path,
                     tags=self.tags("solution_version", e.get("tags"), training.get("tags")),
                     depends_on=c.imports, triggers=triggers)

    def campaigns(self, c: _Ctx, solutions: dict) -> None:
        e = c.entry
        sol_key = e["solution"]
        sol_addr = f"solution.{c.gkey}.{sol_key}"
        version = e.get("solutionVersion", "newest")
        config = _stringify_maps(dict(e.get("campaignConfig") or {}))
        deps: tuple[str, ...] = ()
        trains = (solutions[sol_key].get("training") or {}).get("trigger", "on_change") == "on_change"
        if version == "newest":
            svarn: Any = (Ref(f"solution_version.{c.gkey}.{sol_key}") if trains
                          else Ref(sol_addr, "latestActiveVersionArn"))
        elif version == "$LATEST":
            svarn = Ref(sol_addr, "arn", suffix="/$LATEST")
            config["syncWithLatestSolutionVersion"] = True
            if trains:  # AWS refuses a $LATEST campaign until a version is ACTIVE: wait for perso's training
                deps = (f"solution_version.{c.gkey}.{sol_key}",)
        else:
            svarn = version
            deps = (sol_addr,)
        params: dict[str, Any] = {"name": c.name, "solutionVersionArn": svarn,
                                  "minProvisionedTPS": e["minProvisionedTPS"]}
        if config:
            params["campaignConfig"] = config
        self.add(f"campaign.{c.gkey}.{c.key}", "campaign", c.name, params, c.path,
                 tags=self.tags("campaign", e.get("tags")), depends_on=deps, lifecycle=_lifecycle(e))

    def event_trackers(self, c: _Ctx, _solutions: dict) -> None:
        self.add(f"event_tracker.{c.gkey}.{c.key}", "event_tracker", c.name,
                 {"name": c.name, "datasetGroupArn": c.dsg}, c.path,
                 tags=self.tags("event_tracker", c.entry.get("tags")), depends_on=c.datasets,
                 lifecycle=_lifecycle(c.entry))

    def filters(self, c: _Ctx, _solutions: dict) -> None:
        self.add(f"filter.{c.gkey}.{c.key}", "filter", c.name,
                 {"name": c.name, "datasetGroupArn": c.dsg, "filterExpression": c.entry["filterExpression"]},
                 c.path, tags=self.tags("filter", c.entry.get("tags")), depends_on=c.datasets,
                 lifecycle=_lifecycle(c.entry))

    def recommenders(self, c: _Ctx, _solutions: dict) -> None:
        e = c.entry
        params: dict[str, Any] = {"name": c.name, "datasetGroupArn": c.dsg, "recipeArn": e["recipeArn"]}
        if "recommenderConfig" in e:
            params["recommenderConfig"] = _stringify_maps(e["recommenderConfig"])
        params["state"] = e.get("state", "ACTIVE")
        self.add(f"recommender.{c.gkey}.{c.key}", "recommender", c.name, params, c.path,
                 tags=self.tags("recommender", e.get("tags")), depends_on=c.datasets, lifecycle=_lifecycle(e))

    def metric_attributions(self, c: _Ctx, _solutions: dict) -> None:
        e = c.entry
        params = {"name": c.name, "datasetGroupArn": c.dsg, "metrics": [dict(m) for m in e["metrics"]],
                  "metricsOutputConfig": e["metricsOutputConfig"]}
        self.add(f"metric_attribution.{c.gkey}.{c.key}", "metric_attribution", c.name, params, c.path,
                 depends_on=c.datasets, lifecycle=_lifecycle(e))


class _Ctx:
    def __init__(self, gkey: str, key: str, name: str, path: tuple, dsg: Ref, datasets: tuple[str, ...],
                 imports: tuple[str, ...], entry: dict) -> None:
        self.gkey, self.key, self.name, self.path = gkey, key, name, path
        self.dsg, self.datasets, self.imports, self.entry = dsg, datasets, imports, entry


def _lifecycle(entry: Mapping[str, Any]) -> Lifecycle:
    lc = entry.get("lifecycle") or {}
    ignore = lc.get("ignore_changes", ())
    return Lifecycle(prevent_destroy=bool(lc.get("prevent_destroy", False)),
                     ignore_changes=("*",) if ignore == "all" else tuple(ignore))


def _tags(tags: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): tag_value(v) for k, v in tags.items()}


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _stringify_maps(value: Any, top: bool = True) -> Any:
    """Where the API wants text, YAML numbers are accepted (`hidden_dimension: 100` -> "100")."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in _STRING_MAPS and isinstance(v, dict):
                out[k] = {mk: _scalar_text(mv) for mk, mv in v.items()}
            elif (k in _STRING_SCALARS or (top and k in _TOP_STRING_SCALARS)) and not isinstance(v, dict | list):
                out[k] = _scalar_text(v)
            else:
                out[k] = _stringify_maps(v, top=False)
        return out
    if isinstance(value, list):
        return [_stringify_maps(v, top=False) for v in value]
    return value


def build_outputs(doc: Document, data: dict) -> dict[str, OutputSpec]:
    out: dict[str, OutputSpec] = {}
    for name, entry in (data.get("outputs") or {}).items():
        value = entry.get("value")
        if isinstance(value, str):
            ref = parse_output_ref(value)
            value = Ref(ref[0], ref[1], ref[2].replace("$${", "${")) if ref else value.replace("$${", "${")
        pos = doc.locate(("outputs", name), key=True)
        out[name] = OutputSpec(name=name, value=value, description=entry.get("description", ""),
                               source=SourceLocation(doc.file, pos.line, pos.col))
    return out


def check_cycles(resources: Mapping[str, ResourceSpec], problems: Problems) -> None:
    graph = {a: [d for d in r.depends_on if d in resources] for a, r in resources.items()}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        first = resources[cycle[0]]
        problems.items.append(_problem_at(first, "dependency cycle: " + " -> ".join(cycle),
                                          "break the cycle: a resource can't depend on itself"))


def _problem_at(r: ResourceSpec, message: str, hint: str) -> Problem:
    src = r.source
    return Problem(src.file if src else "", src.line if src else 1, src.col if src else 1, r.address, message, hint)


def digest(resources: Mapping[str, ResourceSpec], outputs: Mapping[str, OutputSpec]) -> str:
    def enc(value: Any) -> Any:
        if isinstance(value, Ref):
            return str(value)
        if isinstance(value, Mapping):
            return {str(k): enc(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [enc(v) for v in value]
        if isinstance(value, Path):
            return str(value)
        return value

    doc = {
        "resources": {a: {"type": r.type, "name": r.name, "params": enc(r.params), "tags": enc(r.tags),
                          "depends_on": list(r.depends_on), "triggers": [str(t) for t in r.triggers],
                          "lifecycle": {"prevent_destroy": r.lifecycle.prevent_destroy,
                                        "ignore_changes": list(r.lifecycle.ignore_changes)}}
                      for a, r in resources.items()},
        "outputs": {n: {"value": enc(o.value), "description": o.description} for n, o in outputs.items()},
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
