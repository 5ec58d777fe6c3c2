"""The built-in Personalize recipes `perso validate` knows, without calling AWS.

Recipe ARNs have no region or account: `arn:aws:personalize:::recipe/<name>`. Custom recipes are
used by solutions in any dataset group; domain recipes (use cases) only by recommenders in a
dataset group of their domain. Sources: the Personalize developer guide's recipe pages and the
ECOMMERCE / VIDEO_ON_DEMAND use-case pages (see shared/reference/personalize-api.md §10).
"""

from __future__ import annotations

from dataclasses import dataclass

RECIPE_ARN_PREFIX = "arn:aws:personalize:::recipe/"


@dataclass(frozen=True)
class Recipe:
    name: str
    recipe_type: str                         # USER_PERSONALIZATION, RELATED_ITEMS, ... or RECOMMENDER
    domain: str | None = None                # set for domain use-case recipes (recommenders only)
    # dataset types (spec spelling) that must exist in the group for training to work
    needs: tuple[str, ...] = ("Interactions",)
    update_training: bool = False            # trainingMode UPDATE allowed (CreateSolutionVersion doc)
    incremental_update: bool = False         # performIncrementalUpdate allowed
    legacy: bool = False

    @property
    def arn(self) -> str:
        return RECIPE_ARN_PREFIX + self.name

    @property
    def is_domain(self) -> bool:
        return self.domain is not None


_UP = "USER_PERSONALIZATION"
RECIPES: tuple[Recipe, ...] = (
    Recipe("aws-user-personalization-v2", _UP),
    Recipe("aws-user-personalization", _UP, update_training=True),
    Recipe("aws-trending-now", _UP),
    Recipe("aws-popularity-count", _UP),
    Recipe("aws-personalized-ranking-v2", "PERSONALIZED_RANKING"),
    Recipe("aws-personalized-ranking", "PERSONALIZED_RANKING"),
    Recipe("aws-semantic-similarity", "RELATED_ITEMS", needs=("Items",), incremental_update=True),
    Recipe("aws-similar-items", "RELATED_ITEMS"),
    Recipe("aws-sims", "RELATED_ITEMS"),
    Recipe("aws-next-best-action", "PERSONALIZED_ACTIONS", needs=("Actions", "Action_Interactions")),
    Recipe("aws-item-affinity", "USER_SEGMENTATION"),
    Recipe("aws-item-attribute-affinity", "USER_SEGMENTATION", needs=("Interactions", "Items")),
    Recipe("aws-hrnn", _UP, legacy=True),
    Recipe("aws-hrnn-metadata", _UP, legacy=True),
    Recipe("aws-hrnn-coldstart", _UP, update_training=True, legacy=True),
    *(Recipe(name, "RECOMMENDER", domain="ECOMMERCE") for name in (
        "aws-ecomm-popular-items-by-views",
        "aws-ecomm-popular-items-by-purchases",
        "aws-ecomm-frequently-bought-together",
        "aws-ecomm-customers-who-viewed-x-also-viewed",
        "aws-ecomm-recommended-for-you",
    )),
    *(Recipe(name, "RECOMMENDER", domain="VIDEO_ON_DEMAND") for name in (
        "aws-vod-because-you-watched-x",
        "aws-vod-more-like-x",
        "aws-vod-most-popular",
        "aws-vod-trending-now",
        "aws-vod-top-picks",
    )),
)

BY_ARN: dict[str, Recipe] = {r.arn: r for r in RECIPES}


def recipe_for(arn: str) -> Recipe | None:
    return BY_ARN.get(arn)


def custom_recipe_arns() -> list[str]:
    return [r.arn for r in RECIPES if not r.is_domain]


def domain_recipe_arns(domain: str | None = None) -> list[str]:
    return [r.arn for r in RECIPES if r.is_domain and (domain is None or r.domain == domain)]
