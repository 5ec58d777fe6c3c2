"""The price catalogue: what Personalize bills per unit, per region, each price with its source.

The built-in catalogue is `prices.json` next to this module. A user file (JSON or YAML, same
shape, any subset) overrides it: `perso plan --prices FILE` or `cost: {prices_file: FILE}` in
the spec. Lookup order for a region: built-in default, built-in region, user default, user
region; a later entry replaces a whole price (so its source and date travel with it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import PersoError

BUILTIN = Path(__file__).with_name("prices.json")


@dataclass(frozen=True)
class Tier:
    up_to: float | None       # cumulative quantity where this tier ends; None: no end
    price: float


@dataclass(frozen=True)
class Price:
    key: str
    unit: str
    tiers: tuple[Tier, ...]    # a flat price is one open tier
    description: str = ""
    source: str = ""
    retrieved: str = ""
    confirmed: bool = False

    @property
    def flat(self) -> float:
        """The first tier's price: what one unit costs at low volume."""
        return self.tiers[0].price

    def cost(self, quantity: float) -> float:
        """The cost of `quantity` units, filling the tiers in order."""
        total, start = 0.0, 0.0
        for tier in self.tiers:
            end = quantity if tier.up_to is None else min(quantity, tier.up_to)
            if end > start:
                total += (end - start) * tier.price
            if tier.up_to is None or quantity <= tier.up_to:
                break
            start = tier.up_to
        return total

    def describe(self) -> str:
        if len(self.tiers) == 1:
            return f"{self.flat:g} per {self.unit}"
        return f"{self.flat:g} per {self.unit} (tiered)"


@dataclass(frozen=True)
class Catalogue:
    region: str
    currency: str
    hours_per_month: float
    prices: Mapping[str, Price]
    origin: tuple[str, ...] = field(default_factory=tuple)   # the files it was read from

    def __getitem__(self, key: str) -> Price:
        return self.prices[key]

    def unconfirmed(self) -> list[str]:
        return sorted(k for k, p in self.prices.items() if not p.confirmed)

    def to_dict(self) -> dict[str, Any]:
        return {"region": self.region, "currency": self.currency, "hours_per_month": self.hours_per_month,
                "files": list(self.origin), "unconfirmed": self.unconfirmed(),
                "prices": {k: {"unit": p.unit, "tiers": [{"up_to": t.up_to, "price": t.price} for t in p.tiers],
                               "source": p.source, "retrieved": p.retrieved, "confirmed": p.confirmed}
                           for k, p in sorted(self.prices.items())}}


def _read(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PersoError(f"cannot read the prices file {path}: {exc.strerror or exc}",
                         hint="pass an existing JSON or YAML file to --prices / cost.prices_file") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise PersoError(f"the prices file {path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: "
                         f"{exc}") from None
    if not isinstance(data, Mapping):
        raise PersoError(f"the prices file {path} must hold a mapping with `regions:` (see {BUILTIN.name})")
    return data


def _price(key: str, raw: Any, where: str) -> Price:
    if not isinstance(raw, Mapping) or ("price" not in raw and "tiers" not in raw):
        raise PersoError(f"{where}: price {key!r} needs `price:` or `tiers:` (and `unit:`)")
    try:
        if "tiers" in raw:
            tiers = tuple(Tier(None if t.get("up_to") is None else float(t["up_to"]), float(t["price"]))
                          for t in raw["tiers"])
        else:
            tiers = (Tier(None, float(raw["price"])),)
    except (TypeError, ValueError, KeyError, AttributeError):
        raise PersoError(f"{where}: price {key!r} has a malformed price or tier "
                         "(tiers are [{up_to: N or null, price: X}, ...])") from None
    if not tiers or tiers[-1].up_to is not None:
        raise PersoError(f"{where}: the last tier of price {key!r} must have up_to: null")
    return Price(key=key, unit=str(raw.get("unit", "unit")), tiers=tiers, description=str(raw.get("description", "")),
                 source=str(raw.get("source", where)), retrieved=str(raw.get("retrieved", "")),
                 confirmed=bool(raw.get("confirmed", False)))


def load_catalogue(region: str, user_file: str | Path | None = None) -> Catalogue:
    """The prices that apply in `region`: the built-in catalogue overridden by `user_file`."""
    layers = [(BUILTIN, _read(BUILTIN))]
    if user_file is not None:
        layers.append((Path(user_file), _read(Path(user_file))))
    prices: dict[str, Price] = {}
    currency, hours = "USD", 730.0
    for path, data in layers:
        currency = str(data.get("currency", currency))
        hours = float(data.get("hours_per_month", hours))
        regions = data.get("regions") or {}
        if not isinstance(regions, Mapping):
            raise PersoError(f"{path}: `regions` must map region names (or `default`) to prices")
        for name in ("default", region):
            for key, raw in (regions.get(name) or {}).items():
                prices[key] = _price(key, raw, f"{path} regions.{name}")
    return Catalogue(region=region, currency=currency, hours_per_month=hours, prices=prices,
                     origin=tuple("built-in perso_iac/cost/prices.json" if p == BUILTIN else str(p) for p, _ in layers))
