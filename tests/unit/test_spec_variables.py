"""Variables: sources and their precedence, type coercion, interpolation, and their problems."""

from __future__ import annotations

import json
import textwrap

import pytest

from perso_iac.errors import SpecError, SpecValidationError
from perso_iac.spec.loader import load_spec
from perso_iac.spec.variables import CoercionError, coerce

SPEC = """\
version: 1
stack: s-${var.env}
variables:
  env: {default: dev}
  tps: {type: integer, default: 1}
  weight: {type: number, default: 0.1}
  sync: {type: boolean, default: false}
  days: {type: integer, default: 7}
  label: {type: string}
dataset_groups:
  g:
    name: "grp-${var.env}"
    tags: {label: "${var.label}", sync: "sync=${var.sync}"}
    campaigns:
      c:
        solution: up
        minProvisionedTPS: ${var.tps}
        campaignConfig:
          itemExplorationConfig: {explorationWeight: "${var.weight}"}
    solutions:
      up:
        recipeArn: arn:aws:personalize:::recipe/aws-user-personalization-v2
        performAutoTraining: ${var.sync}
        solutionConfig: {autoTrainingConfig: {schedulingExpression: "rate(${var.days} days)"}}
        training: {trigger: never}
    datasets:
      i: {datasetType: Interactions, schema: inter}
schemas:
  inter:
    schema: {type: record, name: Interactions, fields: [{name: USER_ID, type: string}, {name: ITEM_ID, type: string}, {name: TIMESTAMP, type: long}]}
outputs:
  group: {value: "${dataset_group.g.arn}", description: "in ${var.env}; a literal $${x}"}
"""
#  line numbers used below: variables.tps is line 5, label 9; the tps use is line 17


@pytest.fixture
def spec_file(tmp_path):
    path = tmp_path / "perso.yaml"
    path.write_text(SPEC)
    return path


def params(spec, address):
    return spec.resources[address].params


def test_spec_variables_defaults_and_types(spec_file):
    spec = load_spec(spec_file, {"label": "x"}, environ={})
    assert spec.stack == "s-dev"
    assert spec.resources["dataset_group.g"].name == "grp-dev"
    camp = params(spec, "campaign.g.c")
    assert camp["minProvisionedTPS"] == 1 and isinstance(camp["minProvisionedTPS"], int)
    assert camp["campaignConfig"]["itemExplorationConfig"] == {"explorationWeight": "0.1"}
    sol = params(spec, "solution.g.up")
    assert sol["performAutoTraining"] is False
    assert sol["solutionConfig"]["autoTrainingConfig"]["schedulingExpression"] == "rate(7 days)"
    assert dict(spec.resources["dataset_group.g"].tags) == {"label": "x", "sync": "sync=false"}
    assert spec.outputs["group"].description == "in dev; a literal ${x}"


@pytest.mark.parametrize("cli, files, env, expected", [
    ({}, [], {}, "dev"),
    ({}, [], {"PERSO_VAR_env": "stage"}, "stage"),
    ({}, [{"env": "qa"}], {"PERSO_VAR_env": "stage"}, "qa"),
    ({}, [{"env": "qa"}, {"env": "prod"}], {}, "prod"),           # later files win
    ({"env": "cli"}, [{"env": "qa"}], {"PERSO_VAR_env": "stage"}, "cli"),
])
def test_spec_variable_precedence(spec_file, tmp_path, cli, files, env, expected):
    paths = []
    for i, content in enumerate(files):
        path = tmp_path / f"v{i}.yaml"
        path.write_text(json.dumps(content) if i % 2 else "\n".join(f"{k}: {v}" for k, v in content.items()))
        paths.append(path)
    spec = load_spec(spec_file, {"label": "x", **cli}, paths, environ=env)
    assert spec.stack == f"s-{expected}"


@pytest.mark.parametrize("cli, tps, auto, days", [
    ({"tps": "3", "sync": "true", "days": "14"}, 3, True, "14"),
    ({"tps": " 5 ", "sync": "no", "days": "+2"}, 5, False, "2"),
])
def test_spec_variable_coercion_from_text(spec_file, cli, tps, auto, days):
    spec = load_spec(spec_file, {"label": "x", **cli}, environ={})
    assert params(spec, "campaign.g.c")["minProvisionedTPS"] == tps
    assert params(spec, "solution.g.up")["performAutoTraining"] is auto
    assert params(spec, "solution.g.up")["solutionConfig"]["autoTrainingConfig"]["schedulingExpression"] \
        == f"rate({days} days)"


@pytest.mark.parametrize("value, type_, expected", [
    ("7", "integer", 7), (7.0, "integer", 7), ("0.5", "number", 0.5), ("2", "number", 2), (3, "string", "3"),
    (True, "string", "true"), ("YES", "boolean", True), ("off", "boolean", False), ("x", "string", "x"),
])
def test_spec_coerce(value, type_, expected):
    assert coerce(value, type_) == expected


