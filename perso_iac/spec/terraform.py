"""Inputs from Terraform: the JSON `terraform output -json` writes, read as a variables file, and
`${tf.NAME.outputs.KEY}` read from a Terraform state in S3 (`terraform:` names it).

    terraform -chdir=network output -json > network.tf.json
    perso plan --var-file network.tf.json      # each output NAME sets the perso variable NAME

Terraform writes `{"NAME": {"value": ..., "type": ..., "sensitive": bool}}`; the values are
unwrapped, and outputs that no perso variable declares are skipped (a Terraform module has many
outputs; the spec reads those it needs). Perso's own outputs flow back with
`perso output --format json` (Terraform's `external` data source).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from .yamlsrc import Document


def is_output_json(data: Any) -> bool:
    """Whether a variables file is `terraform output -json`: every entry is {value, type[, sensitive]}."""
    return isinstance(data, Mapping) and bool(data) and all(
        isinstance(v, Mapping) and "value" in v and "type" in v and set(v) <= {"value", "type", "sensitive"}
        for v in data.values())


def output_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """NAME -> value of a `terraform output -json` document."""
    return {str(name): entry["value"] for name, entry in data.items()}


def sensitive_outputs(data: Mapping[str, Any]) -> set[str]:
    """The outputs Terraform marks sensitive (perso treats their variables as sensitive too)."""
    return {str(name) for name, entry in data.items() if entry.get("sensitive") is True}


# -- terraform_remote_state: outputs read from a Terraform state in S3 -------------------------

_TF_REF = re.compile(r"(?<!\$)\$\{tf\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)\}")
Reader = Callable[[Mapping[str, Any]], bytes]


def read_s3(config: Mapping[str, Any]) -> bytes:
    """The state object named by a `terraform:` entry (read only, like terraform_remote_state)."""
    import boto3

    client = boto3.client("s3", region_name=config.get("region"), endpoint_url=config.get("endpoint_url"))
    return client.get_object(Bucket=config["bucket"], Key=config["key"])["Body"].read()


def resolve_remote_outputs(doc: Document, add: Callable[..., None], read: Reader = read_s3) -> set[tuple]:
    """Replace each `${tf.NAME.outputs.KEY}` in the document by that output of the Terraform state
    `terraform: {NAME: {bucket, key, region}}` names; problems are located at the reference.
    Returns the paths left unresolved (their other problems would only repeat this one)."""
    data = doc.data
    block = data.get("terraform") if isinstance(data, dict) else None
    if not isinstance(block, dict) and _TF_REF.search(json.dumps(data, default=str)) is None:
        return set()
    states: dict[str, dict[str, Any] | None] = {}
    for name, config in (block or {}).items():
        states[name] = _outputs(name, config, add, read)
    unresolved: set[tuple] = set()

    def value(path: tuple, name: str, key: str) -> Any:
        if name not in states:
            add(path, f"no Terraform state named '{name}'", "declare it under terraform: (bucket, key, region)")
        elif states[name] is not None and key not in states[name]:
            known = ", ".join(sorted(states[name])) or "none"
            add(path, f"Terraform state '{name}' has no output '{key}'", f"its outputs: {known}")
        else:
            return states[name][key] if states[name] is not None else None
        unresolved.add(path)
        return None

    def walk(node: Any, path: tuple) -> Any:
        if isinstance(node, dict):
            for k in list(node):
                if path or k != "terraform":
                    node[k] = walk(node[k], (*path, k))
            return node
        if isinstance(node, list):
            return [walk(v, (*path, i)) for i, v in enumerate(node)]
        if not isinstance(node, str) or "${tf." not in node:
            return node
        whole = _TF_REF.fullmatch(node)
        if whole:
            found = value(path, whole.group(1), whole.group(2))
            return found if found is not None else ""
        return _TF_REF.sub(lambda m: _text(value(path, m.group(1), m.group(2))), node)

    walk(data, ())
    return unresolved


def _text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else json.dumps(value)


def _outputs(name: str, config: Any, add: Callable[..., None], read: Reader) -> dict[str, Any] | None:
    at = ("terraform", name)
    if not isinstance(config, Mapping) or not isinstance(config.get("bucket"), str) \
            or not isinstance(config.get("key"), str):
        add(at, "a Terraform state needs bucket and key", "e.g. {bucket: acme-tf, key: network/terraform.tfstate}")
        return None
    where = f"s3://{config['bucket']}/{config['key']}"
    try:
        state = json.loads(read(config))
    except Exception as exc:  # noqa: BLE001 - any failure to read is reported at the entry
        add(at, f"cannot read the Terraform state {where}: {exc}", "check the bucket, key, region and credentials")
        return None
    if not isinstance(state, dict) or state.get("version") != 4 or not isinstance(state.get("outputs"), dict):
        add(at, f"{where} is not a Terraform state of format version 4", "point at a terraform.tfstate object")
        return None
    return {str(k): v.get("value") for k, v in state["outputs"].items() if isinstance(v, dict)}
