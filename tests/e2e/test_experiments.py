"""A/B experiments: validated against the spec's endpoints, published with both ARNs and the share."""

from __future__ import annotations

import json

import pytest
from e2e_spec import SPEC

TWO_CAMPAIGNS = SPEC.replace("        minProvisionedTPS: ${var.tps}\n", """        minProvisionedTPS: ${var.tps}
      challenger:
        solution: up
        minProvisionedTPS: 1
""")
EXPERIMENT = """experiments:
  home-page:
    control: campaign.e2e.main
    challenger: campaign.e2e.challenger
    challenger_share: {share}
"""


def test_the_experiment_output_is_a_routing_document_with_both_arns_and_the_share(stack):
    stack.spec.write_text(TWO_CAMPAIGNS + EXPERIMENT.format(share=0.05))
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    arns = {r["address"]: r["arn"] for r in stack.state()["resources"]}

    result = stack.perso("output", "experiments", "--format", "json")
    assert result.exit_code == 0, result.output
    routing = json.loads(result.output)
    assert routing == {"home-page": {
        "control": {"address": "campaign.e2e.main", "arn": arns["campaign.e2e.main"]},
        "challenger": {"address": "campaign.e2e.challenger", "arn": arns["campaign.e2e.challenger"]},
        "challenger_share": 0.05}}


@pytest.mark.parametrize(("experiment", "message"), [
    (EXPERIMENT.format(share=1.5), "challenger_share: 1.5 is greater than or equal to the maximum of 1"),
    (EXPERIMENT.format(share=0), "challenger_share: 0 is less than or equal to the minimum of 0"),
    (EXPERIMENT.format(share=0.1).replace("campaign.e2e.challenger", "campaign.e2e.nope"),
     "'campaign.e2e.nope' is not a campaign or recommender of this spec"),
    (EXPERIMENT.format(share=0.1).replace("campaign.e2e.challenger", "campaign.e2e.main"),
     "the challenger is the control"),
    (EXPERIMENT.format(share=0.1).replace("campaign.e2e.challenger", "solution.e2e.up"),
     "'solution.e2e.up' is not a campaign or recommender"),
])
def test_an_invalid_experiment_is_a_located_spec_error(stack, experiment, message):
    stack.spec.write_text(TWO_CAMPAIGNS + experiment)
    result = stack.perso("validate")
    assert result.exit_code == 1
    assert message in result.output and "perso.yaml:" in result.output and "experiments.home-page" in result.output
