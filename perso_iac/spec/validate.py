"""Every check `perso validate` makes, without AWS: the JSON Schema, then the semantic rules.

`check_structure` maps each jsonschema error onto the YAML node it is about (file:line:col and a
dotted path) with a hint (unknown keys get "did you mean ...?"). `check_semantics` then checks
what a JSON Schema cannot: references resolve, AWS names follow the API's pattern and length and
are unique, one dataset per type per group, Avro schemas fit their dataset type, recipes exist and
are of the right kind, cost-bearing settings are explicit and consistent, tags, ARNs and S3
locations are well-formed, outputs name real resources. Both are defensive: they only look at
values of the right shape, so one mistake gives one problem, not a cascade.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from ..errors import Problem
from ..facts import filters as facts_filters
from . import avro, catalog
from .schema import DATASET_TYPES, KEY_PATTERN, NAME_PATTERN, spec_json_schema
from .variables import did_you_mean
from .yamlsrc import Document, dotted

PathT = tuple[str | int, ...]

NAME_RE = re.compile(NAME_PATTERN)
KEY_RE = re.compile(KEY_PATTERN)
ROLE_ARN_RE = re.compile(r"^arn:([a-z\d-]+):iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")
KMS_ARN_RE = re.compile(r"^arn:aws.*:kms:.*:[0-9]{12}:key/.*$")
S3_RE = re.compile(r"^(s3|http|https)://.+$")
PERSONALIZE_ARN_RE = re.compile(r"^arn:([a-z\d-]+):personalize:.*:.*:.+$")
SOLUTION_VERSION_ARN_RE = re.compile(r"^arn:([a-z\d-]+):personalize:[^:]*:\d{12}:solution/[^/]+/[^/]+$")
SCHEDULE_RE = re.compile(r"^rate\((\d+) days?\)$")
METRIC_EXPR_RE = re.compile(r"^\s*(SUM\(\s*(Interactions|Items)\.[A-Za-z_][A-Za-z0-9_]*\s*\)|SAMPLECOUNT\(\s*\))\s*$")
OUTPUT_REF_RE = re.compile(r"^\$\{([a-z_]+(?:\.[A-Za-z0-9_-]+)+)\.([A-Za-z]+)\}(.*)$", re.DOTALL)
MAX_NAME = 63
MAX_TAGS = 50

# Group sections: spec key -> resource type.
SECTIONS = {
    "datasets": "dataset",
    "solutions": "solution",
    "campaigns": "campaign",
    "event_trackers": "event_tracker",
    "filters": "filter",
    "recommenders": "recommender",
    "metric_attributions": "metric_attribution",
}
TAGGABLE = {"dataset_group", "dataset", "dataset_import", "solution", "solution_version", "campaign",
            "event_tracker", "filter", "recommender"}
# Parameters of each type, for lifecycle.ignore_changes.
PARAMS = {
    "schema": ("name", "schema", "domain"),
    "dataset_group": ("name", "domain", "roleArn", "kmsKeyArn"),
    "dataset": ("name", "datasetType", "schemaArn", "datasetGroupArn"),
    "solution": ("name", "datasetGroupArn", "recipeArn", "performAutoTraining", "performHPO", "performAutoML",
                 "performIncrementalUpdate", "eventType", "solutionConfig"),
    "campaign": ("name", "solutionVersionArn", "minProvisionedTPS", "campaignConfig"),
    "event_tracker": ("name", "datasetGroupArn"),
    "filter": ("name", "datasetGroupArn", "filterExpression"),
    "recommender": ("name", "datasetGroupArn", "recipeArn", "recommenderConfig", "state"),
    "metric_attribution": ("name", "datasetGroupArn", "metrics", "metricsOutputConfig"),
}
# Attributes a reference (in outputs) may name, per type: the adapters' outputs.
ATTRIBUTES = {
    "schema": ("arn",),
    "dataset_group": ("arn",),
    "dataset": ("arn", "trackingId"),
    "dataset_import": ("arn", "jobName"),
    "solution": ("arn", "latestActiveVersionArn"),
    "solution_version": ("arn", "trainingHours"),
    "campaign": ("arn",),
    "event_tracker": ("arn", "trackingId"),
    "filter": ("arn",),
    "recommender": ("arn",),
    "metric_attribution": ("arn",),
}
_COST_HINTS = {
    "performAutoTraining": "set performAutoTraining explicitly: AWS defaults it to true and then trains "
                           "(and bills training hours) every 7 days; use false and training.trigger: "
                           "on_change to train only when perso applies a change",
    "minProvisionedTPS": "set minProvisionedTPS explicitly (e.g. 1): a campaign bills for at least this many "
                         "transactions per second, every hour it exists",
}
_JSON_TYPES = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
               "object": "a mapping", "array": "a list", "null": "null"}


class Problems:
    """Collects problems located in a document; drops those at paths whose variables failed."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.items: list[Problem] = []
        self.poisoned: set[PathT] = set()

    def add(self, path: Sequence[str | int], message: str, hint: str | None = None, *, key: bool = False) -> None:
        path = tuple(path)
        if any(path[: len(p)] == p for p in self.poisoned if len(p) <= len(path)):
            return
        self.items.append(self.doc.problem(path, message, hint, key=key))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    def result(self) -> list[Problem]:
        seen: set[tuple] = set()
        out = []
        for p in self.items:
            ident = (p.file, p.line, p.col, p.path, p.message)
            if ident not in seen:
                seen.add(ident)
                out.append(p)
        return sorted(out, key=lambda p: (p.file != self.doc.file, p.file, p.line, p.col))


