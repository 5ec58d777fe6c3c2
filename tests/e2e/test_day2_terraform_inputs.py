"""Inputs from Terraform: `terraform output -json` read as a variables file."""

from __future__ import annotations

import json

from e2e_spec import SPEC

ROLE = "arn:aws:iam::123456789012:role/FromTerraform"
TF_SPEC = SPEC.replace("  recipe: {default: aws-user-personalization-v2}\n",
                       "  recipe: {default: aws-user-personalization-v2}\n  import_role: {}\n").replace(
    "roleArn: arn:aws:iam::123456789012:role/PersonalizeS3", "roleArn: ${var.import_role}")


def terraform_outputs(**values) -> dict:
    """What `terraform output -json` writes."""
    return {name: {"sensitive": False, "type": "string" if isinstance(v, str) else "number", "value": v}
            for name, v in values.items()}


def test_terraform_output_json_sets_the_variables_it_names(stack):
    assert TF_SPEC != SPEC and "${var.import_role}" in TF_SPEC
    stack.spec.write_text(TF_SPEC)
    tf = stack.dir / "network.tf.json"
    tf.write_text(json.dumps(terraform_outputs(import_role=ROLE, vpc_id="vpc-123", tps=3)))
    plan = stack.perso("plan", "--var-file", str(tf), "--format", "json")
    assert plan.exit_code == 0, plan.output
    changes = {c["address"]: c for c in json.loads(plan.output)["resource_changes"]}
    assert changes["dataset_import.e2e.interactions"]["change"]["after"]["roleArn"] == ROLE
    assert changes["campaign.e2e.main"]["change"]["after"]["minProvisionedTPS"] == 3


def test_a_terraform_output_of_the_wrong_type_is_located(stack):
    stack.spec.write_text(TF_SPEC)
    tf = stack.dir / "network.tf.json"
    tf.write_text(json.dumps(terraform_outputs(import_role=ROLE, tps="lots"), indent=2))
    result = stack.perso("validate", "--var-file", str(tf))
    assert result.exit_code == 1
    assert "network.tf.json:" in result.output and "variable 'tps'" in result.output
