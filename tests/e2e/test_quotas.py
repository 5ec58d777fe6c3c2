"""Quota preflight end to end: plan reads Personalize quotas from the emulator's Service Quotas
over HTTP, fails a spec over a quota naming it and how to ask for more, warns from 80 %, and
passes once the quota is raised (through the emulator's control endpoint)."""

from __future__ import annotations

import json
import re
import socket
import urllib.request

from e2e_spec import SPEC


def configure(endpoint: str, **changes: object) -> None:
    body = json.dumps({"action": "configure", **changes}).encode()
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/_perso/control", data=body, method="POST")).close()


def calls(endpoint: str) -> dict:
    body = json.dumps({"action": "calls"}).encode()
    with urllib.request.urlopen(urllib.request.Request(f"{endpoint}/_perso/control", data=body, method="POST")) as r:
        return json.loads(r.read())["calls"]


def with_campaigns(n: int) -> str:
    extra = "".join(f"      c{i}:\n        solution: up\n        minProvisionedTPS: 1\n" for i in range(2, n + 1))
    return SPEC + extra


def test_a_spec_over_a_quota_fails_at_plan_and_passes_once_the_quota_is_raised(stack):
    stack.spec.write_text(with_campaigns(6))
    result = stack.perso("plan")
    assert result.exit_code == 1
    out = " ".join(result.output.split())
    assert re.search(r"dataset group 'e2e': 6 campaigns, over the quota 'Active campaigns per dataset group' "
                     r"\(L-[0-9A-F]{8}\) of 5 \(from Service Quotas\)", out), out
    code = re.search(r"--quota-code (L-[0-9A-F]{8}) --desired-value 6", out)
    assert code, out
    assert "aws service-quotas request-service-quota-increase --service-code personalize" in out
    assert calls(stack.endpoint).get("ServiceQuotasV20190624.ListServiceQuotas", 0) >= 1
    assert not stack.state_path.exists()          # nothing was applied

    configure(stack.endpoint, quotas={"campaigns_per_dataset_group": 10})
    raised = stack.perso("plan", "--detailed-exitcode")
    assert raised.exit_code == 2, raised.output
    assert "+ campaign.e2e.c6" in raised.output
    applied = stack.perso("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output


def test_from_80_percent_of_a_quota_the_plan_warns(stack):
    stack.spec.write_text(with_campaigns(4))
    result = stack.perso("plan", "--format", "json")
    assert result.exit_code == 0, result.output
    warnings = json.loads(result.output)["warnings"]
    assert any("dataset group 'e2e': 4 campaigns is 80% of the quota 'Active campaigns per dataset group'"
               in w and "of 5 (from Service Quotas)" in w for w in warnings), warnings
    text = stack.perso("plan").output
    assert "Warning: quota: dataset group 'e2e': 4 campaigns is 80%" in " ".join(text.split())


def test_provisioned_tps_over_the_per_campaign_quota_fails(stack):
    result = stack.perso("plan", "--var", "tps=600")
    assert result.exit_code == 1
    out = " ".join(result.output.split())
    assert "campaign.e2e.main: 600 minProvisionedTPS, over the quota 'Transactions per second per campaign'" in out
    assert "of 500 (from Service Quotas)" in out
    configure(stack.endpoint, quotas={"tps_per_campaign": 1000})
    assert stack.perso("plan", "--var", "tps=600").exit_code == 0


def test_dataset_groups_already_in_the_region_count(stack, personalize):
    for i in range(5):
        personalize.create_dataset_group(name=f"other-{i}")
    configure(stack.endpoint, quotas={"dataset_groups": 6})
    ok = stack.perso("plan", "--format", "json")
    assert ok.exit_code == 0
    assert any("the region: 6 dataset groups is 100% of the quota 'Active dataset groups'" in w
               for w in json.loads(ok.output)["warnings"])
    configure(stack.endpoint, quotas={"dataset_groups": 5})
    over = stack.perso("plan")
    assert over.exit_code == 1
    assert "the region: 6 dataset groups, over the quota 'Active dataset groups'" in " ".join(over.output.split())


def test_without_service_quotas_the_documented_defaults_apply(stack, monkeypatch):
    with socket.socket() as sock:                  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_SERVICE_QUOTAS", closed)
    configure(stack.endpoint, quotas={"campaigns_per_dataset_group": 10})   # invisible to perso now
    stack.spec.write_text(with_campaigns(6))
    result = stack.perso("plan")
    assert result.exit_code == 1
    out = " ".join(result.output.split())
    assert "over the quota 'Active campaigns per dataset group' of 5 (from AWS's documented default)" in out
    assert "Service Quotas console" in out
