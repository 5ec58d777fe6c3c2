"""What a plan (or the live stack) costs, from the price catalogue. Pure: no AWS, no printing.

Recurring costs are monthly run-rates at the provisioned floor (a campaign bills
max(minProvisionedTPS, actual TPS) every hour it exists; a recommender max(minimum requests
per second, actual) every hour it is ACTIVE), so real bills are at least these figures.
Tiers are applied per resource, as if it were alone in the account: a bound from above
when several campaigns share the account's volume tiers. One-off costs (training, imports)
are estimated where a quantity is known (the previous version's billed trainingHours) and
shown as a unit price where it is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..plan import Action, Change, Plan
from ..resources.base import Observed
from ..state.model import StateFile
from .catalogue import Catalogue, Price

SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class Component:
    name: str
    quantity: float          # per month for recurring components, in total for one-off ones
    unit: str
    price: Price
    cost: float

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "quantity": round(self.quantity, 6), "unit": self.unit,
                "price": self.price.flat, "tiered": len(self.price.tiers) > 1, "cost": round(self.cost, 4),
                "price_key": self.price.key, "confirmed": self.price.confirmed}


@dataclass(frozen=True)
class CostItem:
    address: str
    type: str
    action: str
    monthly_before: float | None = None
    monthly_after: float | None = None
    one_off: float | None = None
    unit_price: Price | None = None          # when the quantity is not known
    components: tuple[Component, ...] = ()
    note: str = ""

    @property
    def monthly_delta(self) -> float | None:
        if self.monthly_before is None and self.monthly_after is None:
            return None
        return (self.monthly_after or 0.0) - (self.monthly_before or 0.0)

    def to_dict(self) -> dict[str, Any]:
        def money(v: float | None) -> float | None:
            return None if v is None else round(v, 4)
        return {"address": self.address, "type": self.type, "action": self.action,
                "monthly_before": money(self.monthly_before), "monthly_after": money(self.monthly_after),
                "monthly_delta": money(self.monthly_delta), "one_off": money(self.one_off),
                "unit_price": None if self.unit_price is None else {
                    "price": self.unit_price.flat, "unit": self.unit_price.unit, "price_key": self.unit_price.key,
                    "confirmed": self.unit_price.confirmed},
                "cost_components": [c.to_dict() for c in self.components], "note": self.note}


@dataclass(frozen=True)
class CostEstimate:
    catalogue: Catalogue
    items: tuple[CostItem, ...] = ()
    kind: str = "plan"                       # "plan": deltas; "run_rate": what is live
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def currency(self) -> str:
        return self.catalogue.currency

    def _sum(self, attr: str) -> float:
        return sum(getattr(i, attr) or 0.0 for i in self.items)

    @property
    def monthly_before(self) -> float:
        return self._sum("monthly_before")

    @property
    def monthly_after(self) -> float:
        return self._sum("monthly_after")

    @property
    def monthly_delta(self) -> float:
        return self.monthly_after - self.monthly_before

    @property
    def one_off(self) -> float:
        return self._sum("one_off")

    def to_dict(self) -> dict[str, Any]:
        """Infracost-like: totals before/after/diff, then per-resource items with cost components."""
        return {"currency": self.currency, "kind": self.kind,
                "monthly_before": round(self.monthly_before, 4), "monthly_after": round(self.monthly_after, 4),
                "monthly_delta": round(self.monthly_delta, 4), "one_off": round(self.one_off, 4),
                "hours_per_month": self.catalogue.hours_per_month,
                "items": [i.to_dict() for i in self.items], "notes": list(self.notes),
                "catalogue": {"region": self.catalogue.region, "files": list(self.catalogue.origin),
                              "unconfirmed": self.catalogue.unconfirmed()}}


# -- what one resource costs --------------------------------------------------------------------

def is_v2(recipe_arn: Any) -> bool:
    return isinstance(recipe_arn, str) and recipe_arn.rstrip("/").endswith("-v2")


def _number(value: Any, default: float) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def monthly_components(type_name: str, params: Mapping[str, Any] | None, recipe: Any,
                       cat: Catalogue) -> tuple[Component, ...] | None:
    """The recurring monthly cost of a resource with `params`, or None when it bills nothing recurring."""
    if params is None:
        return None
    hours = cat.hours_per_month
    if type_name == "campaign":
        tps = _number(params.get("minProvisionedTPS"), 1.0)    # AWS's default is 1
        if is_v2(recipe):
            price = cat["v2_inference_1k_requests"]
            thousands = tps * SECONDS_PER_HOUR * hours / 1000
            return (Component(f"{tps:g} TPS provisioned × 3600 s × {hours:g} h (-v2 recipe: per request)",
                              thousands, price.unit, price, price.cost(thousands)),)
        price = cat["campaign_tps_hour"]
        tps_hours = tps * hours
        return (Component(f"{tps:g} TPS provisioned × {hours:g} h", tps_hours, price.unit, price,
                          price.cost(tps_hours)),)
    if type_name == "recommender":
        if str(params.get("state", "ACTIVE")).upper() == "INACTIVE":
            return ()
        config = params.get("recommenderConfig") or {}
        rps = _number(config.get("minRecommendationRequestsPerSecond") if isinstance(config, Mapping) else None, 1.0)
        price = cat["recommender_1k_requests"]
        per_hour = rps * SECONDS_PER_HOUR / 1000                # thousands of requests per hour: the tiers' basis
        return (Component(f"{rps:g} requests/s minimum × 3600 s × {hours:g} h", per_hour * hours, price.unit, price,
                          price.cost(per_hour) * hours),)
    return None


def _total(components: tuple[Component, ...] | None) -> float | None:
    return None if components is None else sum(c.cost for c in components)


def _recipe(address: str, recipes: Mapping[str, Any], depends_on: Mapping[str, tuple[str, ...]]) -> Any:
    """The recipe of the solution `address` hangs from, following dependencies."""
    seen, todo = set(), [address]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if current.startswith("solution.") and recipes.get(current):
            return recipes[current]
        todo.extend(depends_on.get(current, ()))
    return None


# -- a plan ------------------------------------------------------------------------------------

def estimate_plan(plan: Plan, observed: Mapping[str, Observed | None], cat: Catalogue) -> CostEstimate:
    """Each change's monthly delta where computable, its unit price where not, and the totals."""
    recipes: dict[str, Any] = {}
    depends: dict[str, tuple[str, ...]] = {}
    for c in plan.changes:
        depends[c.address] = tuple(c.depends_on) + tuple(c.prior_depends_on)
        if c.type == "solution":
            recipes[c.address] = (c.after or {}).get("recipeArn") or (c.before or {}).get("recipeArn")
    items = []
    for change in plan.changes:
        if change.action is Action.NOOP:
            continue
        recipe = _recipe(change.address, recipes, depends)
        item = _change_item(change, recipe, observed.get(change.address), cat)
        if item is not None:
            items.append(item)
    return CostEstimate(catalogue=cat, items=tuple(items), kind="plan")


