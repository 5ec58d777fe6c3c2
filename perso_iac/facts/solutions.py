"""What CreateSolution refuses: AutoML with a recipe, HPO limits, and each recipe's hyperparameters.

Shared by `perso validate` and the emulator's CreateSolution. Issues carry a path relative to the
CreateSolution request (`("solutionConfig", "algorithmHyperParameters", "bptt")`).

Sources (https://docs.aws.amazon.com/personalize/latest/dg/ unless noted):
- API_CreateSolution.html: performAutoML "recipeArn must not be specified" when true; recipeArn is
  required otherwise.
- API_HPOResourceConfig.html: "The maximum value for maxNumberOfTrainingJobs is 40",
  "The maximum value for maxParallelTrainingJobs is 10" (both strings in the API).
- The recipes' "Properties and hyperparameters" tables (name, default, range, value type, "HPO
  tunable"): native-recipe-new-item-USER_PERSONALIZATION.html, native-recipe-search.html,
  native-recipe-sims.html, native-recipe-similar-items.html, native-recipe-popularity.html ("has no
  exposed hyperparameters"), item-affinity-recipe.html, item-attribute-affinity-recipe.html,
  native-recipe-hrnn*.html (archived guide: awsdocs/amazon-personalize-developer-guide@83a0cb3,
  doc_source/<page>.md); native-recipe-user-personalization-v2.html and
  native-recipe-personalized-ranking-v2.html (apply_recency_bias, Boolean, not tunable).
- The error AWS returns for a name the recipe does not have: "Provide a hyperparameter that is used
  in the algorithm: arn:aws:personalize:::algorithm/aws-similar-items"
  (real-aws/responses/error_create_solution__issue-amazon-personalize-samples-156__1.json).

Recipes whose table we could not read (aws-trending-now, aws-semantic-similarity,
aws-next-best-action) are not checked: `CATALOGUE` has no entry for them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .recipes import ALGORITHM_ARN_PREFIX, BY_ARN
from .spelling import did_you_mean

MAX_TRAINING_JOBS = 40
MAX_PARALLEL_TRAINING_JOBS = 10
#: prefixes DescribeSolution echoes on HPO range names (`training.bptt`); accepted on input too
ECHO_PREFIXES = ("training.", "data.")


@dataclass(frozen=True)
class HyperParameter:
    name: str
    kind: str                        # integer | continuous | categorical (the API's range kinds)
    low: float | None = None         # inclusive bounds; None: unbounded
    high: float | None = None
    values: tuple[str, ...] = ()     # categorical values, compared ignoring case
    tunable: bool = False            # "HPO tunable: Yes"
    positive: bool = False           # "Range: Positive integers/floats"


@dataclass(frozen=True)
class SolutionIssue:
    path: tuple[str | int, ...]      # relative to the CreateSolution request
    message: str
    hint: str | None = None
    key: bool = False                # the issue is about the key at `path`, not its value
    api_message: str | None = None   # AWS's own text for it, when known
    warning: bool = False            # documented as unsupported, but AWS may accept it: warn, don't refuse


def _int(name: str, low: float | None, high: float | None, tunable: bool = False, **kw: Any) -> HyperParameter:
    return HyperParameter(name, "integer", low, high, tunable=tunable, **kw)


def _float(name: str, low: float | None, high: float | None, tunable: bool = False, **kw: Any) -> HyperParameter:
    return HyperParameter(name, "continuous", low, high, tunable=tunable, **kw)


def _bool(name: str, tunable: bool = False) -> HyperParameter:
    return HyperParameter(name, "categorical", values=("true", "false"), tunable=tunable)


_PERCENTILES = (_float("min_user_history_length_percentile", 0.0, 1.0),
                _float("max_user_history_length_percentile", 0.0, 1.0))
_RNN = (_int("hidden_dimension", 32, 256, True), _int("bptt", 2, 32, True), _bool("recency_mask", True),
        *_PERCENTILES)

#: recipe name -> its hyperparameters (algorithm and featurization); absent: not checked
CATALOGUE: dict[str, tuple[HyperParameter, ...]] = {
    "aws-user-personalization": _RNN,
    "aws-personalized-ranking": _RNN,
    "aws-hrnn": _RNN,
    "aws-hrnn-metadata": _RNN,
    "aws-hrnn-coldstart": (*_RNN, _int("cold_start_max_interactions", 1, None, positive=True),
                           _float("cold_start_max_duration", 0.0, None, positive=True),
                           HyperParameter("cold_start_relative_from", "categorical",
                                          values=("currentTime", "latestItem"))),
    "aws-user-personalization-v2": (_bool("apply_recency_bias"),),
    "aws-personalized-ranking-v2": (_bool("apply_recency_bias"),),
    "aws-sims": (_float("popularity_discount_factor", 0.0, 1.0, True), _int("min_cointeraction_count", 0, 10, True),
                 *_PERCENTILES, _float("min_item_interaction_count_percentile", 0.0, 1.0),
                 _float("max_item_interaction_count_percentile", 0.0, 1.0)),
    "aws-similar-items": (_int("item_id_hidden_dim", 30, 200, True), _int("item_metadata_hidden_dim", 30, 200, True)),
    "aws-popularity-count": (),
    "aws-item-affinity": (_int("hidden_dimension", 32, 256),),
    "aws-item-attribute-affinity": (_int("hidden_dimension", 32, 256),),
}
#: the solutionConfig maps whose keys are hyperparameter names. Unknown names are refused in
#: algorithmHyperParameters only: featureTransformationParameters also holds settings whose API key the
#: docs don't give (Trending-Now's "Trend discovery frequency"), so there only known names are checked.
VALUE_MAPS = ("algorithmHyperParameters", "featureTransformationParameters")
RANGE_KINDS = {"integerHyperParameterRanges": "integer", "continuousHyperParameterRanges": "continuous",
               "categoricalHyperParameterRanges": "categorical"}


def _d(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _bare(name: str) -> str:
    for prefix in ECHO_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_value(hp: HyperParameter, value: Any) -> str | None:
    """Why `value` is not acceptable for `hp`, or None."""
    text = _shown(value).strip()
    if hp.kind == "categorical":
        if text.lower() not in {v.lower() for v in hp.values}:
            return f"{hp.name} must be one of {', '.join(hp.values)}, not {text!r}"
        return None
    number = _number(text)
    if number is None or (hp.kind == "integer" and not number.is_integer()):
        return f"{hp.name} must be {'an integer' if hp.kind == 'integer' else 'a number'}, not {text!r}"
    return _range_problem(hp, number)


def _range_problem(hp: HyperParameter, number: float) -> str | None:
    if hp.positive and number <= 0:
        return f"{hp.name} must be positive, not {_fmt(number)}"
    if (hp.low is not None and number < hp.low) or (hp.high is not None and number > hp.high):
        return f"{hp.name} must be within {_bounds(hp)}, not {_fmt(number)}"
    return None


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _bounds(hp: HyperParameter) -> str:
    low = "-inf" if hp.low is None else _fmt(hp.low)
    high = "inf" if hp.high is None else _fmt(hp.high)
    return f"[{low}, {high}]"


def unknown_message(recipe: str) -> str:
    """AWS's own words (error_create_solution__issue-amazon-personalize-samples-156__1.json)."""
    return f"Provide a hyperparameter that is used in the algorithm: {ALGORITHM_ARN_PREFIX}{recipe}"


