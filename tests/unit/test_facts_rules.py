"""CreateSolution, domain schemas, metric expressions and imports: the facts' rules, applied the same
way by `perso validate` (at file:line) and by the emulator (over boto3).

Each row cites its source; doc pages are under https://docs.aws.amazon.com/personalize/latest/dg/.
"""

from __future__ import annotations

import json
import textwrap
import warnings

import boto3
import pytest

from perso_iac.emulator import EmulatorConfig, EmulatorServer
from perso_iac.errors import SpecValidationError
from perso_iac.facts import avro, imports, metrics, solutions
from perso_iac.spec.loader import load_spec
from perso_iac.spec.validate import SpecWarning

R = "arn:aws:personalize:::recipe/"
S = "string"


def sol(recipe: str | None, config: dict | None = None, **extra: object) -> dict:
    out: dict = {**({"recipeArn": R + recipe} if recipe else {}), **extra}
    if config is not None:
        out["solutionConfig"] = config
    return out


def hp(**values: object) -> dict:
    return {"algorithmHyperParameters": values}


def ranges(**lists: list) -> dict:
    return {"hpoConfig": {"algorithmHyperParameterRanges": lists}}


# (id, CreateSolution request, fragment of the refusal or None, source)
SOLUTIONS = [
    ("v2 apply_recency_bias", sol("aws-user-personalization-v2", hp(apply_recency_bias="false")), None,
     "native-recipe-user-personalization-v2.html"),
    ("misspelt hyperparameter", sol("aws-user-personalization-v2", hp(apply_recency_bais="true")),
     "no hyperparameter 'apply_recency_bais'", "issue 10; AWS: 'Provide a hyperparameter that is used in the "
                                               "algorithm' (error_create_solution__issue-...-156__1.json)"),
    ("UP hidden_dimension in range", sol("aws-user-personalization", hp(hidden_dimension="149", bptt="32",
                                                                        recency_mask="True")), None,
     "native-recipe-new-item-USER_PERSONALIZATION.html"),
    ("UP hidden_dimension out of range", sol("aws-user-personalization", hp(hidden_dimension="300")),
     "within [32, 256]", "native-recipe-new-item-USER_PERSONALIZATION.html: Range [32, 256]"),
    ("UP bptt not an integer", sol("aws-user-personalization", hp(bptt="2.5")), "must be an integer",
     "Value type: Integer"),
    ("UP recency_mask not boolean", sol("aws-user-personalization", hp(recency_mask="yes")), "one of true, false",
     "Value type: Boolean"),
    ("sims values", sol("aws-sims", hp(popularity_discount_factor="0.5", min_cointeraction_count="3")), None,
     "native-recipe-sims.html"),
    ("sims cointeraction out of range", sol("aws-sims", hp(min_cointeraction_count="11")), "within [0, 10]",
     "native-recipe-sims.html: Range [0, 10]"),
    ("coldstart relative_from", sol("aws-hrnn-coldstart", hp(cold_start_relative_from="currentTime",
                                                             cold_start_max_interactions="15")), None,
     "native-recipe-hrnn-coldstart.html"),
    ("coldstart max_duration positive", sol("aws-hrnn-coldstart", hp(cold_start_max_duration="0")),
     "must be positive", "Range: Positive floats"),
    ("popularity-count has none", sol("aws-popularity-count", hp(hidden_dimension="100")),
     "no hyperparameter 'hidden_dimension'", "native-recipe-popularity.html: no exposed hyperparameters"),
    ("trending-now not checked", sol("aws-trending-now", hp(anything="1")), None,
     "its table has no API names: not checked"),
    ("HPO range on a tunable name", sol("aws-user-personalization", ranges(
        integerHyperParameterRanges=[{"name": "bptt", "minValue": 2, "maxValue": 32}],
        categoricalHyperParameterRanges=[{"name": "recency_mask", "values": ["true", "false"]}])), None,
     "HPO tunable: Yes"),
    ("HPO range echoed with a prefix", sol("aws-user-personalization", ranges(
        integerHyperParameterRanges=[{"name": "training.bptt", "minValue": 2, "maxValue": 16}])), None,
     "DescribeSolution echoes training./data. prefixes (issue 10)"),
    ("HPO range beyond the documented range", sol("aws-user-personalization", ranges(
        integerHyperParameterRanges=[{"name": "hidden_dimension", "minValue": 16, "maxValue": 256}])),
     "within [32, 256]", "Range [32, 256]"),
    ("HPO range on a non-tunable name", sol("aws-user-personalization", ranges(
        continuousHyperParameterRanges=[{"name": "min_user_history_length_percentile", "minValue": 0,
                                         "maxValue": 0.1}])), "can't be tuned by HPO", "HPO tunable: No"),
    ("HPO range on an unknown name", sol("aws-similar-items", ranges(
        integerHyperParameterRanges=[{"name": "hidden_dim", "minValue": 30, "maxValue": 50}])),
     "no hyperparameter 'hidden_dim'", "native-recipe-similar-items.html"),
    ("40 HPO training jobs", sol("aws-user-personalization", {"hpoConfig": {"hpoResourceConfig": {
        "maxNumberOfTrainingJobs": "40", "maxParallelTrainingJobs": "10"}}}, performHPO=True), None,
     "API_HPOResourceConfig.html"),
    ("41 HPO training jobs", sol("aws-user-personalization", {"hpoConfig": {"hpoResourceConfig": {
        "maxNumberOfTrainingJobs": "41"}}}, performHPO=True), "from 1 to 40",
     "API_HPOResourceConfig.html: the maximum value for maxNumberOfTrainingJobs is 40"),
    ("11 parallel HPO jobs", sol("aws-user-personalization", {"hpoConfig": {"hpoResourceConfig": {
        "maxParallelTrainingJobs": "11"}}}, performHPO=True), "from 1 to 10",
     "API_HPOResourceConfig.html: the maximum value for maxParallelTrainingJobs is 10"),
    ("AutoML with a recipe", sol("aws-user-personalization", performAutoML=True),
     "recipeArn must not be specified when performAutoML is true", "API_CreateSolution.html, performAutoML"),
    ("AutoML without a recipe", sol(None, performAutoML=True), None, "API_CreateSolution.html"),
]
SOLUTION_IDS = [row[0] for row in SOLUTIONS]


