"""The price catalogue: tiers, per-region overrides, sources, and clear errors for bad files."""

from __future__ import annotations

import pytest

from perso_iac.cost import load_catalogue
from perso_iac.cost.catalogue import Price, Tier
from perso_iac.errors import PersoError


def test_tiers_fill_in_order():
    price = Price("p", "unit", (Tier(10, 1.0), Tier(100, 0.5), Tier(None, 0.1)))
    assert price.cost(0) == 0
    assert price.cost(5) == 5
    assert price.cost(10) == 10
    assert price.cost(50) == 10 + 40 * 0.5
    assert price.cost(200) == 10 + 90 * 0.5 + 100 * 0.1


def test_every_builtin_price_has_a_source_and_a_date():
    cat = load_catalogue("eu-west-1")
    assert {"campaign_tps_hour", "training_hour", "recommender_1k_requests", "data_ingestion_gb",
            "v2_inference_1k_requests", "v2_training_1k_interactions"} <= set(cat.prices)
    for price in cat.prices.values():
        assert price.source and price.retrieved and price.unit
        assert price.tiers[-1].up_to is None


def test_a_user_file_overrides_per_region(tmp_path):
    user = tmp_path / "p.json"
    user.write_text('{"regions": {"default": {"training_hour": {"price": 1, "unit": "h"}},'
                    ' "eu-west-1": {"training_hour": {"price": 2, "unit": "h", "confirmed": true}}}}')
    assert load_catalogue("us-east-1", user)["training_hour"].flat == 1
    eu = load_catalogue("eu-west-1", user)
    assert eu["training_hour"].flat == 2 and eu["training_hour"].confirmed
    assert eu["campaign_tps_hour"].flat == load_catalogue("eu-west-1")["campaign_tps_hour"].flat


@pytest.mark.parametrize("text, message", [
    ("[1, 2]", "must hold a mapping"),
    ("regions: {default: {x: {unit: h}}}", "needs `price:` or `tiers:`"),
    ("regions: {default: {x: {price: abc}}}", "malformed price"),
    ("regions: [1]", "`regions` must map"),
    ("regions: {default: {x: {price: 1}}", "not valid YAML"),
])
def test_bad_price_files_say_what_is_wrong(tmp_path, text, message):
    user = tmp_path / "p.yaml"
    user.write_text(text)
    with pytest.raises(PersoError, match=message.replace("[", r"\[").replace("`", "`")):
        load_catalogue("us-east-1", user)


def test_a_missing_price_file_is_a_clear_error(tmp_path):
    with pytest.raises(PersoError, match="cannot read the prices file"):
        load_catalogue("us-east-1", tmp_path / "nope.yaml")
