"""Saved plans: `perso plan --out plan.json`, then `perso apply plan.json`.

A saved plan records everything apply needs, so `perso apply plan.json` takes no `-f` or
`--state`: the changes themselves (with unknown values kept as references), the resolved
resources of the spec they came from, where the state lives, the state's lineage and serial,
the digest of the resolved spec, and a snapshot (with a digest per address) of the live
resources the plan was computed from.

Apply refuses a saved plan that no longer describes reality, and says what moved:
- the state: another lineage (a different state), or a higher serial (written since);
- the spec: the file the plan came from now resolves to another digest;
- the live resources: an address whose observed snapshot digest differs (changed, created or
  deleted outside perso since the plan).

The file is JSON: readable in review, and it carries the same `resource_changes` as
`perso plan --format json`, so policy tools (OPA/conftest) can check the very file that will
be applied. It holds no credentials: only resource parameters (which the plan shows anyway),
paths and the state location; backend settings that look like secrets are dropped.

No AWS and no printing here: the CLI loads, checks and applies.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import secrets as secrets_mod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from . import __version__
from .artifacts import is_s3, read_text, write_text
from .aws import AwsSettings
from .errors import PlanFileError, SpecError, StaleStateError
from .plan import PLAN_FORMAT_VERSION, Action, Change, Plan, PlanOptions, Reason, legacy_reason
from .resources.base import Observed
from .spec.flatten import digest as spec_digest
from .spec.model import Lifecycle, OutputSpec, Ref, ResourceSpec, Spec
from .spec.readfile import read_bounded
from .state.checks import ARN_SEGMENTS, newer_than_us, too_deep, version_tuple
from .state.model import StateFile

PLANFILE_KIND = "perso-saved-plan"
PLANFILE_FORMAT_VERSION = PLAN_FORMAT_VERSION
MAX_PLAN_BYTES = 256 * 1024 * 1024  # refused before reading; a plan of 1,000 resources is a few MB
_SECRET_KEY = re.compile(r"secret|password|passwd|token|credential|access_key|private", re.IGNORECASE)


# -- values: Refs and plain JSON -----------------------------------------------------------------

def encode_value(value: Any) -> Any:
    """JSON-ready copy of `value`; a Ref becomes {"$ref": address, "attr": ..., "suffix": ...}."""
    if isinstance(value, Ref):
        return {"$ref": value.address, "attr": value.attr, "suffix": value.suffix}
    if isinstance(value, Mapping):
        out = {str(k): encode_value(v) for k, v in value.items()}
        return {"$literal": out} if "$ref" in out or "$literal" in out else out
    if isinstance(value, list | tuple):
        return [encode_value(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # datetimes and the like, from AWS responses


def decode_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        if "$ref" in value:
            return Ref(str(value["$ref"]), str(value.get("attr", "arn")), str(value.get("suffix", "")))
        if set(value) == {"$literal"}:
            return {k: decode_value(v) for k, v in value["$literal"].items()}
        return {k: decode_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    return json.dumps(encode_value(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(value: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(value).encode()).hexdigest()


# -- the live snapshot ---------------------------------------------------------------------------

def snapshot(observed: Mapping[str, Observed | None]) -> dict[str, dict[str, Any] | None]:
    """What a plan was computed from, per address: None when the resource did not exist.

    The phase is coarse on purpose: a resource settling from pending to ready is not a change,
    but one that failed, is being deleted or is gone is.
    """
    out: dict[str, dict[str, Any] | None] = {}
    for address in sorted(observed):
        obs = observed[address]
        if obs is None or obs.phase.value in ("gone", "deleting"):
            out[address] = None
            continue
        body = {"arn": obs.arn, "phase": "failed" if obs.phase.value == "failed" else "present",
                "params": encode_value(dict(obs.params)),
                "outputs": sha256({k: v for k, v in obs.outputs.items() if k != "arn"})}
        out[address] = dict(body, digest=sha256(body))
    return out


def snapshot_digest(snap: Mapping[str, Mapping[str, Any] | None]) -> str:
    return sha256({a: (s["digest"] if s else None) for a, s in sorted(snap.items())})


# -- changes and resources -----------------------------------------------------------------------

def encode_change(change: Change) -> dict[str, Any]:
    return {
        "address": change.address, "type": change.type, "action": change.action.value,
        "reason": change.reason.value, "name": change.name, "arn": change.arn,
        "before": encode_value(change.before), "after": encode_value(change.after),
        "tags_before": encode_value(change.tags_before), "tags_after": encode_value(change.tags_after),
        "changed_paths": list(change.changed_paths), "replace_paths": list(change.replace_paths),
        "depends_on": list(change.depends_on), "prior_depends_on": list(change.prior_depends_on),
        "triggers": [encode_value(t) for t in change.triggers],
        "is_intent": change.is_intent, "pending": change.pending, "adopt": change.adopt,
        "gone": change.gone, "detail": change.detail, "moved_from": change.moved_from,
        "spec_name": change.spec_name,
        "create_before_destroy": change.create_before_destroy, "cbd_why": change.cbd_why,
        "hint": change.hint,
    }


def decode_change(data: Mapping[str, Any]) -> Change:
    triggers = tuple(decode_value(t) for t in data.get("triggers", []))
    if not all(isinstance(t, Ref) for t in triggers):
        raise ValueError(f"{data.get('address')}: a trigger is not a reference")
    return Change(
        address=str(data["address"]), type=str(data["type"]), action=Action(data["action"]),
        reason=legacy_reason(Reason(data.get("reason", "none")), pending=bool(data.get("pending", False)),
                             adopt=bool(data.get("adopt", False)), gone=bool(data.get("gone", False))), name=str(data.get("name", "")), arn=data.get("arn"),
        before=decode_value(data.get("before")), after=decode_value(data.get("after")),
        tags_before=decode_value(data.get("tags_before")), tags_after=decode_value(data.get("tags_after")),
        changed_paths=tuple(data.get("changed_paths", ())), replace_paths=tuple(data.get("replace_paths", ())),
        depends_on=tuple(data.get("depends_on", ())), prior_depends_on=tuple(data.get("prior_depends_on", ())),
        triggers=triggers, is_intent=bool(data.get("is_intent", False)), detail=str(data.get("detail", "")),
        moved_from=str(data.get("moved_from") or ""), spec_name=str(data.get("spec_name") or ""),
        create_before_destroy=bool(data.get("create_before_destroy", False)), cbd_why=str(data.get("cbd_why") or ""),
        hint=str(data.get("hint") or ""),
    )


def encode_resource(res: ResourceSpec) -> dict[str, Any]:
    return {
        "address": res.address, "type": res.type, "name": res.name, "params": encode_value(dict(res.params)),
        "tags": dict(res.tags), "depends_on": list(res.depends_on),
        "triggers": [encode_value(t) for t in res.triggers],
        "lifecycle": {"prevent_destroy": res.lifecycle.prevent_destroy,
                      "ignore_changes": list(res.lifecycle.ignore_changes),
                      "create_before_destroy": res.lifecycle.create_before_destroy},
    }


def decode_resource(data: Mapping[str, Any]) -> ResourceSpec:
    lifecycle = data.get("lifecycle") or {}
    return ResourceSpec(
        address=str(data["address"]), type=str(data["type"]), name=str(data["name"]),
        params=decode_value(data.get("params") or {}), tags=dict(data.get("tags") or {}),
        depends_on=tuple(data.get("depends_on", ())),
        triggers=tuple(decode_value(t) for t in data.get("triggers", [])),
        lifecycle=Lifecycle(prevent_destroy=bool(lifecycle.get("prevent_destroy", False)),
                            ignore_changes=tuple(lifecycle.get("ignore_changes", ())),
                            create_before_destroy=lifecycle.get("create_before_destroy")),
    )


def redact(config: Any) -> Any:
    """A backend configuration without anything that looks like a credential."""
    if isinstance(config, Mapping):
        return {k: redact(v) for k, v in config.items() if not _SECRET_KEY.search(str(k))}
    if isinstance(config, list):
        return [redact(v) for v in config]
    return config


# -- the saved plan ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Origin:
    """Where a plan came from, so apply can rebuild the workspace without `-f` or `--state`."""

    spec_file: str                              # as given (relative to the working directory) or absolute
    variables: Mapping[str, str] = field(default_factory=dict)   # --var KEY=VALUE
    var_files: tuple[str, ...] = ()
    state: str | None = None                    # --state, when given
    backend: Mapping[str, Any] | None = None    # the spec's backend block (secrets dropped)
    backend_description: str = ""               # e.g. s3://bucket/key
    region: str | None = None
    local: bool = False                         # made against the embedded emulator (--local)


@dataclass(frozen=True)
class SavedPlan:
    plan: Plan
    resources: Mapping[str, ResourceSpec]
    outputs: Mapping[str, OutputSpec]
    origin: Origin
    observed: Mapping[str, Mapping[str, Any] | None]
    observed_digest: str
    perso_version: str
    created: str = ""
    document: Mapping[str, Any] = field(default_factory=dict)
    sensitive: Mapping[str, str] = field(default_factory=dict, repr=False)  # given again (PERSO_VAR_NAME)

    def spec(self) -> Spec:
        """The resolved spec the plan was made from (enough to observe and apply)."""
        return Spec(path=Path(self.origin.spec_file), stack=self.plan.stack, resources=dict(self.resources),
                    region=self.origin.region, backend=self.origin.backend, outputs=dict(self.outputs),
                    digest=self.plan.spec_digest, sensitive=dict(self.sensitive))


def build_document(
    plan: Plan,
    spec: Spec,
    observed: Mapping[str, Observed | None],
    origin: Origin,
    *,
    report: Mapping[str, Any] | None = None,
    created: str = "",
) -> dict[str, Any]:
    """The saved plan as a JSON document. `report` (the `--format json` plan) is merged in so
    that policy tools read the same `resource_changes` as from `perso plan --format json`."""
    snap = snapshot(observed)
    doc: dict[str, Any] = dict(report or {})
    doc.update({
        "format_version": PLANFILE_FORMAT_VERSION,
        "kind": PLANFILE_KIND,
        "perso_version": __version__,
        "created": created,
        "stack": plan.stack,
        "lineage": plan.lineage,
        "serial": plan.serial,
        "spec_digest": plan.spec_digest,
        "observed_digest": snapshot_digest(snap),
        "destroy": plan.destroy,
        "options": plan.options.to_dict(),
        "origin": {
            "spec_file": origin.spec_file, "variables": dict(origin.variables),
            "var_files": list(origin.var_files), "state": origin.state,
            "backend": redact(origin.backend) if origin.backend is not None else None,
            "backend_description": origin.backend_description, "region": origin.region, "local": origin.local,
        },
        "planned_changes": [encode_change(c) for c in plan.changes],
        "warnings": list(plan.warnings),
        "resources": [encode_resource(r) for r in spec.resources.values()],
        "outputs": [{"name": o.name, "value": encode_value(o.value), "description": o.description}
                    for o in spec.outputs.values()],
        "observed": snap,
    })
    if spec.sensitive:
        doc = redact_sensitive(doc, spec.sensitive)
        doc["sensitive"] = {name: _seal(value) for name, value in sorted(spec.sensitive.items())}
    doc.pop("checksum", None)
    doc["checksum"] = sha256(doc)
    return doc


# -- sensitive variables -------------------------------------------------------------------------

def _marker(name: str) -> str:
    return f"(sensitive:{name})"


def _seal(value: str, salt: str | None = None) -> dict[str, str]:
    """What a plan keeps of a sensitive value: enough to recognise it, not to read it."""
    salt = salt if salt is not None else secrets_mod.token_hex(16)
    return {"salt": salt, "sha256": hashlib.sha256((salt + value).encode()).hexdigest()}


def _replace_strings(value: Any, pairs: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        for old, new in pairs:
            if old and old in value:
                value = value.replace(old, new)
        return value
    if isinstance(value, Mapping):
        return {_replace_strings(k, pairs): _replace_strings(v, pairs) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_strings(v, pairs) for v in value]
    return value


def redact_sensitive(document: Any, values: Mapping[str, str]) -> Any:
    """`document` with every text occurrence of a sensitive value replaced by `(sensitive:NAME)`."""
    pairs = sorted(((v, _marker(k)) for k, v in values.items() if v), key=lambda p: -len(p[0]))
    return _replace_strings(document, pairs)


def redact_plan(plan: Plan, values: Mapping[str, str]) -> Plan:
    """A copy of `plan` to show (text, JSON, markdown): sensitive values replaced by `(sensitive:NAME)`."""
    if not values:
        return plan
    changes = tuple(decode_change(redact_sensitive(encode_change(c), values)) for c in plan.changes)
    return dataclasses.replace(plan, changes=changes)


def _unredact(doc: dict[str, Any], source: Path,
              environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The document with its sensitive values given again (PERSO_VAR_NAME) and checked against their seals."""
    sealed = doc.get("sensitive") or {}
    if not isinstance(sealed, Mapping):
        raise PlanFileError(f"the plan file {source} is not a valid perso plan ('sensitive' is not an object)")
    values: dict[str, str] = {}
    for name, seal in sealed.items():
        key = f"PERSO_VAR_{name}"
        if key not in environ:
            raise PlanFileError(
                f"the plan {source} was made with the sensitive variable '{name}', whose value it does not keep; "
                "nothing was applied", hint=f"set {key} to the value the plan was made with, then apply it again")
        if not isinstance(seal, Mapping) or _seal(environ[key], str(seal.get("salt", ""))) != dict(seal):
            raise PlanFileError(
                f"{key} is not the value of the sensitive variable '{name}' the plan {source} was made with; "
                "nothing was applied", hint=f"set {key} to that value, or re-plan with the new one")
        values[name] = environ[key]
    pairs = sorted(((_marker(k), v) for k, v in values.items()), key=lambda p: -len(p[0]))
    body = {k: v for k, v in doc.items() if k not in ("sensitive", "checksum")}
    return _replace_strings(body, pairs), values