@pytest.mark.parametrize("row", SOLUTIONS, ids=SOLUTION_IDS)
def test_solution_facts(row):
    _, request, refused, _ = row
    issues = solutions.check_solution(request)
    if refused is None:
        assert issues == [], issues
    else:
        assert issues and refused in issues[0].message, issues


def test_unknown_hyperparameter_carries_aws_text_and_a_guess():
    issue = solutions.check_solution(sol("aws-user-personalization-v2", hp(apply_recency_bais="true")))[0]
    assert issue.hint == "did you mean 'apply_recency_bias'?"
    assert issue.api_message == ("Provide a hyperparameter that is used in the algorithm: "
                                 "arn:aws:personalize:::algorithm/aws-user-personalization-v2")


INTERACTIONS = {"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
                "version": "1.0", "fields": [{"name": "USER_ID", "type": S}, {"name": "ITEM_ID", "type": S},
                                             {"name": "TIMESTAMP", "type": "long"}, {"name": "EVENT_TYPE", "type": S}]}


def _solution_spec(request: dict) -> str:
    entry = {k: v for k, v in request.items()}
    entry.setdefault("performAutoTraining", False)
    return textwrap.dedent(f"""\
        version: 1
        stack: s
        schemas:
          inter:
            schema: {json.dumps(INTERACTIONS)}
        dataset_groups:
          g:
            datasets:
              interactions: {{datasetType: Interactions, schema: inter}}
            solutions:
              s: {json.dumps(entry)}
        """)


@pytest.mark.parametrize("row", SOLUTIONS, ids=SOLUTION_IDS)
def test_validate_agrees_on_solutions(row, tmp_path):
    _, request, refused, _ = row
    path = tmp_path / "perso.yaml"
    path.write_text(_solution_spec(request))
    try:
        load_spec(path, environ={})
    except SpecValidationError as exc:
        assert refused is not None, "\n".join(map(str, exc.problems))
        hits = [p for p in exc.problems if refused in p.message]
        assert hits and all(p.line == 11 for p in hits), "\n".join(map(str, exc.problems))  # the solution line
    else:
        assert refused is None, f"validate accepted: {request}"


@pytest.fixture
def emulator_client():
    server = EmulatorServer(EmulatorConfig(time_scale=0), port=0).start()
    try:
        yield boto3.client("personalize", endpoint_url=server.endpoint_url, region_name="us-east-1")
    finally:
        server.stop()


