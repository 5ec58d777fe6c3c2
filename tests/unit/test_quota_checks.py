"""Quota preflight's pure parts: what the spec uses, the 80 % warning, how to ask for more."""

from __future__ import annotations

from perso_iac.plan import Action, Change, Plan
from perso_iac.quotas import BY_KEY, QuotaValue, Usage, check, read_quotas, usages
from perso_iac.spec.model import ResourceSpec


def spec(*items: tuple[str, dict]) -> dict[str, ResourceSpec]:
    out = {}
    for address, params in items:
        type_, *rest = address.split(".")
        out[address] = ResourceSpec(address=address, type=type_, name=rest[-1], params=params)
    return out


def test_usages_count_per_dataset_group_per_region_and_per_apply():
    resources = spec(("dataset_group.a", {}), ("dataset_group.b", {}), ("schema.s", {}),
                     ("campaign.a.one", {"minProvisionedTPS": 7}), ("campaign.a.two", {}), ("campaign.b.one", {}),
                     ("filter.b.f", {}))
    plan = Plan(changes=(Change("solution_version.a.x", "solution_version", Action.CREATE),
                         Change("dataset_import.a.i", "dataset_import", Action.REPLACE),
                         Change("dataset_import.b.i", "dataset_import", Action.NOOP)), stack="s", lineage=None, serial=0)
    found = {(u.key, u.where): u.used for u in usages(resources, plan, live_groups=["b", "other"])}
    assert found[("dataset_groups", "the region")] == 3          # a, b and another already live
    assert found[("campaigns_per_dataset_group", "dataset group 'a'")] == 2
    assert found[("campaigns_per_dataset_group", "dataset group 'b'")] == 1
    assert found[("filters_per_dataset_group", "dataset group 'b'")] == 1
    assert found[("tps_per_campaign", "campaign.a.one")] == 7
    assert found[("pending_solution_versions", "one apply")] == 1
    assert found[("pending_dataset_import_jobs", "one apply")] == 1


def test_check_fails_over_warns_from_80_percent_and_says_how_to_raise():
    values, notes = read_quotas(None)
    assert notes == [] and values["campaigns_per_dataset_group"].value == 5
    errors, warnings = check([Usage("campaigns_per_dataset_group", "dataset group 'a'", 6),
                              Usage("filters_per_dataset_group", "dataset group 'a'", 24),
                              Usage("filters_per_dataset_group", "dataset group 'b'", 23)], values)
    assert len(errors) == 1 and "6 campaigns, over the quota 'Active campaigns per dataset group' of 5" in errors[0][0]
    assert "Service Quotas console" in errors[0][1]
    assert len(warnings) == 1 and "24 filters is 80%" in warnings[0]

    coded = {**values, "campaigns_per_dataset_group": QuotaValue(BY_KEY["campaigns_per_dataset_group"], 5, "L-1234",
                                                                 True)}
    (message, how), = check([Usage("campaigns_per_dataset_group", "dataset group 'a'", 6)], coded)[0]
    assert "(L-1234)" in message and "--quota-code L-1234 --desired-value 6" in how
    fixed = {**values, "recommenders_per_dataset_group": QuotaValue(BY_KEY["recommenders_per_dataset_group"], 5)}
    (_, how), = check([Usage("recommenders_per_dataset_group", "dataset group 'a'", 6)], fixed)[0]
    assert "cannot be raised" in how


def test_a_create_before_destroy_replacement_counts_the_old_and_the_new_one_at_once():
    resources = spec(("dataset_group.a", {}), ("schema.s", {}), ("campaign.a.one", {}), ("campaign.a.two", {}))
    plan = Plan(changes=(Change("campaign.a.one", "campaign", Action.REPLACE, create_before_destroy=True),
                         Change("schema.s", "schema", Action.REPLACE, create_before_destroy=True),
                         Change("campaign.a.two", "campaign", Action.REPLACE)), stack="s", lineage=None, serial=0)
    found = {(u.key, u.where): u.used for u in usages(resources, plan)}
    assert found[("campaigns_per_dataset_group", "dataset group 'a'")] == 3   # two, plus one's old one
    assert found[("schemas", "the region")] == 2
