"""The built-in Personalize recipe catalogue: the single source for the validator and the emulator.

Recipe ARNs have no region or account (`arn:aws:personalize:::recipe/<name>`); each recipe's
algorithm and feature transformation share its name. Custom recipes back solutions in any dataset
group; domain recipes (use cases) back recommenders only, in a dataset group of their domain.

Sources: the developer guide's recipe pages (working-with-predefined-recipes.html and one page per
recipe), the ECOMMERCE / VIDEO_ON_DEMAND use-case pages, CreateSolution / CreateSolutionVersion
(performIncrementalUpdate, trainingMode UPDATE), datasets-schemas-overview.html and
/work/shared/reference/personalize-api.md §10.
"""

from __future__ import annotations

from dataclasses import dataclass

RECIPE_ARN_PREFIX = "arn:aws:personalize:::recipe/"
ALGORITHM_ARN_PREFIX = "arn:aws:personalize:::algorithm/"
FEATURE_TRANSFORMATION_ARN_PREFIX = "arn:aws:personalize:::feature-transformation/"

RECIPE_TYPES = ("USER_PERSONALIZATION", "PERSONALIZED_RANKING", "RELATED_ITEMS", "PERSONALIZED_ACTIONS",
                "USER_SEGMENTATION", "RECOMMENDER")


@dataclass(frozen=True)
class Recipe:
    name: str
    recipe_type: str                         # one of RECIPE_TYPES
    description: str
    domain: str | None = None                # set for domain use cases (recommenders only)
    #: dataset types (documented spelling) a solution version of this recipe trains on: each must
    #: exist in the dataset group (and, in the emulator, hold imported data)
    needs: tuple[str, ...] = ("Interactions",)
    update_training: bool = False            # trainingMode UPDATE allowed (CreateSolutionVersion)
    incremental_update: bool = False         # performIncrementalUpdate allowed (CreateSolution)
    legacy: bool = False

    @property
    def arn(self) -> str:
        return RECIPE_ARN_PREFIX + self.name

    @property
    def algorithm_arn(self) -> str:
        return ALGORITHM_ARN_PREFIX + self.name

    @property
    def feature_transformation_arn(self) -> str:
        return FEATURE_TRANSFORMATION_ARN_PREFIX + self.name

    @property
    def training_datasets(self) -> tuple[str, ...]:
        """`needs` in the upper-case spelling of dataset ARNs (`ACTION_INTERACTIONS`)."""
        return tuple(t.upper() for t in self.needs)

    @property
    def is_domain(self) -> bool:
        return self.domain is not None


_UP, _RANK, _RELATED, _SEG = "USER_PERSONALIZATION", "PERSONALIZED_RANKING", "RELATED_ITEMS", "USER_SEGMENTATION"

CUSTOM_RECIPES: tuple[Recipe, ...] = (
    Recipe("aws-user-personalization-v2", _UP, "Recommends items a user will interact with (v2)."),
    Recipe("aws-user-personalization", _UP, "Recommends items a user will interact with, with exploration.",
           update_training=True),
    Recipe("aws-trending-now", _UP, "Recommends items gaining popularity fastest."),
    Recipe("aws-popularity-count", _UP, "Recommends the most popular items."),
    Recipe("aws-personalized-ranking-v2", _RANK, "Ranks a list of items for a user (v2)."),
    Recipe("aws-personalized-ranking", _RANK, "Ranks a list of items for a user."),
    # native-recipe-semantic-similarity.html: an Items dataset is required, interactions are optional
    Recipe("aws-semantic-similarity", _RELATED, "Recommends items with similar textual content.",
           needs=("Items",), incremental_update=True),
    Recipe("aws-similar-items", _RELATED, "Recommends items similar to a given item (co-occurrence + metadata)."),
    Recipe("aws-sims", _RELATED, "Recommends items similar to a given item (co-occurrence)."),
    # datasets-schemas-overview.html: "For the Next-Best-Action recipe, the Actions dataset is
    # required"; action-interactions-datasets.html: action interaction data has no minimum
    Recipe("aws-next-best-action", "PERSONALIZED_ACTIONS", "Recommends the next best actions for a user.",
           needs=("Actions",)),
    Recipe("aws-item-affinity", _SEG, "Segments users by affinity for items."),
    # item-attribute-affinity-recipe.html: trains on the Interactions and Items datasets
    Recipe("aws-item-attribute-affinity", _SEG, "Segments users by affinity for item attributes.",
           needs=("Interactions", "Items")),
    Recipe("aws-hrnn", _UP, "Legacy hierarchical RNN.", legacy=True),
    Recipe("aws-hrnn-metadata", _UP, "Legacy hierarchical RNN with metadata.", legacy=True),
    Recipe("aws-hrnn-coldstart", _UP, "Legacy hierarchical RNN with cold-start items.",
           update_training=True, legacy=True),
)

#: domain -> (use-case recipe name, use case) in the order of the domain's use-case page
DOMAIN_USE_CASES: dict[str, tuple[tuple[str, str], ...]] = {
    "ECOMMERCE": (
        ("aws-ecomm-popular-items-by-views", "Most viewed"),
        ("aws-ecomm-popular-items-by-purchases", "Best sellers"),
        ("aws-ecomm-frequently-bought-together", "Frequently bought together"),
        ("aws-ecomm-customers-who-viewed-x-also-viewed", "Customers who viewed X also viewed"),
        ("aws-ecomm-recommended-for-you", "Recommended for you"),
    ),
    "VIDEO_ON_DEMAND": (
        ("aws-vod-because-you-watched-x", "Because you watched X"),
        ("aws-vod-more-like-x", "More like X"),
        ("aws-vod-most-popular", "Most popular"),
        ("aws-vod-trending-now", "Trending now"),
        ("aws-vod-top-picks", "Top picks for you"),
    ),
}

DOMAIN_RECIPES: tuple[Recipe, ...] = tuple(
    Recipe(name, "RECOMMENDER", f"{label} use case for {domain} domain dataset groups.", domain=domain)
    for domain, cases in DOMAIN_USE_CASES.items() for name, label in cases
)

RECIPES: tuple[Recipe, ...] = CUSTOM_RECIPES + DOMAIN_RECIPES

BY_ARN: dict[str, Recipe] = {r.arn: r for r in RECIPES}
BY_ALGORITHM_ARN: dict[str, Recipe] = {r.algorithm_arn: r for r in RECIPES}
BY_FEATURE_ARN: dict[str, Recipe] = {r.feature_transformation_arn: r for r in RECIPES}

#: names of the recipes that allow trainingMode UPDATE / performIncrementalUpdate
UPDATE_MODE_RECIPES = frozenset(r.name for r in RECIPES if r.update_training)
INCREMENTAL_UPDATE_RECIPES = frozenset(r.name for r in RECIPES if r.incremental_update)


def recipe_for(arn: str) -> Recipe | None:
    return BY_ARN.get(arn)


def custom_recipe_arns() -> list[str]:
    return [r.arn for r in CUSTOM_RECIPES]


def domain_recipe_arns(domain: str | None = None) -> list[str]:
    return [r.arn for r in DOMAIN_RECIPES if domain is None or r.domain == domain]