def _active(describe, key: str, **arn: str) -> None:
    for _ in range(30):  # time scale 0: each describe moves the lifecycle on
        if describe(**arn)[key]["status"] == "ACTIVE":
            return
    raise AssertionError(f"{arn} never became ACTIVE")


def _group(c, domain: str | None = None, name: str = "g") -> str:
    arn = c.create_dataset_group(name=name, **({"domain": domain} if domain else {}))["datasetGroupArn"]
    _active(c.describe_dataset_group, "datasetGroup", datasetGroupArn=arn)
    return arn


def test_emulator_agrees_on_solutions(emulator_client):
    c = emulator_client
    group = _group(c)
    for i, (rid, request, refused, _) in enumerate(SOLUTIONS):
        try:
            c.create_solution(name=f"s{i}", datasetGroupArn=group, performAutoTraining=False, **request)
        except c.exceptions.InvalidInputException as exc:
            assert refused is not None, (rid, str(exc))
            if "no hyperparameter" in refused:  # AWS's own words
                assert "Provide a hyperparameter that is used in the algorithm" in str(exc), str(exc)
            else:
                assert refused in str(exc), (rid, str(exc))
        else:
            assert refused is None, f"CreateSolution accepted {rid}"


# -- domain schemas ----------------------------------------------------------------------------------
def f(name: str, type_: object, **attrs: object) -> dict:
    return {"name": name, "type": type_, **attrs}


def record(name: str, *fields: dict) -> dict:
    return {"type": "record", "name": name, "namespace": "com.amazonaws.personalize.schema", "version": "1.0",
            "fields": list(fields)}


ECOMM, VOD = "ECOMMERCE", "VIDEO_ON_DEMAND"
# (id, domain, dataset type, schema, refusal fragment or None, source)
DOMAIN_SCHEMAS = [
    ("ecommerce items", ECOMM, "Items", record("Items", f("ITEM_ID", S), f("PRICE", "float"),
                                               f("CATEGORY_L1", [S], categorical=True),
                                               f("CATEGORY_L2", ["null", S], categorical=True)), None,
     "ECOMMERCE-items-dataset.html, default schema"),
    ("ecommerce items without PRICE", ECOMM, "Items", record("Items", f("ITEM_ID", S),
                                                             f("CATEGORY_L1", S, categorical=True)),
     "needs the field PRICE", "ECOMMERCE-items-dataset.html: must include PRICE (float)"),
    ("ecommerce CATEGORY_L1 not categorical", ECOMM, "Items", record("Items", f("ITEM_ID", S), f("PRICE", "float"),
                                                                     f("CATEGORY_L1", S)),
     "must be categorical", "ECOMMERCE-items-dataset.html: CATEGORY_L1 (categorical string)"),
    ("ecommerce PRODUCT_DESCRIPTION not textual", ECOMM, "Items", record(
        "Items", f("ITEM_ID", S), f("PRICE", "float"), f("CATEGORY_L1", S, categorical=True),
        f("PRODUCT_DESCRIPTION", S, categorical=True)), "must be textual",
     "ECOMMERCE-items-dataset.html: PRODUCT_DESCRIPTION (textual)"),
    ("custom items without PRICE", None, "Items", record("Items", f("ITEM_ID", S), f("GENRE", S, categorical=True)),
     None, "custom-datasets-and-schemas.html"),
    ("vod users", VOD, "Users", record("Users", f("USER_ID", S), f("SUBSCRIPTION_MODEL", S, categorical=True)), None,
     "VIDEO-ON-DEMAND-users-dataset.html, default schema"),
    ("vod SUBSCRIPTION_MODEL not categorical", VOD, "Users", record("Users", f("USER_ID", S),
                                                                    f("SUBSCRIPTION_MODEL", S)),
     "must be categorical", "VIDEO-ON-DEMAND-users-dataset.html: string with categorical set to true"),
    ("vod items", VOD, "Items", record("Items", f("ITEM_ID", S), f("GENRES", S, categorical=True),
                                       f("CREATION_TIMESTAMP", "long")), None, "VIDEO-ON-DEMAND-items-dataset.html"),
    ("vod items without GENRES", VOD, "Items", record("Items", f("ITEM_ID", S), f("CREATION_TIMESTAMP", "long")),
     "needs the field GENRES", "VIDEO-ON-DEMAND-items-dataset.html: must include GENRES"),
]
DOMAIN_IDS = [row[0] for row in DOMAIN_SCHEMAS]


