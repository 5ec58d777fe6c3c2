"""The built-in, read-only catalogue: recipes, algorithms and feature transformations.

The recipes themselves live in `perso_iac.facts.recipes` (shared with `perso validate`); this
module adds the emulator's views of them (DescribeRecipe / DescribeAlgorithm /
DescribeFeatureTransformation / ListRecipes).
"""

from __future__ import annotations

from ..facts.recipes import (  # noqa: F401 - re-exported for the backend
    BY_ALGORITHM_ARN,
    BY_ARN,
    BY_FEATURE_ARN,
    INCREMENTAL_UPDATE_RECIPES,
    RECIPES,
    UPDATE_MODE_RECIPES,
    Recipe,
)

CATALOG_TIME = 1543622400.0  # 2018-12-01, a fixed "creation" time for built-ins


def recipe_view(r: Recipe) -> dict:
    view = {
        "name": r.name,
        "recipeArn": r.arn,
        "algorithmArn": r.algorithm_arn,
        "featureTransformationArn": r.feature_transformation_arn,
        "status": "ACTIVE",
        "description": r.description,
        "recipeType": r.recipe_type,
        "creationDateTime": CATALOG_TIME,
        "lastUpdatedDateTime": CATALOG_TIME,
    }
    if r.domain:
        view["domain"] = r.domain
    return view


def default_hyperparameters(r: Recipe) -> dict[str, str]:
    if r.recipe_type == "USER_PERSONALIZATION" and "hrnn" in r.name or r.name == "aws-user-personalization":
        return {"hidden_dimension": "149", "bptt": "32", "recency_mask": "true"}
    if r.recipe_type == "RELATED_ITEMS":
        return {"popularity_discount_factor": "0.5", "min_cointeraction_count": "3"}
    return {"num_factors": "64"}


def algorithm_view(r: Recipe) -> dict:
    return {
        "name": r.name,
        "algorithmArn": r.algorithm_arn,
        "algorithmImage": {"name": r.name, "dockerURI": f"personalize/algorithms/{r.name}:latest"},
        "defaultHyperParameters": default_hyperparameters(r),
        "defaultHyperParameterRanges": {
            "integerHyperParameterRanges": [
                {"name": "hidden_dimension", "minValue": 32, "maxValue": 256, "isTunable": True}
            ],
            "continuousHyperParameterRanges": [
                {"name": "popularity_discount_factor", "minValue": 0.0, "maxValue": 1.0, "isTunable": False}
            ],
            "categoricalHyperParameterRanges": [
                {"name": "recency_mask", "values": ["true", "false"], "isTunable": True}
            ],
        },
        "defaultResourceConfig": {"instance_type": "ml.c5.2xlarge", "instance_count": "1"},
        "trainingInputMode": "File",
        "creationDateTime": CATALOG_TIME,
        "lastUpdatedDateTime": CATALOG_TIME,
    }


def feature_transformation_view(r: Recipe) -> dict:
    return {
        "name": r.name,
        "featureTransformationArn": r.feature_transformation_arn,
        "defaultParameters": {"max_user_history_length_percentile": "0.99", "min_user_history_length_percentile": "0.0"},
        "creationDateTime": CATALOG_TIME,
        "lastUpdatedDateTime": CATALOG_TIME,
        "status": "ACTIVE",
    }