def _change_item(change: Change, recipe: Any, obs: Observed | None, cat: Catalogue) -> CostItem | None:
    action = change.action.value
    if change.type in ("campaign", "recommender"):
        before = None if change.action is Action.CREATE or change.gone else monthly_components(
            change.type, change.before, recipe, cat)
        after = None if change.action is Action.DELETE else monthly_components(change.type, change.after, recipe, cat)
        if before is None and after is None:
            return None
        if change.action is Action.UPDATE and _total(before) == _total(after):
            return None
        note = ""
        if change.action is Action.REPLACE:
            note = "billed again from creation; the old one stops billing once deleted"
        return CostItem(change.address, change.type, action, monthly_before=_total(before),
                        monthly_after=_total(after), components=after or before or (), note=note)
    if change.action is Action.DELETE:
        return None
    if change.type == "solution_version":
        return _training_item(change, recipe, obs, cat)
    if change.type == "dataset_import":
        return CostItem(change.address, change.type, action, unit_price=cat["data_ingestion_gb"],
                        note="billed per GB ingested; the size is known only once the import has read it")
    if change.type == "solution" and (change.after or {}).get("performAutoTraining") is True:
        price = cat["v2_training_1k_interactions"] if is_v2(recipe) else cat["training_hour"]
        config = (change.after or {}).get("solutionConfig") or {}
        schedule = ((config.get("autoTrainingConfig") or {}).get("schedulingExpression") if isinstance(config, Mapping)
                    else None) or "rate(7 days)"
        return CostItem(change.address, change.type, action, unit_price=price,
                        note=f"automatic training {schedule}: each run is billed")
    return None


def _training_item(change: Change, recipe: Any, obs: Observed | None, cat: Catalogue) -> CostItem:
    action = change.action.value
    if is_v2(recipe):
        return CostItem(change.address, change.type, action, unit_price=cat["v2_training_1k_interactions"],
                        note="-v2 recipe: billed per 1,000 interactions trained on")
    price = cat["training_hour"]
    hours = (obs.outputs.get("trainingHours") if obs is not None and change.action is Action.REPLACE else None)
    if isinstance(hours, int | float) and not isinstance(hours, bool) and hours > 0:
        return CostItem(change.address, change.type, action, one_off=price.cost(hours),
                        components=(Component(f"{hours:g} training hours billed for the previous version",
                                              hours, price.unit, price, price.cost(hours)),),
                        note="estimated from the previous version's billed trainingHours")
    return CostItem(change.address, change.type, action, unit_price=price,
                    note="billed per training hour; no previous version to estimate the hours from")


# -- what is live ------------------------------------------------------------------------------

def run_rate(state: StateFile, observed: Mapping[str, Observed | None], cat: Catalogue) -> CostEstimate:
    """The stack's current monthly run-rate from the live resources (`perso cost`)."""
    recipes: dict[str, Any] = {}
    depends: dict[str, tuple[str, ...]] = {}
    for address, res in state.resources.items():
        depends[address] = tuple(res.depends_on)
        obs = observed.get(address)
        if res.type == "solution":
            recipes[address] = (obs.params if obs else res.params).get("recipeArn")
    items = []
    for address, res in state.resources.items():
        obs = observed.get(address)
        if obs is None or res.type not in ("campaign", "recommender"):
            continue
        if str(obs.status or "").upper().startswith("DELETE"):
            continue
        components = monthly_components(res.type, obs.params, _recipe(address, recipes, depends), cat)
        if components is None:
            continue
        items.append(CostItem(address, res.type, "live", monthly_after=_total(components), components=components,
                              note="" if str(obs.status).upper() in ("ACTIVE", "INACTIVE") else f"status {obs.status}"))
    return CostEstimate(catalogue=cat, items=tuple(items), kind="run_rate")
