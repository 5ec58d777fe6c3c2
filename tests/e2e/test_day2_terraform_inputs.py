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


def tf_state(**outputs) -> bytes:
    """A Terraform state of format version 4, as `terraform apply` writes it to S3."""
    return json.dumps({"version": 4, "terraform_version": "1.9.0", "serial": 7, "lineage": "x",
                       "outputs": {k: {"value": v, "type": "string"} for k, v in outputs.items()},
                       "resources": []}).encode()


def remote_spec(bucket: str, endpoint: str, ref: str = "${tf.network.outputs.import_role_arn}") -> str:
    return SPEC.replace("roleArn: arn:aws:iam::123456789012:role/PersonalizeS3", f"roleArn: {ref}") + (
        f"terraform:\n  network: {{bucket: {bucket}, key: network/terraform.tfstate, region: us-east-1, "
        f"endpoint_url: '{endpoint}'}}\n")


def test_a_spec_reads_an_output_of_a_terraform_state_in_s3(stack, s3_endpoint, s3_bucket):
    import boto3

    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").put_object(
        Bucket=s3_bucket, Key="network/terraform.tfstate", Body=tf_state(import_role_arn=ROLE))
    stack.spec.write_text(remote_spec(s3_bucket, s3_endpoint))
    plan = stack.perso("plan", "--format", "json")
    assert plan.exit_code == 0, plan.output
    changes = {c["address"]: c for c in json.loads(plan.output)["resource_changes"]}
    assert changes["dataset_import.e2e.interactions"]["change"]["after"]["roleArn"] == ROLE

    stack.spec.write_text(remote_spec(s3_bucket, s3_endpoint, "${tf.network.outputs.role}"))
    missing = stack.perso("validate")
    assert missing.exit_code == 1
    assert "perso.yaml:" in missing.output and "Terraform state 'network' has no output 'role'" in missing.output
    assert "import_role_arn" in missing.output and "Traceback" not in missing.output