# -- JSON Schema ---------------------------------------------------------------------------------

_VALIDATOR = Draft202012Validator(spec_json_schema())


def check_structure(data: Any, problems: Problems) -> None:
    for error in _VALIDATOR.iter_errors(data):
        path = tuple(error.absolute_path)
        kind = error.validator
        inst = error.instance
        if kind == "additionalProperties" and isinstance(inst, dict):
            allowed = sorted(error.schema.get("properties", {}))
            for key in inst:
                if key not in allowed:
                    guess = did_you_mean(str(key), allowed)
                    hint = (f"did you mean '{guess}'?" if guess else
                            f"allowed here: {', '.join(allowed)}" if allowed else None)
                    problems.add((*path, key), f"unknown key '{key}'", hint, key=True)
        elif kind == "required" and isinstance(inst, dict):
            for key in error.validator_value:
                if key not in inst:
                    problems.add(path, f"missing required key '{key}'",
                                 _COST_HINTS.get(key) or f"add {key}: ...", key=True)
        elif kind == "propertyNames":
            continue  # reported by the nested pattern error
        elif kind == "pattern" and "propertyNames" in error.schema_path:
            problems.add((*path, inst), f"invalid key '{inst}'",
                         "keys use letters, digits, '-' and '_' and start with a letter or digit "
                         "(they become part of resource addresses)", key=True)
        elif kind == "type":
            wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
            text = " or ".join(_JSON_TYPES.get(w, w) for w in wanted)
            hint = "quote it to make it a string" if "string" in wanted and not isinstance(inst, dict | list) \
                else None
            problems.add(path, f"expected {text}, got {_describe(inst)}", hint)
        elif kind == "enum":
            options = [str(o) for o in error.validator_value]
            guess = did_you_mean(str(inst), options) if isinstance(inst, str) else None
            problems.add(path, f"{_describe(inst)} is not one of {', '.join(options)}",
                         f"did you mean '{guess}'?" if guess else None)
        elif kind == "const":
            problems.add(path, f"must be {json.dumps(error.validator_value)}, got {_describe(inst)}",
                         "this version of perso reads spec format version 1" if path == ("version",) else None)
        elif kind in ("minProperties", "maxProperties") and path == ("backend",):
            problems.add(path, "backend needs exactly one of 'local' and 's3'",
                         "e.g. backend: {local: {path: state/stack.json}}")
        elif kind == "pattern" and path == ("stack",):
            problems.add(path, f"invalid stack name {inst!r}",
                         "use letters, digits, '-' and '_', starting with a letter or digit")
        else:
            problems.add(path, error.message)


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return repr(value)
    return f"{type(value).__name__} {value!r}".replace("int ", "integer ").replace("float ", "number ")


# -- semantic checks -----------------------------------------------------------------------------

