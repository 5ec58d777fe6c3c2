"""The built-in, read-only catalogue: recipes, algorithms and feature transformations.

Recipe names follow https://docs.aws.amazon.com/personalize/latest/dg/working-with-predefined-recipes.html
and the domain use-case pages; ARNs have no region or account (``arn:aws:personalize:::recipe/<name>``).
"""

from __future__ import annotations

from dataclasses import dataclass

CATALOG_TIME = 1543622400.0  # 2018-12-01, a fixed "creation" time for built-ins


@dataclass(frozen=True)
class Recipe:
    name: str
    recipe_type: str
    description: str
    domain: str | None = None
    #: dataset types a solution version of this recipe needs with imported data
    training_datasets: tuple[str, ...] = ("INTERACTIONS",)

    @property
    def arn(self) -> str:
        return f"arn:aws:personalize:::recipe/{self.name}"

    @property
    def algorithm_arn(self) -> str:
        return f"arn:aws:personalize:::algorithm/{self.name}"

    @property
    def feature_transformation_arn(self) -> str:
        return f"arn:aws:personalize:::feature-transformation/{self.name}"


_CUSTOM = [
    ("aws-user-personalization-v2", "USER_PERSONALIZATION", "Recommends items a user will interact with (v2)."),
    ("aws-user-personalization", "USER_PERSONALIZATION", "Recommends items a user will interact with, with exploration."),
    ("aws-trending-now", "USER_PERSONALIZATION", "Recommends items gaining popularity fastest."),
    ("aws-popularity-count", "USER_PERSONALIZATION", "Recommends the most popular items."),
    ("aws-personalized-ranking-v2", "PERSONALIZED_RANKING", "Ranks a list of items for a user (v2)."),
    ("aws-personalized-ranking", "PERSONALIZED_RANKING", "Ranks a list of items for a user."),
    ("aws-semantic-similarity", "RELATED_ITEMS", "Recommends items with similar textual content."),
    ("aws-similar-items", "RELATED_ITEMS", "Recommends items similar to a given item (co-occurrence + metadata)."),
    ("aws-sims", "RELATED_ITEMS", "Recommends items similar to a given item (co-occurrence)."),
    ("aws-item-affinity", "USER_SEGMENTATION", "Segments users by affinity for items."),
    ("aws-item-attribute-affinity", "USER_SEGMENTATION", "Segments users by affinity for item attributes."),
    ("aws-hrnn", "USER_PERSONALIZATION", "Legacy hierarchical RNN."),
    ("aws-hrnn-metadata", "USER_PERSONALIZATION", "Legacy hierarchical RNN with metadata."),
    ("aws-hrnn-coldstart", "USER_PERSONALIZATION", "Legacy hierarchical RNN with cold-start items."),
]

_DOMAIN = [
    ("aws-ecomm-popular-items-by-views", "ECOMMERCE", "Most viewed"),
    ("aws-ecomm-popular-items-by-purchases", "ECOMMERCE", "Best sellers"),
    ("aws-ecomm-frequently-bought-together", "ECOMMERCE", "Frequently bought together"),
    ("aws-ecomm-customers-who-viewed-x-also-viewed", "ECOMMERCE", "Customers who viewed X also viewed"),
    ("aws-ecomm-recommended-for-you", "ECOMMERCE", "Recommended for you"),
    ("aws-vod-because-you-watched-x", "VIDEO_ON_DEMAND", "Because you watched X"),
    ("aws-vod-more-like-x", "VIDEO_ON_DEMAND", "More like X"),
    ("aws-vod-most-popular", "VIDEO_ON_DEMAND", "Most popular"),
    ("aws-vod-trending-now", "VIDEO_ON_DEMAND", "Trending now"),
    ("aws-vod-top-picks", "VIDEO_ON_DEMAND", "Top picks for you"),
]

RECIPES: tuple[Recipe, ...] = (
    *(Recipe(n, t, d) for n, t, d in _CUSTOM),
    Recipe(
        "aws-next-best-action",
        "PERSONALIZED_ACTIONS",
        "Recommends the next best actions for a user.",
        training_datasets=("ACTION_INTERACTIONS",),
    ),
    *(Recipe(n, "RECOMMENDER", f"{label} use case for {d} domain dataset groups.", domain=d) for n, d, label in _DOMAIN),
)

BY_ARN = {r.arn: r for r in RECIPES}
BY_ALGORITHM_ARN = {r.algorithm_arn: r for r in RECIPES}
BY_FEATURE_ARN = {r.feature_transformation_arn: r for r in RECIPES}

#: recipes for which trainingMode=UPDATE is allowed (CreateSolutionVersion doc)
UPDATE_MODE_RECIPES = frozenset({"aws-user-personalization", "aws-hrnn-coldstart"})
INCREMENTAL_UPDATE_RECIPES = frozenset({"aws-semantic-similarity"})


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