@pytest.mark.parametrize("value, type_", [
    ("7.5", "integer"), (True, "integer"), ("nan", "number"), ("maybe", "boolean"), (1, "boolean"),
    ([1], "string"),
])
def test_spec_coerce_rejects(value, type_):
    with pytest.raises(CoercionError):
        coerce(value, type_)


def problems_of(spec_file, *args, **kwargs):
    kwargs.setdefault("environ", {})
    with pytest.raises(SpecValidationError) as info:
        load_spec(spec_file, *args, **kwargs)
    return info.value.problems


def test_spec_cli_variable_of_wrong_type_points_at_declaration(spec_file):
    [p] = problems_of(spec_file, {"label": "x", "tps": "many"})
    assert (p.path, p.line) == ("variables.tps", 5)
    assert p.message == "--var tps: 'many' is not an integer"


def test_spec_env_variable_of_wrong_type(spec_file):
    [p] = problems_of(spec_file, {"label": "x"}, environ={"PERSO_VAR_sync": "perhaps"})
    assert (p.path, p.line) == ("variables.sync", 7)
    assert "PERSO_VAR_sync" in p.message and "not a boolean" in p.message


def test_spec_undeclared_cli_variable(spec_file):
    [p] = problems_of(spec_file, {"label": "x", "evn": "prod"})
    assert p.path == "variables" and "no variable 'evn' is declared" in p.message
    assert p.hint == "did you mean 'env'?"


def test_spec_var_file_problems_are_located_in_the_var_file(spec_file, tmp_path):
    var_file = tmp_path / "prod.vars.yaml"
    var_file.write_text("env: prod\ntsp: 3\ntps: lots\n")
    problems = problems_of(spec_file, {"label": "x"}, [var_file])
    assert [(p.file, p.line, p.path) for p in problems] == [(str(var_file), 2, "tsp"), (str(var_file), 3, "tps")]
    assert problems[0].hint == "did you mean 'tps'?"
    assert "'lots' is not an integer" in problems[1].message


def test_spec_var_file_must_be_a_mapping(spec_file, tmp_path):
    var_file = tmp_path / "v.yaml"
    var_file.write_text("- env\n")
    [p] = problems_of(spec_file, {"label": "x"}, [var_file])
    assert p.file == str(var_file) and "mapping" in p.message


def test_spec_var_file_missing_or_broken(spec_file, tmp_path):
    with pytest.raises(SpecError, match="variables file .* does not exist"):
        load_spec(spec_file, {}, [tmp_path / "nope.yaml"], environ={})
    broken = tmp_path / "broken.yaml"
    broken.write_text("env: [dev\n")
    with pytest.raises(SpecError, match=r"broken\.yaml:2:1: invalid YAML"):
        load_spec(spec_file, {}, [broken], environ={})


def test_spec_missing_value_is_reported_once_at_its_use(spec_file):
    """`label` has no default: one problem where it is used, and no knock-on type errors."""
    [p] = problems_of(spec_file)
    assert (p.path, p.line) == ("dataset_groups.g.tags.label", 13)
    assert p.message == "variable 'label' has no value"


def test_spec_unresolved_typed_variable_does_not_cascade(tmp_path):
    path = tmp_path / "perso.yaml"
    path.write_text(textwrap.dedent("""\
        version: 1
        stack: s
        dataset_groups:
          g:
            solutions:
              up: {recipeArn: "arn:aws:personalize:::recipe/aws-sims", performAutoTraining: false}
            campaigns:
              c: {solution: up, minProvisionedTPS: "${var.tps}"}
        """))
    problems = problems_of(path)
    at_tps = [p for p in problems if p.path == "dataset_groups.g.campaigns.c.minProvisionedTPS"]
    assert [p.message for p in at_tps] == ["unknown variable 'tps'"]  # no "expected an integer" as well


def test_spec_variables_block_is_not_interpolated(tmp_path):
    path = tmp_path / "perso.yaml"
    path.write_text(textwrap.dedent("""\
        version: 1
        stack: s
        variables:
          a: {default: "${var.b}"}
          b: {default: x}
        dataset_groups:
          g: {tags: {a: "${var.a}"}}
        """))
    with pytest.raises(SpecValidationError) as info:
        load_spec(path, environ={})
    # the default is inserted as written; it is not a valid tag value, proving no second pass
    assert [p.path for p in info.value.problems] == ["dataset_groups.g.tags.a"]


def test_sensitive_variables_are_known_to_the_spec(tmp_path):
    from perso_iac.spec.loader import load_spec

    spec_file = tmp_path / "perso.yaml"
    spec_file.write_text("version: 1\nstack: s\nvariables:\n  token: {sensitive: true}\n  env: {default: dev}\n"
                         "  flag: {sensitive: false, default: x}\n")
    spec = load_spec(spec_file, variables={"token": "tok-zq9"}, environ={})
    assert spec.sensitive == {"token": "tok-zq9"} and "tok-zq9" not in repr(spec)
    assert load_spec(spec_file, environ={}).sensitive == {}  # no value, nothing to hide