def check_solution(request: Mapping[str, Any]) -> list[SolutionIssue]:
    """Every reason CreateSolution refuses `request` (API member names) that these facts know."""
    issues: list[SolutionIssue] = []
    recipe_arn = request.get("recipeArn")
    if request.get("performAutoML") is True and recipe_arn is not None:
        issues.append(SolutionIssue(("recipeArn",), "recipeArn must not be specified when performAutoML is true",
                                    "AutoML picks the recipe: remove recipeArn, or set performAutoML: false",
                                    key=True))
    config = _d(request.get("solutionConfig"))
    resources = _d(_d(config.get("hpoConfig")).get("hpoResourceConfig"))
    for key, limit in (("maxNumberOfTrainingJobs", MAX_TRAINING_JOBS),
                       ("maxParallelTrainingJobs", MAX_PARALLEL_TRAINING_JOBS)):
        if key in resources:
            number = _number(_shown(resources[key]))
            if number is None or not number.is_integer() or not 1 <= number <= limit:
                issues.append(SolutionIssue(("solutionConfig", "hpoConfig", "hpoResourceConfig", key),
                                            f"{key} must be a whole number from 1 to {limit}, not "
                                            f"{_shown(resources[key])!r}", f"AWS allows at most {limit}"))
    recipe = BY_ARN.get(recipe_arn) if isinstance(recipe_arn, str) else None
    if recipe is not None and recipe.name in CATALOGUE:
        issues.extend(check_hyperparameters(recipe.name, config))
    return issues


