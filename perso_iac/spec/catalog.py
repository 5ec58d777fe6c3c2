"""The built-in Personalize recipes `perso validate` knows: an adapter over `perso_iac.facts.recipes`.

The catalogue itself lives in `perso_iac.facts.recipes`, shared with the emulator.
"""

from __future__ import annotations

from ..facts.recipes import (  # noqa: F401 - re-exported for importers of perso_iac.spec.catalog
    BY_ARN,
    RECIPE_ARN_PREFIX,
    RECIPES,
    Recipe,
    custom_recipe_arns,
    domain_recipe_arns,
    recipe_for,
)
