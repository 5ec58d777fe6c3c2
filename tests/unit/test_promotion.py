"""Promotion gates, table-driven: thresholds in, verdict out."""

from __future__ import annotations

import pytest

from perso_iac.promotion import METRICS, Gate, evaluate

SERVING = {"precision_at_10": 0.2000, "coverage": 0.5000, "normalized_discounted_cumulative_gain_at_10": 0.3000}


@pytest.mark.parametrize(("gate", "candidate", "passed", "failing"), [
    ({"min": {"precision_at_10": 0.15}}, {**SERVING, "precision_at_10": 0.1500}, True, []),
    ({"min": {"precision_at_10": 0.15}}, {**SERVING, "precision_at_10": 0.1499}, False, ["precision_at_10"]),
    ({"max_drop": {"precision_at_10": 0.02}}, {**SERVING, "precision_at_10": 0.1800}, True, []),
    ({"max_drop": {"precision_at_10": 0.02}}, {**SERVING, "precision_at_10": 0.1799}, False, ["precision_at_10"]),
    ({"max_drop": {"coverage": "5%"}}, {**SERVING, "coverage": 0.4750}, True, []),
    ({"max_drop": {"coverage": "5%"}}, {**SERVING, "coverage": 0.4700}, False, ["coverage"]),
    ({"max_drop": {"coverage": "5%"}}, {**SERVING, "coverage": 0.9000}, True, []),       # better is always fine
    ({"min": {"coverage": 0.1}, "max_drop": {"precision_at_10": "10%"}},
     {**SERVING, "coverage": 0.05, "precision_at_10": 0.1}, False, ["coverage", "precision_at_10"]),
    ({"min": {"precision_at_5": 0.1}}, SERVING, False, ["precision_at_5"]),               # metric missing
])
def test_gate_verdicts(gate, candidate, passed, failing):
    verdict = evaluate(Gate.from_spec(gate), candidate, SERVING)
    assert verdict.passed is passed
    assert [c.threshold.metric for c in verdict.failures] == failing


def test_a_first_version_is_judged_on_its_floors_only():
    gate = Gate.from_spec({"min": {"coverage": 0.4}, "max_drop": {"precision_at_10": 0.0}})
    assert evaluate(gate, {"coverage": 0.45, "precision_at_10": 0.01}, None).passed
    assert not evaluate(gate, {"coverage": 0.35, "precision_at_10": 0.01}, None).passed


def test_the_failure_names_the_metric_and_by_how_much():
    gate = Gate.from_spec({"max_drop": {"precision_at_10": "5%"}})
    summary = evaluate(gate, {"precision_at_10": 0.1}, SERVING).summary()
    assert summary == "promotion gate failed: precision_at_10 0.2000 -> 0.1000 (-50.0%) (max_drop 5%)"


def test_gate_round_trips_through_its_dict_form():
    spec = {"min": {"coverage": 0.4}, "max_drop": {"precision_at_10": "5%", "coverage": 0.01}}
    assert Gate.from_spec(Gate.from_spec(spec).to_dict()) == Gate.from_spec(spec)
    assert len(METRICS) == 8


def test_a_misspelled_metric_in_a_gate_is_a_located_spec_error(tmp_path):
    from e2e_spec_for_units import gated_spec

    from perso_iac.errors import SpecValidationError
    from perso_iac.spec.loader import load_spec

    path = tmp_path / "perso.yaml"
    path.write_text(gated_spec("max_drop: {precision_at_11: 0.02}"))
    with pytest.raises(SpecValidationError) as raised:
        load_spec(path)
    text = "\n".join(str(p) for p in raised.value.problems)
    assert "perso.yaml:" in text and "precision_at_11" in text and "promotion" in text


def test_a_gate_travels_with_the_campaign_but_is_never_sent_to_aws(tmp_path):
    from e2e_spec_for_units import gated_spec

    from perso_iac.resources.registry import REGISTRY
    from perso_iac.spec.loader import load_spec

    path = tmp_path / "perso.yaml"
    path.write_text(gated_spec('max_drop: {precision_at_10: "5%"}'))
    campaign = load_spec(path).resources["campaign.g.main"]
    assert campaign.params["promotion"] == {"max_drop": {"precision_at_10": "5%"}}
    observed = {"name": "g-main", "solutionVersionArn": "v", "minProvisionedTPS": 1}
    assert REGISTRY["campaign"].align_observed(observed, campaign.params)["promotion"] == campaign.params["promotion"]
