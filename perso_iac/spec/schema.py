"""The JSON Schema of a perso spec file: the single source of its keys and their types.

`perso schema` prints it (for editors and linters); the loader validates every spec against it
before the semantic checks in `validate.py`. Personalize parameters are spelled as the API spells
them. Objects are closed (`additionalProperties: false`) so a misspelled key is an error, not a
silently ignored setting. Each resource type describes its own entries (`entry_schema()` of its
adapter); this module only places them: top-level sections, the sections of a container, and
intents nested in their host's entry.
"""

from __future__ import annotations

import copy
from typing import Any

from ..resources.base import ResourceType
from ..resources.registry import hosted_by, members_of, top_level
from .experiments import EXPERIMENT
from .schema_parts import KEY_PATTERN, NAME_PATTERN, STR, TAGS, keyed, obj

__all__ = ["KEY_PATTERN", "NAME_PATTERN", "VAR_NAME_PATTERN", "spec_json_schema"]

VAR_NAME_PATTERN = r"^[a-zA-Z_][a-zA-Z0-9_-]*$"


def _entry(adapter: ResourceType) -> dict[str, Any]:
    """An adapter's entry schema, with its intents and member sections placed in it."""
    schema = adapter.entry_schema() or obj({})
    for intent in hosted_by(adapter.type_name):
        schema["properties"][intent.nested_key] = intent.entry_schema()
    for member in members_of(adapter.type_name):
        schema["properties"][member.section] = keyed(_entry(member))
    return schema


_VARIABLE = obj({
    "type": {"enum": ["string", "integer", "number", "boolean"]},
    "default": {"type": ["string", "number", "boolean"]},
    "description": STR,
    "sensitive": {"type": "boolean", "description": "Redacted in saved plans (see docs/spec.md)."},
})


_MOVED_HELP = ("Addresses renamed in the spec: the state follows, nothing changes in AWS and the resource "
               "keeps its AWS name (Terraform's moved blocks).")


def _spec_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://perso.dev/schema/spec-v1.json",
        "title": "perso spec",
        "description": "Infrastructure as code for Amazon Personalize (see docs/spec.md).",
        **obj({
            "version": {"const": 1, "description": "The spec format version; must be 1."},
            "stack": {"type": "string", "pattern": KEY_PATTERN, "maxLength": 63,
                      "description": "Names the state of this spec."},
            "region": STR,
            "variables": {"type": "object", "propertyNames": {"pattern": VAR_NAME_PATTERN},
                          "additionalProperties": _VARIABLE},
            "backend": obj({
                "local": obj({"path": STR}, ("path",)),
                "s3": obj({"bucket": STR, "key": STR, "region": STR, "kms_key_id": STR,
                           "endpoint_url": STR}, ("bucket", "key")),
            }, description="Where the state lives: exactly one of `local` and `s3`.",
                minProperties=1, maxProperties=1),
            "defaults": obj({"tags": TAGS}),
            "cost": obj({"prices_file": {**STR, "description": "A JSON or YAML price catalogue, relative to the spec."}},
                        description="Cost estimates: `prices_file` overrides the built-in price "
                        "catalogue (JSON or YAML, relative to the spec; see perso_iac/cost/prices.json)."),
            **{a.section: keyed(_entry(a)) for a in top_level() if a.section},
            "experiments": {"type": "object", "propertyNames": {"pattern": KEY_PATTERN},
                            "additionalProperties": EXPERIMENT,
                            "description": "A/B experiments between two endpoints (docs/promotion.md)."},
            "outputs": {"type": "object", "propertyNames": {"pattern": VAR_NAME_PATTERN},
                        "additionalProperties": obj({"value": {}, "description": STR}, ("value",))},
            "terraform": keyed(obj({
                "bucket": {**STR, "description": "The S3 bucket of the Terraform state."},
                "key": {**STR, "description": "The state object's key, e.g. network/terraform.tfstate."},
                "region": {**STR, "description": "The bucket's region."},
                "endpoint_url": {**STR, "description": "An S3-compatible endpoint (tests); default: AWS."},
            }, ("bucket", "key")), description="Terraform states whose outputs the spec reads as "
               "${tf.NAME.outputs.KEY} (read only, like terraform_remote_state)."),
            "moved": {"type": "array", "description": _MOVED_HELP, "items": obj({
                "from": {"type": "string", "description": "The old address (e.g. campaign.retail.home)."},
                "to": {"type": "string", "description": "The new address (e.g. campaign.retail.for-you)."},
            }, ("from", "to"))},
        }, ("version", "stack")),
    }


_SPEC_SCHEMA = _spec_schema()


def spec_json_schema() -> dict[str, Any]:
    """The JSON Schema of a spec file (a fresh copy: callers may modify it)."""
    return copy.deepcopy(_SPEC_SCHEMA)
