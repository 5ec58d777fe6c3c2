"""Filter expressions: one parser and one rule set (`perso_iac.facts.filters`) for validate and CreateFilter.

Table-driven: each expression is accepted, or refused with a message, by the facts; `perso validate`
(load_spec on a spec holding it) and the emulator (CreateFilter over boto3) must give the same verdict.
Every row cites where the rule comes from. Doc pages are under
https://docs.aws.amazon.com/personalize/latest/dg/ :
GR = filter-expression-guidelines-requirements.html, EL = creating-filter-expressions.html,
IX = item-recommendation-filter-examples.html, UX = user-segment-filter-examples.html,
AX = action-recommendation-filter-examples.html, MX = multiple-expression-example.html.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import boto3
import pytest

from perso_iac.emulator import EmulatorConfig, EmulatorServer
from perso_iac.errors import SpecValidationError
from perso_iac.facts import avro, filters
from perso_iac.spec.loader import load_spec

S = "string"


def f(name: str, type_: object, **attrs: object) -> dict:
    return {"name": name, "type": type_, **attrs}


def record(name: str, *fields: dict) -> dict:
    return {"type": "record", "name": name, "namespace": "com.amazonaws.personalize.schema",
            "fields": list(fields), "version": "1.0"}


SCHEMAS = {
    "Interactions": record("Interactions", f("USER_ID", S), f("ITEM_ID", S), f("TIMESTAMP", "long"),
                           f("EVENT_TYPE", S), f("DEVICE", S, categorical=True)),
    "Items": record("Items", f("ITEM_ID", S), f("GENRES", S, categorical=True), f("PRICE", "float"),
                    f("IN_STOCK", "boolean"), f("DESCRIPTION", ["null", S], textual=True),
                    f("CREATION_TIMESTAMP", "long")),
    "Users": record("Users", f("USER_ID", S), f("AGE", "int"), f("MEMBERSHIP", S, categorical=True)),
    "Actions": record("Actions", f("ACTION_ID", S), f("CATEGORY", S, categorical=True), f("VALUE", ["null", "long"]),
                      f("REPEAT_FREQUENCY", ["null", "long"])),
    "Action_Interactions": record("ActionInteractions", f("USER_ID", S), f("ACTION_ID", S), f("EVENT_TYPE", S),
                                  f("TIMESTAMP", "long")),
}
FIELDS = {t: avro.check_schema(s)[0] for t, s in SCHEMAS.items()}


@dataclass
class Case:
    expr: str
    refused: str | None     # a fragment of the message, None when accepted
    source: str


ACCEPTED = [
    Case('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($EVENT_TYPE)', None, "IX"),
    Case('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "stream")', None, "IX"),
    Case('INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")', None, "EL: * for all event types"),
    Case('EXCLUDE ItemID WHERE Items.GENRES IN ($CATEGORY)', None, "IX"),
    Case('INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE AND Items.GENRES IN CurrentItem.GENRES', None, "IX"),
    Case('EXCLUDE ItemID WHERE Items.GENRES IN ("shoe") AND Items.GENRES NOT IN ("boot")', None, "IX"),
    Case('INCLUDE ItemID WHERE Items.PRICE <= $PRICE', None, "IX"),
    Case('INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP < $DATE', None, "IX"),
    Case('INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE AND Items.CREATION_TIMESTAMP > $DATE', None, "IX"),
    Case('EXCLUDE ItemID WHERE Items.GENRES IN ($GENRE) IF CurrentUser.AGE = $AGE', None, "IX"),
    Case('INCLUDE ItemID WHERE Items.GENRES IN ("watch") AND Items.GENRES IN ("luxury") IF CurrentUser.AGE > 18',
         None, "IX"),
    Case('INCLUDE UserID WHERE Users.MEMBERSHIP IN ($MEMBERSHIP)', None, "UX"),
    Case('EXCLUDE UserID WHERE Users.AGE < $AGE', None, "UX"),
    Case('INCLUDE UserID WHERE Interactions.EVENT_TYPE IN ("click, rating")', None, "UX"),
    Case('INCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ($EVENT_TYPE)', None, "AX"),
    Case('EXCLUDE ActionID WHERE Actions.CATEGORY IN ($CATEGORY)', None, "AX"),
    Case('INCLUDE ActionID WHERE Actions.VALUE > ($VALUE)', None, "AX: a parenthesized operand"),
    Case('EXCLUDE ActionID WHERE Actions.VALUE < ($VALUE) IF CurrentUser.AGE = $AGE', None, "AX"),
    Case('INCLUDE ItemID WHERE Items.GENRES IN ($CATEGORY) | INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN '
         '("favorite")', None, "MX"),
    Case('INCLUDE ItemID WHERE Items.GENRES IN ($GENRE) | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN '
         '("click", "stream")', None, "MX"),
    # case: the API reference's own format was `EXCLUDE itemId WHERE INTERACTIONS.event_type in (...)`
    # (CreateFilter filterExpression doc, botocore 1.17 / aws-sdk-java 1.11.8xx)
    Case('EXCLUDE itemId WHERE INTERACTIONS.event_type in ("EVENT_TYPE")', None, "API_CreateFilter (2020)"),
    Case('exclude ItemID where Items.genres not in ("x") and items.PRICE >= 3', None, "keywords in any case"),
    Case('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")\n  | INCLUDE ItemID WHERE Items.PRICE > 10.5',
         None, "MX, over lines"),
]
REFUSED = [
    Case('INCLUDE ItemID WHERE Items.IN_STOCK IN ("true")', "boolean field", "GR: no boolean fields"),
    Case('INCLUDE ItemID WHERE Items.DESCRIPTION IN ("boot")', "textual field", "GR: no unstructured text"),
    Case('INCLUDE ItemID WHERE Items.GENRE IN ("drama")', "no field GENRE", "CreateFilter: fields of the schema"),
    Case('INCLUDE ActionID WHERE Action.CATEGORY IN ("Premium")', "unknown dataset 'Action'",
         "datasets are Interactions/Items/Users/Actions/Action_Interactions (EL)"),
    Case('INCLUDE ItemID WHERE Items.GENRES IN ("a") AND Interactions.EVENT_TYPE IN ("b")', "both Items and "
         "Interactions", "GR: no Interactions and Items in one expression"),
    Case('INCLUDE ActionID WHERE Actions.CATEGORY IN ("a") OR Action_Interactions.EVENT_TYPE IN ("b")',
         "both Actions and Action_Interactions", "EL: AND/OR affect the first condition's dataset"),
    Case('INCLUDE ItemID WHERE Items.GENRES = $GENRE', "compares numbers", "EL: comparison operators test numbers"),
    Case('INCLUDE ItemID WHERE Items.PRICE = ($LOW, $HIGH)', "one value", "EL: = tests one value"),
    Case('INCLUDE ItemID WHERE Items.PRICE > "cheap"', "compares numbers", "EL"),
    Case('EXCLUDE ItemID WHERE Items.GENRES NOT IN ($GENRE)', "NOT IN", "GR: no placeholders with NOT IN"),
    Case('EXCLUDE ItemID WHERE Interactions.DEVICE IN ("phone")', "EVENT_TYPE only",
         "GR: interactions filter by event type only"),
    Case('EXCLUDE ItemID WHERE Items.GENRES IN ("*")', "* (all event types)", "EL: * only with EVENT_TYPE"),
    Case('EXCLUDE ActionID WHERE Actions.REPEAT_FREQUENCY < 3', "applies it to action",
         "GR: no expiration timestamp / repeat frequency"),
    Case('INCLUDE ItemID WHERE Users.AGE > 18', "can't use Users data", "EL: current user only in IF"),
    Case('INCLUDE UserID WHERE Items.GENRES IN ("x")', "can't use Items data", "EL/UX: segments filter users"),
    Case('INCLUDE ItemID WHERE CurrentUser.AGE > 18', "only in an IF", "EL: CurrentUser only in IF"),
    Case('INCLUDE ItemID WHERE Items.PRICE > 3 IF CurrentUser.AGE > 18 OR CurrentUser.AGE < 5', "with AND only",
         "EL: an IF condition is extended with AND"),
    Case('INCLUDE ItemID WHERE Items.PRICE > 3 IF Items.PRICE > 18', "CurrentUser", "EL: IF checks CurrentUser"),
    Case('INCLUDE ItemID WHERE Items.GENRES IN ("x") | EXCLUDE UserID WHERE Users.AGE < 3', "mixes",
         "a filter filters items, actions or users"),
    Case('INCLUDE ActionID WHERE Actions.CATEGORY IN CurrentItem.GENRES', "CurrentItem compares an item",
         "IX: CurrentItem with related items"),
    Case('ItemID WHERE Items.GENRES IN ("x")', "starts with INCLUDE or EXCLUDE", "EL: structure"),
    Case('INCLUDE Items WHERE Items.GENRES IN ("x")', "ItemID, ActionID or UserID", "EL: structure"),
    Case('INCLUDE ItemID Items.GENRES IN ("x")', "expected WHERE", "EL: structure"),
    Case('INCLUDE ItemID WHERE Items.GENRES IN "x"', "parenthesized list", "EL: IN (value/parameter)"),
    Case('INCLUDE ItemID WHERE Items.GENRES IN ("x") |', "starts with INCLUDE", "MX"),
    Case("INCLUDE ItemID WHERE Items.GENRES IN ('x')", "double quotes", "EL: values in double quotes"),
    Case('INCLUDE ItemID WHERE Items.GENRES IN ("x"', "expected ',' or ')'", "EL"),
    Case('INCLUDE ItemID WHERE Items.PRICE != 3', "unsupported operator", "EL: =, <, <=, >, >="),
    Case('INCLUDE ItemID WHERE Items.GENRES IN (drama)', "expected a value", "EL"),
]
CASES = ACCEPTED + REFUSED
IDS = [c.expr[:70] for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_facts_verdict(case):
    issues = filters.check(case.expr, FIELDS)
    if case.refused is None:
        assert issues == [], issues
    else:
        assert issues and case.refused in issues[0].message, issues


def _spec(exprs: dict[str, str]) -> str:
    schemas = "".join(f"  {t.lower()}:\n    schema: {json.dumps(avro.canonical(s))}\n" for t, s in SCHEMAS.items())
    datasets = "".join(f"      {t.lower()}: {{datasetType: {t}, schema: {t.lower()}}}\n" for t in SCHEMAS)
    flts = "".join(f"      f{i}: {{filterExpression: {json.dumps(e)}}}\n" for i, e in exprs.items())
    return ("version: 1\nstack: s\nschemas:\n" + schemas + "dataset_groups:\n  g:\n    datasets:\n" + datasets
            + "    filters:\n" + flts)


def test_validator_agrees_with_facts(tmp_path):
    """One spec holding every expression: validate reports exactly the refused ones, at file:line."""
    path = tmp_path / "perso.yaml"
    exprs = {str(i): c.expr for i, c in enumerate(CASES)}
    path.write_text(_spec(exprs))
    with pytest.raises(SpecValidationError) as info:
        load_spec(path, environ={})
    lines = path.read_text().splitlines()
    reported: dict[str, list[str]] = {}
    for p in info.value.problems:
        key = p.path.split(".filters.f", 1)[1].split(".", 1)[0]
        assert f"f{key}:" in lines[p.line - 1], (p, lines[p.line - 1])   # located on the filter's own line
        reported.setdefault(key, []).append(p.message)
    for i, case in enumerate(CASES):
        got = reported.get(str(i), [])
        if case.refused is None:
            assert got == [], (case.expr, got)
        else:
            assert any(case.refused in m for m in got), (case.expr, got)


@pytest.fixture
def roomy_personalize():
    """The emulator with room for every accepted filter in one dataset group."""
    server = EmulatorServer(EmulatorConfig(time_scale=0, quotas={"filters_per_dataset_group": 1000}), port=0).start()
    try:
        yield boto3.client("personalize", endpoint_url=server.endpoint_url, region_name="us-east-1")
    finally:
        server.stop()


def _active_group(c) -> str:
    arn = c.create_dataset_group(name="g")["datasetGroupArn"]
    for _ in range(20):   # time scale 0: each describe moves the lifecycle on
        if c.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"] == "ACTIVE":
            return arn
    raise AssertionError("the dataset group never became ACTIVE")


def _group_with_all_datasets(c) -> str:
    group = _active_group(c)
    for t, schema in SCHEMAS.items():
        arn = c.create_schema(name=t.lower(), schema=avro.canonical(schema))["schemaArn"]
        c.create_dataset(name=t.lower(), schemaArn=arn, datasetGroupArn=group, datasetType=t)
    return group


def test_emulator_agrees_with_facts(roomy_personalize):
    c = roomy_personalize
    group = _group_with_all_datasets(c)
    for i, case in enumerate(CASES):
        try:
            c.create_filter(name=f"f{i}", datasetGroupArn=group, filterExpression=case.expr)
        except c.exceptions.InvalidInputException as exc:
            assert case.refused is not None, (case.expr, str(exc))
            assert case.refused in str(exc), (case.expr, str(exc))
        else:
            assert case.refused is None, f"CreateFilter accepted {case.expr!r}"


def test_distinct_fields_per_filter_and_per_group(roomy_personalize, tmp_path):
    """GR: at most 10 distinct dataset fields per filter and 20 across a dataset group's filters."""
    numeric = [f"N{i}" for i in range(22)]
    items = record("Items", f("ITEM_ID", S), *(f(n, "int") for n in numeric))
    fields = avro.check_schema(items)[0]
    eleven = " AND ".join(f"Items.{n} > 1" for n in numeric[:11])
    assert "11 distinct dataset fields" in filters.check(f"INCLUDE ItemID WHERE {eleven}", {"Items": fields})[0].message
    ten = [" AND ".join(f"Items.{n} > 1" for n in numeric[k:k + 10]) for k in (0, 10)]
    first, second = (f"INCLUDE ItemID WHERE {t}" for t in ten)
    assert filters.check(first, {"Items": fields}) == []
    assert filters.check(second, {"Items": fields}, [first]) == []          # exactly 20
    third = "INCLUDE ItemID WHERE Items.N21 > 1"
    assert "21 distinct dataset fields" in filters.check(third, {"Items": fields}, [first, second])[0].message
    c = roomy_personalize
    group = _active_group(c)
    arn = c.create_schema(name="items", schema=avro.canonical(items))["schemaArn"]
    c.create_dataset(name="items", schemaArn=arn, datasetGroupArn=group, datasetType="Items")
    c.create_filter(name="a", datasetGroupArn=group, filterExpression=first)
    c.create_filter(name="b", datasetGroupArn=group, filterExpression=second)
    with pytest.raises(c.exceptions.InvalidInputException, match="21 distinct dataset fields"):
        c.create_filter(name="c", datasetGroupArn=group, filterExpression=third)


def test_facts_filters_stay_neutral():
    import ast
    import inspect

    from perso_iac.facts import spelling

    for module in (filters, spelling):
        tree = ast.parse(inspect.getsource(module))
        imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not {m for m in imported if m.startswith(("perso_iac", "boto", "click"))}, imported