@pytest.mark.parametrize("row", DOMAIN_SCHEMAS, ids=DOMAIN_IDS)
def test_domain_schema_facts(row):
    _, domain, dtype, schema, refused, _ = row
    issues = avro.check_for_dataset_type(schema, dtype, domain=domain)
    if refused is None:
        assert issues == [], issues
    else:
        assert issues and refused in issues[0].message, issues


@pytest.mark.parametrize("row", DOMAIN_SCHEMAS, ids=DOMAIN_IDS)
def test_validate_and_emulator_agree_on_domain_schemas(row, tmp_path, emulator_client):
    _, domain, dtype, schema, refused, _ = row
    dom = f"    domain: {domain}\n" if domain else ""
    path = tmp_path / "perso.yaml"
    path.write_text(f"version: 1\nstack: s\nschemas:\n  sch:\n{dom}    schema: {json.dumps(schema)}\n"
                    f"dataset_groups:\n  g:\n{dom}    datasets:\n      d: {{datasetType: {dtype}, schema: sch}}\n")
    try:
        load_spec(path, environ={})
    except SpecValidationError as exc:
        assert refused is not None and any(refused in p.message for p in exc.problems), str(exc.problems)
    else:
        assert refused is None
    c = emulator_client
    group = _group(c, domain)
    try:
        arn = c.create_schema(name="sch", schema=json.dumps(schema), **({"domain": domain} if domain else {}))
        c.create_dataset(name="d", schemaArn=arn["schemaArn"], datasetGroupArn=group, datasetType=dtype)
    except c.exceptions.InvalidInputException as exc:
        assert refused is not None and refused in str(exc), str(exc)
    else:
        assert refused is None


# -- metric expressions ------------------------------------------------------------------------------
@pytest.mark.parametrize("expr, refused", [
    ("SUM(ITEMS.MARGIN)", None),             # upper case, as AWS's samples write it (issue 10)
    ("SUM(Items.MARGIN)", None),             # creating-metric-attribution.html: SUM(Items.LENGTH)
    ("sum(interactions.EVENT_VALUE)", None),
    ("SAMPLECOUNT()", None),
    ("SUM(Users.AGE)", "Interactions or Items"),   # "only numeric columns of Items and Interactions datasets"
    ("SUM(Items.GENRE)", "numeric column"),
    ("SUM(Items.NOPE)", "no column NOPE"),
    ("COUNT(Items.MARGIN)", "invalid metric expression"),
])
def test_metric_expressions(expr, refused, tmp_path, emulator_client):
    items = avro.check_schema(record("Items", f("ITEM_ID", S), f("MARGIN", "double"),
                                     f("GENRE", S, categorical=True)))[0]
    inter = avro.check_schema(record("Interactions", f("USER_ID", S), f("ITEM_ID", S), f("TIMESTAMP", "long"),
                                     f("EVENT_TYPE", S), f("EVENT_VALUE", ["null", "float"])))[0]
    issues = metrics.check(expr, {"Items": items, "Interactions": inter})
    assert (issues == []) if refused is None else (refused in issues[0].message), issues
    # the emulator checks the expression's shape (not the columns): any case is accepted
    c = emulator_client
    group = _group(c)
    request = {"name": "m", "datasetGroupArn": group, "metrics": [
        {"eventType": "click", "metricName": "m", "expression": expr}],
        "metricsOutputConfig": {"roleArn": "arn:aws:iam::123456789012:role/R"}}
    shape_refused = isinstance(metrics.parse(expr), metrics.MetricIssue)
    try:
        c.create_metric_attribution(**request)
    except c.exceptions.InvalidInputException:
        assert shape_refused
    else:
        assert not shape_refused


