"""Read-only catalogue: recipes, algorithms and feature transformations."""

from __future__ import annotations

from .. import catalog
from .. import errors as E
from .account import Account
from .paging import paginate


def describe_recipe(acct: Account, p: dict) -> dict:
    recipe = catalog.BY_ARN.get(p["recipeArn"])
    if recipe is None:
        raise E.not_found(f"Could not find the recipe with ARN {p['recipeArn']}.")
    return {"recipe": catalog.recipe_view(recipe)}


def describe_algorithm(acct: Account, p: dict) -> dict:
    recipe = catalog.BY_ALGORITHM_ARN.get(p["algorithmArn"])
    if recipe is None:
        raise E.not_found(f"Could not find the algorithm with ARN {p['algorithmArn']}.")
    return {"algorithm": catalog.algorithm_view(recipe)}


def describe_feature_transformation(acct: Account, p: dict) -> dict:
    recipe = catalog.BY_FEATURE_ARN.get(p["featureTransformationArn"])
    if recipe is None:
        raise E.not_found(f"Could not find the feature transformation with ARN {p['featureTransformationArn']}.")
    return {"featureTransformation": catalog.feature_transformation_view(recipe)}


#: ListRecipes without maxResults pages at 12, by name, with a nextToken (list_recipes__KJMAN678-*__1..3.json),
#: although the documented default maxResults is 100
RECIPES_PAGE = 12


def list_recipes(acct: Account, p: dict) -> dict:
    domain = p.get("domain")
    recipes = [catalog.recipe_view(r) for r in sorted(catalog.RECIPES, key=lambda r: r.name)
               if domain is None or r.domain == domain]
    page, nxt = paginate("ListRecipes", recipes, {"maxResults": RECIPES_PAGE, **p}, str(domain))
    return {"recipes": page, "nextToken": nxt}


OPERATIONS = {
    "DescribeRecipe": describe_recipe,
    "DescribeAlgorithm": describe_algorithm,
    "DescribeFeatureTransformation": describe_feature_transformation,
    "ListRecipes": list_recipes,
}