def write_plan_file(path: str | Path, document: Mapping[str, Any],
                    settings: AwsSettings | None = None) -> str | Path:
    """Write the plan 0600 (like state files, whatever the umask): it holds the stack's parameters.
    An s3:// URL is written with perso's S3 client (for workers that keep no disk)."""
    if is_s3(path):
        write_text(path, json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n", settings)
        return path
    target = Path(path)
    if target.is_dir():
        raise PlanFileError(f"cannot write the plan to {target}: it is a directory",
                            hint=f"name a file, e.g. --out {target / 'plan.json'}")
    tmp = target.with_name(target.name + ".tmp")
    text = json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    try:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()  # a leftover could be someone else's file, with other permissions
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(text)
        tmp.replace(target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise PlanFileError(f"cannot write the plan to {target}: {exc.strerror or exc}",
                            hint="check the directory exists and is writable") from None
    return target


def _version_tuple(text: str) -> tuple[int, ...]:
    return version_tuple(text)


def _refs(value: Any) -> list[Ref]:
    if isinstance(value, Ref):
        return [value]
    if isinstance(value, Mapping):
        return [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list | tuple):
        return [r for v in value for r in _refs(v)]
    return []


def _outside_its_spec(plan: Plan, resources: Mapping[str, ResourceSpec],
                      outputs: Mapping[str, OutputSpec]) -> list[str]:
    """Why a plan is not one perso made from the resources it carries (empty: it is).

    The resources must hash to the plan's spec digest (which apply compares with the spec file),
    and every change and reference must stay within them; deletes are checked against the state
    by `state_moved`."""
    out = []
    if plan.spec_digest and spec_digest(resources, outputs) != plan.spec_digest:
        out.append("its resources do not match the spec digest it records")
    for res in resources.values():
        out += [f"{res.address} refers to {ref.address}, which is not in the plan's spec"
                for ref in (*_refs(res.params), *res.triggers) if ref.address not in resources]
        out += [f"{res.address} depends on {dep}, which is not in the plan's spec"
                for dep in res.depends_on if dep not in resources]
    for change in plan.changes:
        where = change.address
        if change.type not in ARN_SEGMENTS or not where.startswith(f"{change.type}."):
            out.append(f"{where}: not an address of a {change.type!r} resource")
            continue
        spec_res = resources.get(where)
        if spec_res is not None and spec_res.type != change.type:
            out.append(f"{where}: a {change.type} in the change, a {spec_res.type} in the spec")
        if change.action is not Action.DELETE and spec_res is None and not plan.destroy:
            out.append(f"{where}: a {change.action.value} of a resource that is not in the plan's spec")
        out += [f"{where} refers to {ref.address}, which is not in the plan's spec"
                for ref in (*_refs(change.after), *change.triggers) if ref.address not in resources]
    return out


def _outside_its_state(saved: SavedPlan, state: StateFile) -> list[str]:
    """Changes of resources the state does not hold as the plan says (forged or edited plans)."""
    out = []
    for change in saved.plan.changes:
        held = state.resources.get(change.address)
        existing = change.action in (Action.UPDATE, Action.DELETE) or \
            (change.action is Action.REPLACE and not change.gone and not change.adopt)
        if held is None:
            if existing and change.arn and change.address not in saved.resources:
                out.append(f"{change.address}: a {change.action.value} of a resource that is neither in the "
                           "plan's spec nor in the state")
            continue
        if held.type != change.type:
            out.append(f"{change.address}: a {change.type} in the plan, a {held.type} in the state")
        elif change.arn and held.arn and change.arn != held.arn and existing:
            out.append(f"{change.address}: the plan acts on {change.arn}, the state holds {held.arn}")
    return out


def read_plan_file(path: str | Path, environ: Mapping[str, str] | None = None, *,
                   settings: AwsSettings | None = None) -> SavedPlan:
    """Load and check a saved plan (a path, or an s3:// URL read with `settings`); PlanFileError
    (never a traceback) when it cannot be used.

    A plan made with sensitive variables needs their values again, from `environ` (PERSO_VAR_NAME)."""
    source = path if is_s3(path) else Path(path)
    replan = "make a new one with `perso plan --out FILE`"
    try:
        if is_s3(source):
            text = read_text(source, settings)
            if len(text) > MAX_PLAN_BYTES:
                raise PlanFileError(f"the plan file {source} is larger than {MAX_PLAN_BYTES} bytes; "
                                    "nothing was applied", hint="pass the file written by `perso plan --out FILE`")
        else:
            text = read_bounded(source, "plan file", MAX_PLAN_BYTES)
    except FileNotFoundError:
        raise PlanFileError(f"the plan file {source} does not exist", hint=replan) from None
    except SpecError as exc:  # a directory, a device, a FIFO, too large, not UTF-8, NUL bytes
        raise PlanFileError(f"{exc.message} (corrupt, or not a saved plan); nothing was applied",
                            hint="pass the file written by `perso plan --out FILE`") from None
    try:
        doc = json.loads(text)
        if too_deep(doc):
            raise ValueError("nested too deeply")
    except (RecursionError, ValueError) as exc:
        if not isinstance(exc, json.JSONDecodeError):
            raise PlanFileError(f"the plan file {source} is not a valid perso plan ({exc}); nothing was applied",
                                hint=replan) from None
        if PurePosixPath(str(source)).suffix in (".yaml", ".yml"):
            raise PlanFileError(f"{source} looks like a spec, not a saved plan; nothing was applied",
                                hint=f"apply a spec with `perso apply -f {source}`, or a saved plan with "
                                     "`perso apply FILE` where FILE was written by `perso plan --out FILE`") from None
        what = "truncated" if text.strip().startswith("{") and not text.rstrip().endswith("}") else "corrupt"
        raise PlanFileError(f"the plan file {source} is {what} (invalid JSON at line {exc.lineno}, "
                            f"column {exc.colno}); nothing was applied", hint=replan) from None
    if not isinstance(doc, dict) or doc.get("kind") != PLANFILE_KIND:
        raise PlanFileError(f"{source} is not a perso saved plan (made by `perso plan --out`); nothing was applied",
                            hint="pass the file written by `perso plan --out FILE`, not the `--format json` output "
                                 "or a Terraform plan")
    fmt = str(doc.get("format_version", ""))
    theirs, ours = _version_tuple(fmt), _version_tuple(PLANFILE_FORMAT_VERSION)
    if not fmt or theirs[:1] != ours[:1] or theirs > ours:
        raise PlanFileError(
            f"the plan file {source} has format {fmt or '(none)'}, made by perso {doc.get('perso_version', '?')}; "
            f"this perso ({__version__}) reads format {PLANFILE_FORMAT_VERSION}; nothing was applied",
            hint="apply it with the perso version that made it, or re-plan with this one")
    if newer_than_us(str(doc.get("perso_version", "0"))):
        raise PlanFileError(
            f"the plan file {source} was made by a newer perso ({doc.get('perso_version')}) than this one "
            f"({__version__}); nothing was applied",
            hint="upgrade perso where you apply, or re-plan with this version")
    claimed = doc.get("checksum")
    body = {k: v for k, v in doc.items() if k != "checksum"}
    if claimed != sha256(body):
        raise PlanFileError(f"the plan file {source} was modified or damaged after it was written "
                            "(checksum mismatch); nothing was applied", hint=replan)
    redacted = doc
    doc, sensitive = _unredact(doc, source, os.environ if environ is None else environ)
    try:
        origin_doc = doc["origin"]
        origin = Origin(
            spec_file=str(origin_doc["spec_file"]), variables=dict(origin_doc.get("variables") or {}),
            var_files=tuple(origin_doc.get("var_files") or ()), state=origin_doc.get("state"),
            backend=origin_doc.get("backend"), backend_description=str(origin_doc.get("backend_description", "")),
            region=origin_doc.get("region"), local=bool(origin_doc.get("local", False)),
        )
        plan = Plan(
            changes=tuple(decode_change(c) for c in doc["planned_changes"]), stack=str(doc["stack"]),
            lineage=doc.get("lineage"), serial=int(doc["serial"]), spec_digest=str(doc.get("spec_digest", "")),
            destroy=bool(doc.get("destroy", False)), warnings=tuple(doc.get("warnings") or ()),
            options=PlanOptions.from_dict(doc.get("options")),
        )
        resources = {r["address"]: decode_resource(r) for r in doc.get("resources", [])}
        outputs = {o["name"]: OutputSpec(name=o["name"], value=decode_value(o.get("value")),
                                         description=o.get("description", ""))
                   for o in doc.get("outputs", [])}
        observed = {str(a): s for a, s in dict(doc.get("observed") or {}).items()}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PlanFileError(f"the plan file {source} is not a valid perso plan ({type(exc).__name__}: {exc}); "
                            "nothing was applied", hint=replan) from None
    foreign = _outside_its_spec(plan, resources, outputs)
    if foreign:
        bullet = "\n  - "
        raise PlanFileError(f"the plan file {source} touches what its spec does not describe (edited by hand or "
                            f"forged); nothing was applied:{bullet}{bullet.join(foreign)}", hint=replan)
    return SavedPlan(plan=plan, resources=resources, outputs=outputs, origin=origin, observed=observed,
                     observed_digest=str(doc.get("observed_digest", "")),
                     perso_version=str(doc.get("perso_version", "")), created=str(doc.get("created", "")),
                     document=redacted, sensitive=sensitive)


# -- staleness -----------------------------------------------------------------------------------

def state_moved(saved: SavedPlan, state: StateFile) -> list[str]:
    """Why the state no longer is the one the plan was made against (empty: it is)."""
    plan = saved.plan
    reasons = _outside_its_state(saved, state)
    if state.serial and state.stack != plan.stack:
        reasons.append(f"the state belongs to stack '{state.stack}', but the plan is for stack '{plan.stack}'")
        return reasons
    if plan.lineage and state.serial and state.lineage != plan.lineage:
        reasons.append(f"the state has lineage {state.lineage}, but the plan was made against lineage "
                       f"{plan.lineage}: it is a different state (recreated, or another stack's)")
    elif state.serial != plan.serial:
        if state.serial > plan.serial:
            reasons.append(f"the state was written {state.serial - plan.serial} time(s) since the plan "
                           f"(serial {plan.serial} -> {state.serial}): another apply, import or state command ran")
        else:
            reasons.append(f"the state serial went back from {plan.serial} to {state.serial} (restored from a backup?)")
    return reasons


def spec_moved(saved: SavedPlan, current_digest: str) -> list[str]:
    if saved.plan.spec_digest and current_digest and current_digest != saved.plan.spec_digest:
        return [f"the spec {saved.origin.spec_file} changed since the plan "
                f"(digest {short(saved.plan.spec_digest)} -> {short(current_digest)})"]
    return []


def live_moved(saved: SavedPlan, observed: Mapping[str, Observed | None]) -> list[str]:
    """Which live resources changed since the plan, attribute by attribute where possible."""
    now = snapshot(observed)
    reasons = []
    for address in sorted(set(saved.observed) | set(now)):
        then, current = saved.observed.get(address), now.get(address)
        if (then or {}).get("digest") == (current or {}).get("digest"):
            continue
        if then is None:
            reasons.append(f"{address} now exists in AWS ({current['arn'] if current else '?'}); "
                           "it was created outside this plan")
        elif current is None:
            reasons.append(f"{address} was deleted since the plan ({then.get('arn')})")
        elif then.get("arn") != current.get("arn"):
            reasons.append(f"{address} was recreated since the plan ({then.get('arn')} -> {current.get('arn')})")
        elif then.get("phase") != current.get("phase"):
            reasons.append(f"{address} is now {current.get('phase')} (was {then.get('phase')})")
        else:
            paths = _changed_params(then.get("params") or {}, current.get("params") or {})
            if paths:
                details = ", ".join(f"{p} {_show(b)} -> {_show(a)}" for p, b, a in paths[:5])
                more = f" and {len(paths) - 5} more" if len(paths) > 5 else ""
                reasons.append(f"{address} changed outside perso since the plan: {details}{more}")
            else:
                reasons.append(f"{address} changed since the plan (its outputs differ)")
    return reasons


def _changed_params(before: Mapping[str, Any], after: Mapping[str, Any], prefix: str = "") -> list[tuple]:
    out: list[tuple] = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if isinstance(b, Mapping) and isinstance(a, Mapping):
            out.extend(_changed_params(b, a, f"{prefix}{key}."))
        elif b != a:
            out.append((f"{prefix}{key}", b, a))
    return out


def _show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def short(digest: str) -> str:
    return digest.split(":", 1)[-1][:12]


def stale_error(path: str | Path, reasons: list[str], saved: SavedPlan) -> StaleStateError:
    origin = saved.origin
    command = ["perso", "plan", "-f", origin.spec_file]
    command += [f"--var {k}={v}" for k, v in origin.variables.items()]
    command += [f"--var-file {f}" for f in origin.var_files]
    if origin.state:
        command.append(f"--state {origin.state}")
    if saved.plan.destroy:
        command.append("--destroy")
    command += [f"--replace {a}" for a in saved.plan.options.replace]
    command += [f"--target {a}" for a in saved.plan.options.targets]
    if not saved.plan.options.refresh:
        command.append("--no-refresh")
    command.append(f"--out {path}")
    bullet = "\n  - "
    return StaleStateError(
        f"the saved plan {path} is stale; nothing was applied:{bullet}{bullet.join(reasons)}",
        hint=f"review the changes again: re-plan with `{' '.join(command)}`, then apply the new file",
    )