# -- imports and warnings ------------------------------------------------------------------------------
def test_first_import_must_be_full(emulator_client):
    """API_CreateDatasetImportJob.html: without bulk records imported before, only FULL is allowed."""
    assert imports.check_import_mode("INCREMENTAL", []) is not None
    assert imports.check_import_mode("INCREMENTAL", ["CREATE FAILED"]) is not None
    assert imports.check_import_mode("INCREMENTAL", ["ACTIVE"]) is None
    assert imports.check_import_mode(None, []) is None
    c = emulator_client
    group = _group(c)
    schema = c.create_schema(name="s", schema=json.dumps(INTERACTIONS))["schemaArn"]
    ds = c.create_dataset(name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions")["datasetArn"]
    _active(c.describe_dataset, "dataset", datasetArn=ds)
    job = {"datasetArn": ds, "dataSource": {"dataLocation": "s3://b/i.csv"},
           "roleArn": "arn:aws:iam::123456789012:role/R"}
    with pytest.raises(c.exceptions.InvalidInputException, match="first import job must be FULL"):
        c.create_dataset_import_job(jobName="inc", importMode="INCREMENTAL", **job)
    full = c.create_dataset_import_job(jobName="full", **job)["datasetImportJobArn"]
    _active(c.describe_dataset_import_job, "datasetImportJob", datasetImportJobArn=full)
    c.create_dataset_import_job(jobName="inc", importMode="INCREMENTAL", **job)


def test_validate_warns_but_accepts(tmp_path):
    """Unflagged string fields (custom-datasets-and-schemas.html: used only when categorical or textual)
    and an INCREMENTAL first import are warnings at their spec line, never errors."""
    users = record("Users", f("USER_ID", S), f("NICKNAME", S), f("TIER", S, categorical=True))
    path = tmp_path / "perso.yaml"
    path.write_text(textwrap.dedent(f"""\
        version: 1
        stack: s
        schemas:
          users:
            schema: {json.dumps(users)}
        dataset_groups:
          g:
            datasets:
              users:
                datasetType: Users
                schema: users
                import:
                  dataSource: {{dataLocation: "s3://b/u.csv"}}
                  importMode: INCREMENTAL
        """))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_spec(path, environ={})
    shown = [w for w in caught if issubclass(w.category, SpecWarning)]
    assert {(w.lineno, "NICKNAME" in str(w.message), "INCREMENTAL" in str(w.message)) for w in shown} == {
        (11, True, False), (14, False, True)}, [str(w.message) for w in shown]
    assert all(w.filename == str(path) for w in shown)


def test_facts_stay_neutral():
    """The facts import neither the validator, the emulator, boto3 nor click."""
    import ast
    import inspect

    for module in (solutions, metrics, imports):
        tree = ast.parse(inspect.getsource(module))
        imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not {m for m in imported if m.startswith(("perso_iac", "boto", "click"))}, imported


@pytest.mark.parametrize("recipe, exploration, refused", [
    ("aws-user-personalization", {"explorationWeight": "0.3", "explorationItemAgeCutOff": "30"}, None),
    ("aws-user-personalization", {"explorationWeight": "1.5"}, "within [0, 1]"),
    ("aws-user-personalization", {"explorationItemAgeCutOff": "0"}, "must be positive"),
    ("aws-user-personalization-v2", {"explorationWeight": "0.3"}, "only to aws-user-personalization"),
    ("aws-sims", {"explorationWeight": "0.3"}, "only to aws-user-personalization"),
])
def test_campaign_exploration(recipe, exploration, refused, tmp_path):
    """API_CampaignConfig.html: itemExplorationConfig only with User-Personalization; ranges from its recipe page."""
    issues = solutions.check_campaign_config(recipe, {"itemExplorationConfig": exploration})
    assert (issues == []) if refused is None else (refused in issues[0].message), issues
    warned = bool(issues) and issues[0].warning   # other recipes: a warning (AWS may ignore rather than refuse)
    spec = _solution_spec(sol(recipe)) + textwrap.indent(textwrap.dedent(f"""\
        campaigns:
          c:
            solution: s
            minProvisionedTPS: 1
            campaignConfig: {{itemExplorationConfig: {json.dumps(exploration)}}}
        """), "    ")
    path = tmp_path / "perso.yaml"
    path.write_text(spec)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            load_spec(path, environ={})
        except SpecValidationError as exc:
            assert refused is not None and not warned
            assert any(refused in p.message and p.line >= 13 for p in exc.problems), "\n".join(map(str, exc.problems))
        else:
            assert refused is None or warned
    assert warned == any(refused in str(w.message) for w in caught if issubclass(w.category, SpecWarning))