def check_hyperparameters(recipe: str, config: Mapping[str, Any]) -> list[SolutionIssue]:
    """Names, values and HPO ranges in a solutionConfig against the recipe's table."""
    table = {hp.name: hp for hp in CATALOGUE[recipe]}
    names = sorted(table)
    issues: list[SolutionIssue] = []

    def unknown(path: tuple[str | int, ...], name: str, key: bool) -> None:
        guess = did_you_mean(name, names)
        hint = (f"did you mean '{guess}'?" if guess else
                f"{recipe} hyperparameters: {', '.join(names)}" if names else f"{recipe} has no hyperparameters")
        issues.append(SolutionIssue(path, f"{recipe} has no hyperparameter '{name}'", hint, key=key,
                                    api_message=unknown_message(recipe)))

    for section in VALUE_MAPS:
        for name, value in _d(config.get(section)).items():
            path = ("solutionConfig", section, name)
            hp = table.get(_bare(str(name)))
            if hp is None:
                if section == VALUE_MAPS[0]:
                    unknown(path, str(name), True)
            elif (problem := check_value(hp, value)) is not None:
                issues.append(SolutionIssue(path, problem, f"{recipe}'s {hp.name}: {_describe(hp)}"))
    ranges = _d(_d(config.get("hpoConfig")).get("algorithmHyperParameterRanges"))
    for list_key, kind in RANGE_KINDS.items():
        entries = ranges.get(list_key)
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            name = _d(entry).get("name")
            if not isinstance(name, str):
                continue
            path = ("solutionConfig", "hpoConfig", "algorithmHyperParameterRanges", list_key, i)
            hp = table.get(_bare(name))
            if hp is None:
                unknown((*path, "name"), name, False)
            elif not hp.tunable:
                issues.append(SolutionIssue((*path, "name"), f"{recipe}'s {hp.name} can't be tuned by HPO",
                                            "set it in algorithmHyperParameters instead"))
            elif hp.kind != kind:
                wanted = next(k for k, v in RANGE_KINDS.items() if v == hp.kind)
                issues.append(SolutionIssue((*path, "name"), f"{hp.name} is {hp.kind}, so its range belongs in "
                                                             f"{wanted}", None))
            else:
                issues.extend(_check_range(hp, _d(entry), path))
    return issues


def _check_range(hp: HyperParameter, entry: Mapping[str, Any], path: tuple[str | int, ...]) -> list[SolutionIssue]:
    if hp.kind == "categorical":
        values = entry.get("values")
        bad = [v for v in values if check_value(hp, v)] if isinstance(values, list) else []
        return [SolutionIssue((*path, "values"), f"{hp.name} takes {', '.join(hp.values)}, not "
                                                 f"{', '.join(map(_shown, bad))}")] if bad else []
    out: list[SolutionIssue] = []
    low, high = _number(entry.get("minValue")), _number(entry.get("maxValue"))
    for key, number in (("minValue", low), ("maxValue", high)):
        problem = _range_problem(hp, number) if number is not None else None
        if problem:
            out.append(SolutionIssue((*path, key), problem))
    if low is not None and high is not None and low > high:
        out.append(SolutionIssue((*path, "minValue"), f"minValue {_fmt(low)} is above maxValue {_fmt(high)}"))
    return out


def _describe(hp: HyperParameter) -> str:
    if hp.kind == "categorical":
        return "one of " + ", ".join(hp.values)
    what = "an integer" if hp.kind == "integer" else "a number"
    return f"{what} {'> 0' if hp.positive else 'in ' + _bounds(hp)}"


# ---------------------------------------------------------------------- campaigns
#: API_CampaignConfig.html: "Provide itemExplorationConfig data only if your solution uses the
#: User-Personalization recipe"; ranges from native-recipe-new-item-USER_PERSONALIZATION.html
#: (exploration_weight [0.0, 1.0], exploration_item_age_cut_off positive floats).
EXPLORATION_RECIPES = ("aws-user-personalization",)
EXPLORATION = {"explorationWeight": _float("exploration_weight", 0.0, 1.0),
               "explorationItemAgeCutOff": _float("exploration_item_age_cut_off", 0.0, None, positive=True)}


def check_campaign_config(recipe: str | None, config: Mapping[str, Any]) -> list[SolutionIssue]:
    """CampaignConfig rules that depend on the solution's recipe (None: AutoML, not checked)."""
    exploration = config.get("itemExplorationConfig")
    if not isinstance(exploration, Mapping) or recipe is None:
        return []
    if recipe not in EXPLORATION_RECIPES:  # "provide ... only if": whether AWS refuses or ignores it is unknown
        return [SolutionIssue(("campaignConfig", "itemExplorationConfig"),
                              f"itemExplorationConfig applies only to aws-user-personalization solutions, not {recipe}",
                              "remove itemExplorationConfig", key=True, warning=True)]
    issues = []
    for key, value in exploration.items():
        hp = EXPLORATION.get(str(key))
        problem = check_value(hp, value) if hp else None
        if problem:
            issues.append(SolutionIssue(("campaignConfig", "itemExplorationConfig", key),
                                        problem.replace(hp.name, key, 1) if hp else problem))
    return issues
