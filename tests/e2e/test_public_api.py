"""The public API (perso_iac) runs the same sequences as the CLI, with the same guarantees: the
state lock, approval before changing anything, the stale-plan check on a saved plan."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from e2e_spec import SPEC

import perso_iac
from perso_iac import (
    AwsSettings,
    Workspace,
    apply_changes,
    apply_saved_plan,
    detect_drift,
    load_spec,
    make_backend,
    make_client,
    plan_changes,
    read_plan_file,
)
from perso_iac.cli import cli
from perso_iac.errors import StaleStateError, StateLockedError
from perso_iac.wait import Waiter


@pytest.fixture
def ws(tmp_path, emulator, monkeypatch) -> Workspace:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE", emulator.endpoint_url)
    (tmp_path / "perso.yaml").write_text(SPEC)
    return workspace_for(tmp_path, {})


def workspace_for(directory, variables) -> Workspace:
    spec = load_spec(directory / "perso.yaml", variables=variables)
    settings = AwsSettings(region="us-east-1")
    return Workspace(spec=spec, client=make_client("personalize", settings),
                     backend=make_backend(None, str(directory / "state.json"), stack=spec.stack, spec_dir=directory,
                                          settings=settings), errored_state_dir=directory)


FAST = Waiter(initial_delay=0.01, max_delay=0.05, fixed=True)


def test_the_public_api_lists_what_it_exports():
    assert {"apply_changes", "apply_saved_plan", "destroy_stack", "detect_drift", "plan_changes", "import_into_state"} <= set(
        perso_iac.__all__)
    assert all(getattr(perso_iac, name) is not None for name in perso_iac.__all__)


def test_apply_asks_approval_and_takes_the_lock(ws):
    seen = []
    declined = apply_changes(ws, approve=lambda plan: seen.append(plan) or False, waiter=FAST)
    assert not declined.approved and declined.results == [] and seen and seen[0].has_changes()
    assert not ws.backend.read().serial  # nothing was written

    holder = ws.backend.lock("someone else")
    with pytest.raises(StateLockedError):
        apply_changes(ws, waiter=FAST)
    ws.backend.unlock(holder.id)

    applied = apply_changes(ws, waiter=FAST)
    assert applied.approved and {r.address for r in applied.results} >= {"campaign.e2e.main"}
    assert not plan_changes(ws).plan.has_changes()
    assert detect_drift(ws).exit_code == 0


def test_a_saved_plan_is_refused_through_the_api_when_the_state_moved(ws, tmp_path):
    assert CliRunner().invoke(cli, ["plan", "-f", "perso.yaml", "--state", "state.json", "--out", "plan.json"]).exit_code == 0
    apply_changes(ws, waiter=FAST)                   # someone applies meanwhile: the state moves
    saved = read_plan_file(tmp_path / "plan.json")
    with pytest.raises(StaleStateError, match="serial"):
        apply_saved_plan(workspace_for(tmp_path, {}), saved, source="plan.json", current_spec=ws.spec, waiter=FAST)