def _d(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _entries(value: Any) -> list[tuple[str, dict]]:
    """The well-formed entries of a keyed section (invalid keys are reported by the JSON Schema)."""
    return [(k, v) for k, v in _d(value).items() if isinstance(v, dict) and KEY_RE.match(str(k))]


def _s(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def normalize_dataset_type(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    folded = value.replace("-", "_").lower()
    for t in DATASET_TYPES:
        if t.lower() == folded or t.lower().replace("_", "") == folded.replace("_", ""):
            return t
    return None


@dataclass
class Checked:
    """What the semantic checks worked out, for the flattener."""

    schemas: dict[str, Any] = field(default_factory=dict)        # key -> parsed Avro object
    names: dict[PathT, str] = field(default_factory=dict)        # resource path -> AWS name
    addresses: dict[str, str] = field(default_factory=dict)      # address -> type


def group_name(key: str, group: Mapping[str, Any]) -> str:
    return _s(group.get("name")) or key


def nested_name(group_aws_name: str, key: str, entry: Mapping[str, Any]) -> str:
    return _s(entry.get("name")) or f"{group_aws_name}-{key}"


def check_semantics(data: Any, problems: Problems, base_dir: Path) -> Checked:
    checked = Checked()
    if not isinstance(data, dict):
        return checked
    by_type_names: dict[str, dict[str, PathT]] = {}

    def name_check(type_: str, path: PathT, name: str, explicit: bool, parent_ok: bool = True) -> bool:
        """Check an AWS name; returns whether it is valid. A default name derived from an invalid
        parent name is not reported again."""
        at = (*path, "name") if explicit else path
        if "${" in name and problems.poisoned:
            return False
        valid = bool(NAME_RE.match(name)) and len(name) <= MAX_NAME
        if not explicit and not parent_ok:
            pass
        elif not NAME_RE.match(name):
            problems.add(at, f"invalid {type_.replace('_', ' ')} name '{name}'",
                         "AWS names use letters, digits, '-' and '_' and start with a letter or digit"
                         + ("" if explicit else "; set name: explicitly"), key=not explicit)
        elif len(name) > MAX_NAME:
            problems.add(at, f"{type_.replace('_', ' ')} name '{name}' is {len(name)} characters long; "
                             f"AWS allows {MAX_NAME}",
                         "shorten it" if explicit else "set name: to a shorter name", key=not explicit)
        seen = by_type_names.setdefault(type_, {})
        if name in seen:
            problems.add(at, f"{type_.replace('_', ' ')} name '{name}' is already used by {dotted(seen[name])}",
                         "names of the same type must be unique in the account and region; set name: to "
                         "another value", key=not explicit)
        else:
            seen[name] = path
        checked.names[path] = name
        return valid

    check_backend(data, problems)
    defaults_tags = _d(_d(data.get("defaults")).get("tags"))
    check_tags(defaults_tags, ("defaults", "tags"), problems, {})

    # schemas
    schema_domains: dict[str, str | None] = {}
    for key, entry in _entries(data.get("schemas")):
        path: PathT = ("schemas", key)
        checked.addresses[f"schema.{key}"] = "schema"
        name_check("schema", path, _s(entry.get("name")) or key, "name" in entry)
        schema_domains[key] = _s(entry.get("domain"))
        check_lifecycle(entry, path, "schema", problems)
        obj = load_avro(entry, path, base_dir, problems)
        if obj is not None:
            checked.schemas[key] = obj

    # dataset groups
    for gkey, group in _entries(data.get("dataset_groups")):
        gpath: PathT = ("dataset_groups", gkey)
        checked.addresses[f"dataset_group.{gkey}"] = "dataset_group"
        gname = group_name(gkey, group)
        gname_ok = name_check("dataset_group", gpath, gname, "name" in group)
        domain = _s(group.get("domain"))
        check_arn(group, gpath, "roleArn", ROLE_ARN_RE, problems, "arn:aws:iam::123456789012:role/Name")
        check_arn(group, gpath, "kmsKeyArn", KMS_ARN_RE, problems, "arn:aws:kms:us-east-1:123456789012:key/ID")
        if "roleArn" in group and "kmsKeyArn" not in group:
            problems.add((*gpath, "roleArn"), "a dataset group's roleArn is only used with kmsKeyArn",
                         "add kmsKeyArn, or remove roleArn (imports take their own roleArn)")
        check_tags(_d(group.get("tags")), (*gpath, "tags"), problems, defaults_tags)
        check_lifecycle(group, gpath, "dataset_group", problems)
        sections = {s: dict(_entries(group.get(s))) for s in SECTIONS}
        for section, type_ in SECTIONS.items():
            for key, entry in sections[section].items():
                path = (*gpath, section, key)
                checked.addresses[f"{type_}.{gkey}.{key}"] = type_
                name_check(type_, path, nested_name(gname, key, entry), "name" in entry, gname_ok)
                if type_ in TAGGABLE:
                    check_tags(_d(entry.get("tags")), (*path, "tags"), problems, defaults_tags)
                check_lifecycle(entry, path, type_, problems)

        present_types = check_datasets(gkey, gpath, group, sections["datasets"], domain, schema_domains,
                                       checked, problems, defaults_tags)
        solutions = sections["solutions"]
        check_solutions(gkey, gpath, solutions, present_types, checked, problems, defaults_tags)
        check_campaigns(gpath, sections["campaigns"], solutions, problems)
        if len(sections["event_trackers"]) > 1:
            second = list(sections["event_trackers"])[1]
            problems.add((*gpath, "event_trackers", second), "a dataset group can have only one event tracker",
                         "remove all but one event tracker")
        check_filters(gpath, sections["filters"], present_types, problems, sections["datasets"], checked)
        check_recommenders(gpath, sections["recommenders"], domain, problems)
        check_metric_attributions(gpath, sections["metric_attributions"], present_types, problems)

    check_outputs(data, checked, problems)
    return checked


def check_backend(data: dict, problems: Problems) -> None:
    backend = _d(data.get("backend"))
    s3 = _d(backend.get("s3"))
    if "bucket" in s3 and isinstance(s3["bucket"], str) and not re.match(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$",
                                                                        s3["bucket"]):
        problems.add(("backend", "s3", "bucket"), f"invalid S3 bucket name '{s3['bucket']}'",
                     "bucket names are 3-63 lower-case letters, digits, '.' and '-'")


def check_arn(entry: Mapping[str, Any], path: PathT, key: str, pattern: re.Pattern[str], problems: Problems,
              example: str) -> None:
    value = entry.get(key)
    if isinstance(value, str) and (not pattern.match(value) or len(value) > (2048 if "kms" in key.lower()
                                                                               else 256)):
        problems.add((*path, key), f"invalid {key} '{value}'", f"expected an ARN like {example}")


def check_s3(entry: Mapping[str, Any], path: PathT, key: str, problems: Problems) -> None:
    value = entry.get(key)
    if isinstance(value, str) and (not S3_RE.match(value) or len(value) > 256):
        problems.add((*path, key), f"invalid S3 location '{value}'",
                     "expected s3://bucket/path (at most 256 characters)")


_TAG_CHARS = set("_.:/=+-@")


def _tag_text_ok(text: str) -> bool:
    return all(c.isalpha() or c.isspace() or c.isnumeric() or c in _TAG_CHARS for c in text)


def check_tags(tags: Mapping[str, Any], path: PathT, problems: Problems, defaults: Mapping[str, Any]) -> None:
    for key, value in tags.items():
        kp = (*path, key)
        if not 1 <= len(key) <= 128:
            problems.add(kp, f"tag key '{key}' must be 1 to 128 characters", key=True)
        elif key.lower().startswith("aws:"):
            problems.add(kp, f"tag key '{key}' uses the reserved prefix 'aws:'", "choose another key", key=True)
        elif not _tag_text_ok(key):
            problems.add(kp, f"tag key '{key}' has characters AWS does not allow",
                         "use letters, digits, spaces and _ . : / = + - @", key=True)
        if isinstance(value, str | int | float | bool):
            text = tag_value(value)
            if len(text) > 256:
                problems.add(kp, f"tag value of '{key}' is {len(text)} characters long; AWS allows 256")
            elif not _tag_text_ok(text):
                problems.add(kp, f"tag value of '{key}' has characters AWS does not allow",
                             "use letters, digits, spaces and _ . : / = + - @")
    total = len(set(tags) | set(defaults))
    if total > MAX_TAGS:
        problems.add(path, f"{total} tags (with defaults.tags); AWS allows {MAX_TAGS} per resource",
                     "remove some tags")


def tag_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_lifecycle(entry: Mapping[str, Any], path: PathT, type_: str, problems: Problems) -> None:
    lifecycle = _d(entry.get("lifecycle"))
    ignore = lifecycle.get("ignore_changes")
    if isinstance(ignore, str):
        if ignore != "all":
            problems.add((*path, "lifecycle", "ignore_changes"), f"ignore_changes must be a list or \"all\", "
                                                                  f"not '{ignore}'",
                         f"e.g. ignore_changes: [{PARAMS[type_][-1]}]")
        return
    if not isinstance(ignore, list):
        return
    known = list(PARAMS[type_]) + (["tags"] if type_ in TAGGABLE else [])
    for i, item in enumerate(ignore):
        if not isinstance(item, str):
            continue
        head = item.split(".", 1)[0]
        if item == "all":
            problems.add((*path, "lifecycle", "ignore_changes", i), "\"all\" replaces the list",
                         "write ignore_changes: all")
        elif head not in known:
            guess = did_you_mean(head, known)
            problems.add((*path, "lifecycle", "ignore_changes", i),
                         f"'{item}' is not a parameter of a {type_.replace('_', ' ')}",
                         f"did you mean '{guess}'?" if guess else f"parameters: {', '.join(known)}")


def load_avro(entry: Mapping[str, Any], path: PathT, base_dir: Path, problems: Problems) -> Any:
    """Read and check a schema's Avro definition; None when it can't be used."""
    has_inline, has_file = "schema" in entry, "schema_file" in entry
    if has_inline == has_file:
        problems.add(path, "a schema needs exactly one of 'schema' (inline) and 'schema_file'",
                     "keep one of the two" if has_inline else "add schema: {...} or schema_file: path.json",
                     key=True)
        return None
    if has_file:
        file_value = entry["schema_file"]
        if not isinstance(file_value, str):
            return None
        at: PathT = (*path, "schema_file")
        file = (base_dir / file_value)
        text, why = avro.read_schema_file(file, file_value)
        if text is None:
            problems.add(at, why or "cannot read the schema file", "schema_file is relative to the spec file")
            return None
        obj, issue = avro.parse_schema_json(text)
        if issue:
            problems.add(at, f"{file_value}: {issue}", "the schema file must hold one JSON object")
            return None
        return _report_avro(obj, at, problems, prefix=f"{file_value}: ")
    inline = entry["schema"]
    at = (*path, "schema")
    if isinstance(inline, str):
        obj, issue = avro.parse_schema_json(inline)
        if issue:
            problems.add(at, f"the schema string is not valid JSON: {issue}",
                         "write the schema as a YAML mapping, or as a JSON object string")
            return None
        return _report_avro(obj, at, problems, prefix="")
    if isinstance(inline, dict):
        return _report_avro(inline, at, problems, prefix=None)
    return None


def _report_avro(obj: Any, at: PathT, problems: Problems, prefix: str | None) -> Any:
    """Report general Avro issues: at the exact node for inline YAML, else at `at` with the inner path."""
    _, issues = avro.check_schema(obj)
    report_avro_issues(issues, at, problems, prefix)
    return obj if not issues else None


def report_avro_issues(issues: Iterable[avro.AvroIssue], at: PathT, problems: Problems, prefix: str | None,
                       suffix: str = "") -> None:
    for issue in issues:
        if prefix is None:
            problems.add((*at, *issue.path), issue.message + suffix, issue.hint)
        else:
            inner = dotted(issue.path)
            problems.add(at, f"{prefix}{inner + ': ' if inner else ''}{issue.message}{suffix}", issue.hint)


def check_datasets(gkey: str, gpath: PathT, group: dict, datasets: dict, domain: str | None,
                   schema_domains: dict[str, str | None], checked: Checked, problems: Problems,
                   defaults_tags: Mapping[str, Any]) -> set[str]:
    present: dict[str, str] = {}
    schema_keys = sorted(schema_domains)
    for key, ds in datasets.items():
        if not isinstance(ds, dict):
            continue
        path: PathT = (*gpath, "datasets", key)
        raw_type = ds.get("datasetType")
        dtype = normalize_dataset_type(raw_type)
        if isinstance(raw_type, str) and dtype is None:
            guess = did_you_mean(raw_type, DATASET_TYPES)
            problems.add((*path, "datasetType"), f"unknown datasetType '{raw_type}'",
                         f"did you mean '{guess}'?" if guess else f"one of {', '.join(DATASET_TYPES)}")
        if dtype is not None:
            if dtype in present:
                problems.add((*path, "datasetType"), f"dataset group '{gkey}' already has an {dtype} dataset "
                                                     f"('{present[dtype]}')",
                             "a dataset group holds at most one dataset of each type")
            else:
                present[dtype] = key
            if domain and dtype in ("Actions", "Action_Interactions"):
                problems.add((*path, "datasetType"), f"{dtype} datasets can't be created in a domain "
                                                     f"({domain}) dataset group",
                             "use a custom dataset group (no domain) for actions")
        schema_key = ds.get("schema")
        if isinstance(schema_key, str):
            if schema_key not in schema_domains:
                guess = did_you_mean(schema_key, schema_keys)
                problems.add((*path, "schema"), f"unknown schema '{schema_key}'",
                             f"did you mean '{guess}'?" if guess else
                             (f"schemas defined: {', '.join(schema_keys)}" if schema_keys else
                              "define it under schemas:"))
            else:
                sdomain = schema_domains[schema_key]
                if sdomain != domain:
                    problems.add((*path, "schema"),
                                 f"schema '{schema_key}' has domain {sdomain or 'none'} but dataset group "
                                 f"'{gkey}' has domain {domain or 'none'}",
                                 "a dataset's schema must have the same domain as its dataset group")
                obj = checked.schemas.get(schema_key)
                if obj is not None and dtype is not None:
                    issues = avro.check_for_dataset_type(obj, dtype, domain=domain)
                    report_schema_fit(schema_key, issues, path, problems)
        imp = ds.get("import")
        if isinstance(imp, dict):
            ipath = (*path, "import")
            check_s3(_d(imp.get("dataSource")), (*ipath, "dataSource"), "dataLocation", problems)
            check_arn(imp, ipath, "roleArn", ROLE_ARN_RE, problems, "arn:aws:iam::123456789012:role/Name")
            check_tags(_d(imp.get("tags")), (*ipath, "tags"), problems, defaults_tags)
            checked.addresses[f"dataset_import.{gkey}.{key}"] = "dataset_import"
    return set(present)


def report_schema_fit(schema_key: str, issues: list[avro.AvroIssue], dataset_path: PathT,
                      problems: Problems) -> None:
    """Report at the dataset's `schema:` reference: that's where the type and the schema meet."""
    for issue in issues:
        where = f" (at {dotted(issue.path)})" if len(issue.path) > 1 else ""
        problems.add((*dataset_path, "schema"), f"schema '{schema_key}': {issue.message}{where}", issue.hint)


def check_solutions(gkey: str, gpath: PathT, solutions: dict, present: set[str], checked: Checked,
                    problems: Problems, defaults_tags: Mapping[str, Any]) -> None:
    for key, sol in solutions.items():
        if not isinstance(sol, dict):
            continue
        path: PathT = (*gpath, "solutions", key)
        recipe_arn = sol.get("recipeArn")
        recipe = None
        if recipe_arn is None:
            if sol.get("performAutoML") is not True:
                problems.add(path, "missing required key 'recipeArn'",
                             "e.g. recipeArn: arn:aws:personalize:::recipe/aws-user-personalization-v2",
                             key=True)
        elif isinstance(recipe_arn, str):
            recipe = catalog.recipe_for(recipe_arn)
            if recipe is None:
                guess = did_you_mean(recipe_arn, catalog.custom_recipe_arns())
                problems.add((*path, "recipeArn"), f"unknown recipe '{recipe_arn}'",
                             f"did you mean '{guess}'?" if guess else
                             "use a built-in recipe ARN like arn:aws:personalize:::recipe/aws-user-personalization-v2")
            elif recipe.is_domain:
                problems.add((*path, "recipeArn"), f"'{recipe.name}' is a {recipe.domain} use case, not a "
                                                   "custom recipe",
                             "use it in recommenders: (in a domain dataset group), or pick a custom recipe")
                recipe = None
        if recipe is not None:
            missing = [t for t in recipe.needs if t not in present]
            if missing:
                problems.add((*path, "recipeArn"),
                             f"recipe '{recipe.name}' trains on {' and '.join(missing)} data, and dataset group "
                             f"'{gkey}' has no such dataset",
                             f"add a dataset with datasetType: {missing[0]}")
            if sol.get("performIncrementalUpdate") is True and not recipe.incremental_update:
                problems.add((*path, "performIncrementalUpdate"),
                             f"performIncrementalUpdate works only with aws-semantic-similarity, not {recipe.name}",
                             "remove performIncrementalUpdate")
        training = _d(sol.get("training"))
        if training.get("trainingMode") == "UPDATE" and recipe is not None and not recipe.update_training:
            problems.add((*path, "training", "trainingMode"),
                         f"trainingMode UPDATE works only with aws-user-personalization and aws-hrnn-coldstart, "
                         f"not {recipe.name}", "use trainingMode: FULL")
        if training.get("trigger", "on_change") == "on_change":
            checked.addresses[f"solution_version.{gkey}.{key}"] = "solution_version"
            check_tags(_d(training.get("tags")), (*path, "training", "tags"), problems, defaults_tags)
        schedule = _d(_d(sol.get("solutionConfig")).get("autoTrainingConfig")).get("schedulingExpression")
        if isinstance(schedule, str):
            m = SCHEDULE_RE.match(schedule)
            if not m or not 1 <= int(m.group(1)) <= 30:
                problems.add((*path, "solutionConfig", "autoTrainingConfig", "schedulingExpression"),
                             f"invalid schedulingExpression '{schedule}'",
                             "use rate(N days) with N from 1 to 30, e.g. rate(7 days)")
        if sol.get("performAutoML") is True and sol.get("performHPO") is True:
            pass  # allowed by the API


def check_campaigns(gpath: PathT, campaigns: dict, solutions: dict, problems: Problems) -> None:
    sol_keys = sorted(solutions)
    for key, camp in campaigns.items():
        if not isinstance(camp, dict):
            continue
        path: PathT = (*gpath, "campaigns", key)
        sol = camp.get("solution")
        if isinstance(sol, str) and sol not in solutions:
            guess = did_you_mean(sol, sol_keys)
            problems.add((*path, "solution"), f"no solution '{sol}' in dataset group '{gpath[1]}'",
                         f"did you mean '{guess}'?" if guess else
                         (f"solutions in this group: {', '.join(sol_keys)}" if sol_keys else
                          "define it under solutions: in the same dataset group"))
        if isinstance(sol, str) and sol in solutions:
            recipe = catalog.recipe_for(str(solutions[sol].get("recipeArn")))
            if recipe is not None and recipe.recipe_type == "USER_SEGMENTATION":
                problems.add((*path, "solution"), f"solution '{sol}' uses {recipe.name}, a user-segmentation "
                                                  "recipe that can't be deployed in a campaign",
                             "user-segmentation solutions are used by batch segment jobs; remove this campaign")
        version = camp.get("solutionVersion", "newest")
        if isinstance(version, str) and version not in ("newest", "$LATEST") \
                and not SOLUTION_VERSION_ARN_RE.match(version):
            problems.add((*path, "solutionVersion"), f"invalid solutionVersion '{version}'",
                         "use newest (the version perso trained last), $LATEST (follow automatic training), "
                         "or a solution version ARN")
        sync = _d(camp.get("campaignConfig")).get("syncWithLatestSolutionVersion")
        if sync is True and version != "$LATEST":
            problems.add((*path, "campaignConfig", "syncWithLatestSolutionVersion"),
                         "syncWithLatestSolutionVersion needs solutionVersion: $LATEST",
                         "set solutionVersion: $LATEST, or remove syncWithLatestSolutionVersion")
        if sync is False and version == "$LATEST":
            problems.add((*path, "campaignConfig", "syncWithLatestSolutionVersion"),
                         "solutionVersion $LATEST follows the newest version only with "
                         "syncWithLatestSolutionVersion true",
                         "remove syncWithLatestSolutionVersion (perso sets it), or pin a version")


def check_filters(gpath: PathT, filters: dict, present: set[str], problems: Problems,
                  datasets: Mapping[str, Any] | None = None, checked: Checked | None = None) -> None:
    """The filter grammar and CreateFilter's rules live in `perso_iac.facts.filters`."""
    fields = filter_datasets(present, datasets or {}, checked)
    texts = []
    for key, flt in filters.items():
        expr = flt.get("filterExpression") if isinstance(flt, dict) else None
        if not isinstance(expr, str):
            continue
        texts.append(expr)
        for issue in facts_filters.check(expr, fields):
            problems.add((*gpath, "filters", key, "filterExpression"), issue.text(), issue.hint)
    over = facts_filters.check_group(texts)
    if over is not None:
        problems.add((*gpath, "filters"), over.text(), over.hint)


def filter_datasets(present: set[str], datasets: Mapping[str, Any], checked: Checked | None) -> dict[str, Any]:
    """Dataset type -> its schema's fields (None when the schema could not be read)."""
    out: dict[str, Any] = {t: None for t in present}
    for ds in datasets.values():
        dtype = normalize_dataset_type(_d(ds).get("datasetType"))
        schema_key = _d(ds).get("schema")
        if dtype in out and checked is not None and isinstance(schema_key, str) and schema_key in checked.schemas:
            out[dtype] = avro.check_schema(checked.schemas[schema_key])[0] or None
    return out


def check_recommenders(gpath: PathT, recommenders: dict, domain: str | None, problems: Problems) -> None:
    for key, rec in recommenders.items():
        if not isinstance(rec, dict):
            continue
        path: PathT = (*gpath, "recommenders", key)
        if domain is None:
            problems.add(path, "recommenders exist only in domain dataset groups",
                         f"set domain: ECOMMERCE or VIDEO_ON_DEMAND on dataset group '{gpath[1]}', or use a "
                         "solution and a campaign", key=True)
        arn = rec.get("recipeArn")
        if not isinstance(arn, str):
            continue
        recipe = catalog.recipe_for(arn)
        options = catalog.domain_recipe_arns(domain)
        if recipe is None:
            guess = did_you_mean(arn, options or catalog.domain_recipe_arns())
            problems.add((*path, "recipeArn"), f"unknown recommender use case '{arn}'",
                         f"did you mean '{guess}'?" if guess else f"use one of {', '.join(options)}")
        elif not recipe.is_domain:
            problems.add((*path, "recipeArn"), f"'{recipe.name}' is a custom recipe; recommenders need a "
                                               "domain use case",
                         f"use one of {', '.join(options)}" if options else
                         "use a solution and a campaign for custom recipes")
        elif domain is not None and recipe.domain != domain:
            problems.add((*path, "recipeArn"), f"'{recipe.name}' is a {recipe.domain} use case but dataset group "
                                               f"'{gpath[1]}' is {domain}",
                         f"use one of {', '.join(options)}")


def check_metric_attributions(gpath: PathT, attributions: dict, present: set[str], problems: Problems) -> None:
    for key, attr in attributions.items():
        if not isinstance(attr, dict):
            continue
        path: PathT = (*gpath, "metric_attributions", key)
        metrics = attr.get("metrics")
        if isinstance(metrics, list):
            if len(metrics) > 10:
                problems.add((*path, "metrics"), f"{len(metrics)} metrics; AWS allows 10 per metric attribution")
            names: set[str] = set()
            for i, metric in enumerate(metrics):
                if not isinstance(metric, dict):
                    continue
                mname = metric.get("metricName")
                if isinstance(mname, str):
                    if mname in names:
                        problems.add((*path, "metrics", i, "metricName"), f"duplicate metricName '{mname}'")
                    names.add(mname)
                expr = metric.get("expression")
                if isinstance(expr, str):
                    if not METRIC_EXPR_RE.match(expr):
                        problems.add((*path, "metrics", i, "expression"), f"invalid metric expression '{expr}'",
                                     "use SAMPLECOUNT() or SUM(Interactions.COLUMN) / SUM(Items.COLUMN)")
                    else:
                        for ds in re.findall(r"(Interactions|Items)\.", expr):
                            if ds not in present:
                                problems.add((*path, "metrics", i, "expression"),
                                             f"the metric sums {ds} data, and dataset group '{gpath[1]}' has no "
                                             f"{ds} dataset", f"add a dataset with datasetType: {ds}")
        out = _d(attr.get("metricsOutputConfig"))
        opath = (*path, "metricsOutputConfig")
        check_arn(out, opath, "roleArn", ROLE_ARN_RE, problems, "arn:aws:iam::123456789012:role/Name")
        dest = _d(out.get("s3DataDestination"))
        check_s3(dest, (*opath, "s3DataDestination"), "path", problems)
        check_arn(dest, (*opath, "s3DataDestination"), "kmsKeyArn", KMS_ARN_RE, problems,
                  "arn:aws:kms:us-east-1:123456789012:key/ID")


def parse_output_ref(value: str) -> tuple[str, str, str] | None:
    """`${campaign.g.main.arn}/x` -> ("campaign.g.main", "arn", "/x")."""
    m = OUTPUT_REF_RE.match(value)
    if not m:
        return None
    return m.group(1), m.group(2), m.group(3)


def check_outputs(data: dict, checked: Checked, problems: Problems) -> None:
    addresses = sorted(checked.addresses)
    for name, out in _d(data.get("outputs")).items():
        if not isinstance(out, dict):
            continue
        value = out.get("value")
        if not isinstance(value, str):
            continue
        at: PathT = ("outputs", name, "value")
        stripped = value.replace("$${", "")
        if "${" not in stripped:
            continue
        ref = parse_output_ref(value)
        if ref is None or "${" in ref[2].replace("$${", ""):
            problems.add(at, "an output value is a literal, or one reference ${TYPE.GROUP.KEY.ATTRIBUTE} "
                             "optionally followed by literal text",
                         "e.g. value: ${campaign.movielens.main.arn}")
            continue
        address, attr, _ = ref
        type_ = checked.addresses.get(address)
        if type_ is None:
            guess = did_you_mean(address, addresses)
            problems.add(at, f"no resource '{address}' in this spec",
                         f"did you mean '{guess}'?" if guess else
                         "addresses are TYPE.KEY for schemas and groups, TYPE.GROUP.KEY for the rest")
        elif attr not in ATTRIBUTES[type_]:
            problems.add(at, f"a {type_.replace('_', ' ')} has no attribute '{attr}'",
                         f"attributes: {', '.join(ATTRIBUTES[type_])}")
