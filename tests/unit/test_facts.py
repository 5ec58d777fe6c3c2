"""perso_iac.facts is the one source of Personalize's schema rules and recipe catalogue.

Table-driven: each schema (with a dataset type and a dataset-group domain) is accepted or rejected
by the facts, and must get the same verdict from `perso validate` (load_spec on a spec using it)
and from the emulator over boto3 (CreateSchema + CreateDataset). A future divergence between the
validator and the emulator fails here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from perso_iac.emulator import avro as emulator_avro
from perso_iac.emulator import catalog as emulator_catalog
from perso_iac.errors import SpecValidationError
from perso_iac.facts import avro, recipes
from perso_iac.spec import avro as spec_avro
from perso_iac.spec import catalog as spec_catalog
from perso_iac.spec.loader import load_spec

S, L = "string", "long"


def f(name: str, type_: object, **attrs: object) -> dict:
    return {"name": name, "type": type_, **attrs}


def record(name: str, *fields: dict, **extra: object) -> dict:
    return {"type": "record", "name": name, "namespace": "com.amazonaws.personalize.schema",
            "fields": list(fields), "version": "1.0", **extra}


def interactions(*extra: dict) -> dict:
    return record("Interactions", f("USER_ID", S), f("ITEM_ID", S), f("TIMESTAMP", L), *extra)


def actions(*extra: dict) -> dict:
    return record("Actions", f("ACTION_ID", S), f("LEVEL", S, categorical=True), *extra)


@dataclass
class Case:
    id: str
    dataset_type: str
    schema: dict
    accepted: bool
    domain: str | None = None


CASES = [
    # one valid schema per dataset type, with every reserved keyword
    Case("interactions, all reserved", "Interactions", interactions(
        f("EVENT_TYPE", S), f("EVENT_VALUE", ["null", "float"]), f("IMPRESSION", ["null", S]),
        f("RECOMMENDATION_ID", ["null", S]), f("EVENT_ATTRIBUTION_SOURCE", ["null", S]),
        f("DEVICE", S, categorical=True)), True),
    Case("users", "Users", record("Users", f("USER_ID", S), f("AGE", "int")), True),
    Case("items, one textual", "Items", record("Items", f("ITEM_ID", S), f("PRICE", "double"),
                                               f("DESCRIPTION", ["null", S], textual=True),
                                               f("CREATION_TIMESTAMP", L)), True),
    Case("actions, all reserved", "Actions", actions(
        f("CREATION_TIMESTAMP", L), f("VALUE", ["null", L]), f("TYPE", ["null", S]),
        f("EXPIRATION_TIMESTAMP", ["null", L]), f("REPEAT_FREQUENCY", ["null", L])), True),
    Case("action interactions", "Action_Interactions", record(
        "ActionInteractions", f("USER_ID", S), f("ACTION_ID", S), f("EVENT_TYPE", S), f("TIMESTAMP", L),
        f("IMPRESSION", ["null", S]), f("RECOMMENDATION_ID", ["null", S])), True),
    Case("record name that announces no type", "Items",
         record("Anything", f("ITEM_ID", S), f("GENRE", S, categorical=True)), True),
    Case("domain interactions with EVENT_TYPE", "Interactions", interactions(f("EVENT_TYPE", S)), True,
         "VIDEO_ON_DEMAND"),
    # the disagreements the facts resolved (see the commit message)
    Case("EVENT_VALUE is float, not double", "Interactions", interactions(f("EVENT_VALUE", "double")), False),
    Case("EVENT_TYPE can't be null", "Interactions", interactions(f("EVENT_TYPE", ["null", S])), False),
    Case("EVENT_TYPE can't be categorical", "Interactions",
         interactions(f("EVENT_TYPE", S, categorical=True)), False),
    Case("actions VALUE is long", "Actions", actions(f("VALUE", "double")), False),
    Case("actions REPEAT_FREQUENCY is long", "Actions", actions(f("REPEAT_FREQUENCY", "int")), False),
    Case("actions TYPE is a string", "Actions", actions(f("TYPE", "int")), False),
    Case("categorical must be a boolean", "Users",
         record("Users", f("USER_ID", S), f("GENDER", S, categorical="yes")), False),
    Case("namespace must be a string", "Users",
         {**record("Users", f("USER_ID", S), f("AGE", "int")), "namespace": 5}, False),
    Case("record name announces another type", "Users",
         record("Items", f("USER_ID", S), f("AGE", "int")), False),
    # rules both already shared
    Case("required field missing", "Interactions",
         record("Interactions", f("USER_ID", S), f("ITEM_ID", S)), False),
    Case("required field nullable", "Users", record("Users", f("USER_ID", ["null", S]), f("AGE", "int")), False),
    Case("users need a metadata field", "Users", record("Users", f("USER_ID", S)), False),
    Case("too many metadata fields", "Interactions",
         interactions(*(f(f"M{i}", S, categorical=True) for i in range(6))), False),
    Case("field names clash alphanumerically", "Items",
         record("Items", f("ITEM_ID", S), f("GENRE_1", S), f("genre1", S)), False),
    Case("nested type", "Items", record("Items", f("ITEM_ID", S), f("TAGS", {"type": "array", "items": S})),
         False),
    Case("textual outside Items", "Users", record("Users", f("USER_ID", S), f("BIO", S, textual=True)), False),
    Case("longer than 20,000 characters", "Items",
         record("Items", f("ITEM_ID", S), *(f(f"F{i}", S, doc="x" * 300) for i in range(70))), False),
    Case("domain interactions need EVENT_TYPE", "Interactions", interactions(), False, "ECOMMERCE"),
    Case("no actions in a domain group", "Actions", actions(), False, "ECOMMERCE"),
]
IDS = [c.id for c in CASES]


def facts_issues(case: Case) -> list[avro.AvroIssue]:
    fields, issues = avro.check_schema(case.schema)
    if issues:
        return issues
    return (avro.check_announced_type(case.schema, domain=case.domain, fields=fields)
            + avro.check_for_dataset_type(case.schema, case.dataset_type, domain=case.domain, fields=fields)
            + avro.check_domain(case.dataset_type, case.domain))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_facts_verdict(case):
    issues = facts_issues(case)
    assert (not issues) == case.accepted, issues


def _spec_text(case: Case) -> str:
    domain = f"    domain: {case.domain}\n" if case.domain else ""
    return (
        "version: 1\nstack: s\nschemas:\n  sch:\n" + domain
        + f"    schema: {json.dumps(avro.canonical(case.schema))}\n"
        + "dataset_groups:\n  g:\n" + domain
        + f"    datasets:\n      d: {{datasetType: {case.dataset_type}, schema: sch}}\n"
    )


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_validator_agrees_with_facts(case, tmp_path):
    path = tmp_path / "perso.yaml"
    path.write_text(_spec_text(case))
    try:
        load_spec(path, environ={})
    except SpecValidationError as exc:
        assert not case.accepted, "\n".join(str(p) for p in exc.problems)
    else:
        assert case.accepted, "perso validate accepted a schema the facts reject"


def _active_group(client, domain: str | None) -> str:
    kwargs = {"domain": domain} if domain else {}
    arn = client.create_dataset_group(name="g", **kwargs)["datasetGroupArn"]
    for _ in range(20):
        if client.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"] == "ACTIVE":
            return arn
    raise AssertionError("the dataset group never became ACTIVE")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_emulator_agrees_with_facts(case, personalize):
    group = _active_group(personalize, case.domain)
    kwargs = {"domain": case.domain} if case.domain else {}
    try:
        schema = personalize.create_schema(name="sch", schema=avro.canonical(case.schema), **kwargs)["schemaArn"]
        personalize.create_dataset(name="d", schemaArn=schema, datasetGroupArn=group,
                                   datasetType=case.dataset_type)
    except personalize.exceptions.InvalidInputException as exc:
        assert not case.accepted, str(exc)
    else:
        assert case.accepted, "the emulator accepted a schema the facts reject"


def test_adapters_share_the_facts():
    assert spec_avro.check_schema is avro.check_schema
    assert emulator_avro.PRIMITIVES == spec_avro.PRIMITIVES == avro.PRIMITIVES
    assert set(emulator_avro.DATASET_TYPES.values()) == set(avro.DATASET_TYPES)
    assert spec_catalog.RECIPES is emulator_catalog.RECIPES is recipes.RECIPES
    assert spec_catalog.BY_ARN is emulator_catalog.BY_ARN is recipes.BY_ARN


def test_recipe_catalogue_served_by_the_emulator(personalize):
    listed = {r["recipeArn"]: r for page in personalize.get_paginator("list_recipes").paginate()
              for r in page["recipes"]}
    assert set(listed) == {r.arn for r in recipes.RECIPES}
    for domain in recipes.DOMAIN_USE_CASES:
        served = {r["recipeArn"] for r in personalize.list_recipes(domain=domain)["recipes"]}
        assert served == set(recipes.domain_recipe_arns(domain))
    assert set(recipes.custom_recipe_arns()) | set(recipes.domain_recipe_arns()) == set(listed)
    assert {r.name for r in recipes.RECIPES if r.update_training} == {"aws-user-personalization",
                                                                        "aws-hrnn-coldstart"}
    assert {r.name for r in recipes.RECIPES if r.incremental_update} == {"aws-semantic-similarity"}


def test_facts_stay_neutral():
    """The facts import neither the validator, the emulator, boto3 nor click."""
    import ast
    import inspect

    for module in (avro, recipes):
        tree = ast.parse(inspect.getsource(module))
        imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not {m for m in imported if m.startswith((".", "perso_iac", "boto", "click"))}, imported
