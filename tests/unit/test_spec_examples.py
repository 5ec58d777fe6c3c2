"""Every example under examples/ loads cleanly, with each of its variable files."""

from __future__ import annotations

from pathlib import Path

import pytest

from perso_iac.spec.loader import load_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SPECS = sorted(EXAMPLES.glob("*/perso.yaml"))
# a spec with variable files (dev.vars.yaml, prod.vars.yaml) is loaded with each of them
VARIANTS = [(spec, var_file) for spec in SPECS
            for var_file in (sorted(spec.parent.glob("*.vars.yaml")) or [None])]


def test_spec_examples_exist():
    names = {spec.parent.name for spec in SPECS}
    assert {"movielens", "retail"} <= names


@pytest.mark.parametrize("spec, var_file", VARIANTS,
                         ids=[f"{s.parent.name}{'+' + v.name if v else ''}" for s, v in VARIANTS])
def test_spec_example_loads(spec, var_file):
    loaded = load_spec(spec, var_files=[var_file] if var_file else (), environ={})
    assert loaded.resources
    for resource in loaded.resources.values():
        for dep in resource.depends_on:
            assert dep in loaded.resources, f"{resource.address} depends on missing {dep}"


def test_spec_movielens_shape():
    spec = load_spec(EXAMPLES / "movielens" / "perso.yaml", environ={})
    types = sorted(r.type for r in spec.resources.values())
    assert types.count("dataset") == 3 and types.count("dataset_import") == 3
    solution = next(r for r in spec.resources.values() if r.type == "solution")
    assert solution.params["recipeArn"].endswith("/aws-user-personalization-v2")
    assert solution.params["performAutoTraining"] is False
    campaign = next(r for r in spec.resources.values() if r.type == "campaign")
    assert campaign.params["minProvisionedTPS"] == 1
    assert spec.outputs


def test_spec_retail_environments_differ():
    dev, prod = (load_spec(EXAMPLES / "retail" / "perso.yaml", var_files=[EXAMPLES / "retail" / f"{env}.vars.yaml"],
                           environ={}) for env in ("dev", "prod"))
    assert (dev.stack, prod.stack) == ("retail-dev", "retail-prod")
    assert dev.resources["campaign.store.home"].params["minProvisionedTPS"] == 1
    assert prod.resources["campaign.store.home"].params["minProvisionedTPS"] == 10
    assert dev.resources["dataset_group.store"].name == "retail-dev"
    assert dev.resources["dataset_group.store"].lifecycle.prevent_destroy
    page = prod.resources["campaign.store.product-page"].params
    assert page["campaignConfig"] == {"syncWithLatestSolutionVersion": True}
    assert prod.resources["solution.store.similar"].params["solutionConfig"] == {
        "autoTrainingConfig": {"schedulingExpression": "rate(7 days)"}}
    assert dev.digest != prod.digest


def test_spec_retail_needs_its_variables():
    from perso_iac.errors import SpecValidationError

    with pytest.raises(SpecValidationError) as info:
        load_spec(EXAMPLES / "retail" / "perso.yaml", environ={})
    messages = {p.message for p in info.value.problems}
    assert {"variable 'env' has no value", "variable 'bucket' has no value",
            "variable 'import_role' has no value"} <= messages
