"""Cost in plans, end to end against the emulator: the figures match a hand computation from the
price catalogue (perso_iac/cost/prices.json) for a campaign TPS change, a retraining and a new
recommender; a user's price file overrides it; `perso cost` prints the live run-rate."""

from __future__ import annotations

import json
import textwrap

import boto3
import pytest

from perso_iac.cost import load_catalogue

LEGACY = ("--var", "recipe=aws-user-personalization")   # priced per TPS-hour and training hour


@pytest.fixture
def prices():
    return load_catalogue("us-east-1")


def plan_json(stack, *args: str) -> dict:
    result = stack.perso("plan", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def item(doc: dict, address: str) -> dict:
    return next(i for i in doc["cost"]["items"] if i["address"] == address)


def test_campaign_tps_change_costs_the_tiered_tps_hours(stack, prices):
    assert stack.perso("apply", "--auto-approve", *LEGACY).exit_code == 0
    doc = plan_json(stack, *LEGACY, "--var", "tps=30")

    # By hand: 1 TPS × 730 h = 730 TPS-hours at the first tier; 30 TPS × 730 h = 21,900 TPS-hours:
    # 20,000 at the first tier, 1,900 at the second.
    tier1, tier2 = prices["campaign_tps_hour"].tiers[0].price, prices["campaign_tps_hour"].tiers[1].price
    before, after = 730 * tier1, 20_000 * tier1 + 1_900 * tier2
    campaign = item(doc, "campaign.e2e.main")
    assert campaign["action"] == "update"
    assert campaign["monthly_before"] == pytest.approx(before)
    assert campaign["monthly_after"] == pytest.approx(after)
    assert campaign["monthly_delta"] == pytest.approx(after - before)
    assert doc["cost"]["monthly_delta"] == pytest.approx(after - before)
    assert doc["cost"]["currency"] == "USD"
    assert "campaign_tps_hour" in doc["cost"]["catalogue"]["unconfirmed"]

    text = stack.perso("plan", *LEGACY, "--var", "tps=30").output
    assert f"campaign.e2e.main: +{after - before:,.2f} USD/month ({before:,.2f} -> {after:,.2f})" in text
    assert f"Monthly cost change: +{after - before:,.2f} USD" in text
    markdown = stack.perso("plan", "--format", "markdown", *LEGACY, "--var", "tps=30").output
    assert f"| `campaign.e2e.main` | +{after - before:,.2f} |" in markdown


def test_v2_campaign_is_priced_per_request(stack, prices):
    doc = plan_json(stack)                       # the e2e spec's default recipe is -v2
    per_1k = prices["v2_inference_1k_requests"].flat
    assert item(doc, "campaign.e2e.main")["monthly_delta"] == pytest.approx(1 * 3600 * 730 / 1000 * per_1k)
    training = item(doc, "solution_version.e2e.up")
    assert training["one_off"] is None and training["unit_price"]["price_key"] == "v2_training_1k_interactions"


def test_retraining_is_estimated_from_the_previous_versions_training_hours(stack, prices):
    assert stack.perso("apply", "--auto-approve", *LEGACY).exit_code == 0
    version_arn = {r["address"]: r["arn"] for r in stack.state()["resources"]}["solution_version.e2e.up"]
    client = boto3.client("personalize", endpoint_url=stack.endpoint, region_name="us-east-1")
    hours = client.describe_solution_version(solutionVersionArn=version_arn)["solutionVersion"]["trainingHours"]
    assert hours > 0

    stack.spec.write_text(stack.spec.read_text().replace("interactions.csv", "interactions-2.csv"))
    doc = plan_json(stack, *LEGACY)
    training = item(doc, "solution_version.e2e.up")
    assert training["action"] == "replace"
    assert training["one_off"] == pytest.approx(hours * prices["training_hour"].flat)
    assert doc["cost"]["one_off"] == pytest.approx(hours * prices["training_hour"].flat)
    assert item(doc, "dataset_import.e2e.interactions")["unit_price"]["price_key"] == "data_ingestion_gb"
    assert doc["cost"]["monthly_delta"] == 0


DOMAIN_SPEC = textwrap.dedent("""\
    version: 1
    stack: shop
    variables:
      rps: {default: 3, type: integer}
    schemas:
      shop-interactions:
        domain: ECOMMERCE
        schema:
          type: record
          name: Interactions
          namespace: com.amazonaws.personalize.schema
          version: "1.0"
          fields:
            - {name: USER_ID, type: string}
            - {name: ITEM_ID, type: string}
            - {name: TIMESTAMP, type: long}
            - {name: EVENT_TYPE, type: string}
    dataset_groups:
      shop:
        domain: ECOMMERCE
        datasets:
          interactions:
            datasetType: Interactions
            schema: shop-interactions
            import:
              dataSource: {dataLocation: "s3://shop/interactions.csv"}
              roleArn: arn:aws:iam::123456789012:role/PersonalizeS3
        recommenders:
          for-you:
            recipeArn: arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you
            recommenderConfig: {minRecommendationRequestsPerSecond: "${var.rps}"}
          stopped:
            recipeArn: arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-purchases
            state: INACTIVE
    """)


def test_new_recommender_costs_its_minimum_requests(stack, prices):
    stack.spec.write_text(DOMAIN_SPEC)
    doc = plan_json(stack)
    # By hand: 3 requests/s × 3600 s = 10.8 thousand requests an hour, all in the first tier, × 730 h.
    expected = 3 * 3600 / 1000 * prices["recommender_1k_requests"].tiers[0].price * 730
    rec = item(doc, "recommender.shop.for-you")
    assert rec["action"] == "create" and rec["monthly_before"] is None
    assert rec["monthly_after"] == pytest.approx(expected)
    assert item(doc, "recommender.shop.stopped")["monthly_delta"] == 0      # INACTIVE: not billed
    assert doc["cost"]["monthly_delta"] == pytest.approx(expected)


def test_a_user_price_file_overrides_the_catalogue(stack):
    prices = stack.dir / "prices.yaml"
    prices.write_text(textwrap.dedent("""\
        currency: EUR
        regions:
          us-east-1:
            campaign_tps_hour: {unit: TPS-hour, price: 1.0, source: "our contract", retrieved: "2026-11-01",
                                confirmed: true}
        """))
    doc = plan_json(stack, *LEGACY, "--prices", str(prices))
    assert doc["cost"]["currency"] == "EUR"
    assert item(doc, "campaign.e2e.main")["monthly_delta"] == pytest.approx(730.0)
    assert "campaign_tps_hour" not in doc["cost"]["catalogue"]["unconfirmed"]

    stack.spec.write_text(stack.spec.read_text() + "cost: {prices_file: prices.yaml}\n")
    assert item(plan_json(stack, *LEGACY), "campaign.e2e.main")["monthly_delta"] == pytest.approx(730.0)

    prices.write_text("regions: {default: {campaign_tps_hour: {tiers: [{up_to: 5, price: 1}]}}}\n")
    bad = stack.perso("plan", *LEGACY)
    assert bad.exit_code == 1 and "last tier of price 'campaign_tps_hour' must have up_to: null" in bad.output


def test_perso_cost_prints_the_live_run_rate(stack, prices):
    assert stack.perso("apply", "--auto-approve", *LEGACY, "--var", "tps=2").exit_code == 0
    expected = 2 * 730 * prices["campaign_tps_hour"].flat
    result = stack.perso("cost", "--format", "json", *LEGACY, "--var", "tps=2")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["kind"] == "cost" and doc["cost"]["kind"] == "run_rate"
    assert doc["cost"]["monthly_after"] == pytest.approx(expected)
    text = stack.perso("cost", *LEGACY).output
    assert f"Monthly run-rate: {expected:,.2f} USD" in text
