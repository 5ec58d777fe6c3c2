"""`perso state ...` through click's runner, on the local backend: list/show, rm and mv rules,
pull/push rules (lineage, serial, --force), history, unlock and lock-info, migrate."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from perso_iac.cli import cli
from perso_iac.state.backend import LockInfo
from perso_iac.state.factory import save_errored_state
from perso_iac.state.local import LocalBackend
from perso_iac.state.model import ResourceState, StateFile


@pytest.fixture(autouse=True)
def _no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")


def perso_state(*args: str) -> Result:
    """`perso state ARGS...`, in-process."""
    return CliRunner().invoke(cli, ["state", *args], catch_exceptions=False)


@pytest.fixture
def stored(tmp_path) -> Path:
    """A state with a dataset group and a campaign that depends on it."""
    path = tmp_path / "state.json"
    backend = LocalBackend(path, stack="movies")
    state = backend.read()
    state.record(ResourceState(address="dataset_group.movies", type="dataset_group", name="movies",
                               arn="arn:aws:personalize:us-east-1:123456789012:dataset-group/movies"))
    state.record(ResourceState(address="campaign.movies.main", type="campaign", name="main",
                               arn="arn:aws:personalize:us-east-1:123456789012:campaign/main",
                               depends_on=["dataset_group.movies"],
                               triggers={"${dataset_group.movies.arn}": "arn:aws:personalize:us-east-1:123456789012:dataset-group/movies"}))
    backend.write(state)
    return path


def _bump(path: Path) -> None:
    backend = LocalBackend(path)
    backend.write(backend.read())


def _state(path: Path) -> dict:
    return json.loads(path.read_text())


def test_state_cli_list_and_show(stored):
    result = perso_state("list", "--state", str(stored))
    assert result.exit_code == 0 and result.output.split() == ["campaign.movies.main", "dataset_group.movies"]
    assert perso_state("list", "campaign", "--state", str(stored)).output.split() == ["campaign.movies.main"]
    shown = json.loads(perso_state("show", "campaign.movies.main", "--state", str(stored)).output)
    assert shown["arn"].endswith("campaign/main") and shown["depends_on"] == ["dataset_group.movies"]
    missing = perso_state("show", "campaign.nope", "--state", str(stored))
    assert missing.exit_code == 1 and "campaign.nope is not in the state" in missing.output
    assert "perso state list" in missing.output


def test_state_cli_rm_forgets_without_deleting(stored):
    result = perso_state("rm", "campaign.movies.main", "--state", str(stored))
    assert result.exit_code == 0 and "was not deleted" in result.output
    data = _state(stored)
    assert [r["address"] for r in data["resources"]] == ["dataset_group.movies"] and data["serial"] == 2
    assert not Path(str(stored) + ".lock").exists()


def test_state_cli_rm_of_an_unknown_address_changes_nothing(stored):
    result = perso_state("rm", "dataset_group.movies", "campaign.nope", "--state", str(stored))
    assert result.exit_code == 1 and "campaign.nope" in result.output and "nothing was removed" in result.output
    assert _state(stored)["serial"] == 1 and len(_state(stored)["resources"]) == 2


def test_state_cli_mutations_wait_for_or_refuse_a_held_lock(stored):
    holder = LocalBackend(stored).lock("apply")
    result = perso_state("rm", "campaign.movies.main", "--state", str(stored), "--lock-timeout", "1s")
    assert result.exit_code == 1 and holder.id in result.output and "'apply'" in result.output
    assert "after waiting 1s" in result.output and f"perso state unlock {holder.id}" in result.output
    assert _state(stored)["serial"] == 1


def test_state_cli_mv_renames_and_rewrites_references(stored):
    result = perso_state("mv", "dataset_group.movies", "dataset_group.films", "--state", str(stored))
    assert result.exit_code == 0, result.output
    resources = {r["address"]: r for r in _state(stored)["resources"]}
    assert set(resources) == {"campaign.movies.main", "dataset_group.films"}
    campaign = resources["campaign.movies.main"]
    assert campaign["depends_on"] == ["dataset_group.films"]
    assert list(campaign["triggers"]) == ["${dataset_group.films.arn}"]
    assert resources["dataset_group.films"]["arn"].endswith("dataset-group/movies")  # nothing changes in AWS


@pytest.mark.parametrize(("old", "new", "message"), [
    ("dataset_group.movies", "campaign.movies.x", "keeps its type"),
    ("dataset_group.movies", "campaign.movies.main", "keeps its type"),
    ("campaign.movies.main", "campaign.movies.main", "already in the state"),
    ("campaign.nope", "campaign.other", "not in the state"),
])
def test_state_cli_mv_refusals(stored, old, new, message):
    result = perso_state("mv", old, new, "--state", str(stored))
    assert result.exit_code == 1 and message in result.output
    assert _state(stored)["serial"] == 1


def test_state_cli_pull_prints_the_state_and_push_accepts_a_newer_edit(stored, tmp_path):
    pulled = json.loads(perso_state("pull", "--state", str(stored)).output)
    assert pulled["serial"] == 1 and pulled["lineage"] == _state(stored)["lineage"]
    pulled["resources"] = [r for r in pulled["resources"] if r["address"] != "campaign.movies.main"]
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(pulled))
    refused = perso_state("push", str(edited), "--state", str(stored))
    assert refused.exit_code == 1 and "serial 1" in refused.output and "would undo" in refused.output
    pulled["serial"] = 2
    edited.write_text(json.dumps(pulled))
    result = perso_state("push", str(edited), "--state", str(stored))
    assert result.exit_code == 0, result.output
    assert _state(stored)["serial"] == 2 and len(_state(stored)["resources"]) == 1


def test_state_cli_push_refuses_a_lower_serial_and_another_lineage_unless_forced(stored, tmp_path):
    _bump(stored)  # now serial 2
    older = tmp_path / "older.json"
    older.write_text(json.dumps({**_state(stored), "serial": 1}))
    assert perso_state("push", str(older), "--state", str(stored)).exit_code == 1
    other = tmp_path / "other.json"
    other.write_text(json.dumps(StateFile(stack="movies", serial=50).to_dict()))
    result = perso_state("push", str(other), "--state", str(stored))
    assert result.exit_code == 1 and "different states" in result.output and "--force" in result.output
    assert _state(stored)["serial"] == 2
    forced = perso_state("push", str(other), "--force", "--state", str(stored))
    assert forced.exit_code == 0, forced.output
    assert _state(stored)["lineage"] == json.loads(other.read_text())["lineage"] and _state(stored)["serial"] == 50
    back = perso_state("push", str(older), "--force", "--state", str(stored))
    assert back.exit_code == 0 and _state(stored)["serial"] == 51  # serial never goes down


def test_state_cli_push_of_an_errored_state_needs_no_force(stored, tmp_path):
    state = LocalBackend(stored).read()
    state.forget("campaign.movies.main")  # what a failed final write would have recorded
    errored = save_errored_state(state, tmp_path)
    result = perso_state("push", str(errored), "--state", str(stored))
    assert result.exit_code == 0, result.output
    assert _state(stored)["serial"] == 2 and len(_state(stored)["resources"]) == 1


def test_state_cli_push_onto_an_empty_backend_keeps_lineage_and_serial(stored, tmp_path):
    target = tmp_path / "new" / "state.json"
    assert perso_state("push", str(stored), "--state", str(target)).exit_code == 0
    assert _state(target)["lineage"] == _state(stored)["lineage"] and _state(target)["serial"] == 1


@pytest.mark.parametrize("content", ["{not json", '{"version": 1}', "[]", '{"version": 99, "stack": "x"}'])
def test_state_cli_push_of_a_bad_file_is_explained(stored, tmp_path, content):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = perso_state("push", str(bad), "--state", str(stored))
    assert result.exit_code == 1 and "bad.json" in result.output and "Traceback" not in result.output
    assert _state(stored)["serial"] == 1


def test_state_cli_pull_of_no_state_is_an_error(tmp_path):
    result = perso_state("pull", "--state", str(tmp_path / "none.json"))
    assert result.exit_code == 1 and "there is no state" in result.output


def test_state_cli_history_and_pull_of_the_local_backup(stored):
    backend = LocalBackend(stored)
    state = backend.read()
    state.forget("campaign.movies.main")
    backend.write(state)
    history = perso_state("history", "--state", str(stored))
    assert history.exit_code == 0
    lines = history.output.splitlines()
    assert lines[1].startswith("current") and "(latest)" in lines[1] and lines[2].startswith("backup")
    assert lines[1].split()[2] == "2" and lines[2].split()[2] == "1"
    backup = json.loads(perso_state("pull", "--version", "backup", "--state", str(stored)).output)
    assert backup["serial"] == 1 and len(backup["resources"]) == 2
    bad = perso_state("pull", "--version", "v7", "--state", str(stored))
    assert bad.exit_code == 1 and "'backup'" in bad.output


def test_state_cli_lock_info_and_unlock_by_id(stored):
    assert "No lock is held" in perso_state("lock-info", "--state", str(stored)).output
    holder = LocalBackend(stored).lock("apply")
    info = perso_state("lock-info", "--state", str(stored))
    assert info.exit_code == 0 and holder.id in info.output and "apply" in info.output
    assert f"perso state unlock {holder.id}" in info.output
    as_json = json.loads(perso_state("lock-info", "--json", "--state", str(stored)).output)
    assert as_json["id"] == holder.id and as_json["abandoned"] is False
    live = perso_state("unlock", "--state", str(stored))  # this process holds it: alive
    assert live.exit_code == 1 and "looks alive" in live.output and holder.id in live.output
    wrong = perso_state("unlock", "not-it", "--state", str(stored))
    assert wrong.exit_code == 1 and f"perso state unlock {holder.id}" in wrong.output
    released = perso_state("unlock", holder.id, "--state", str(stored))
    assert released.exit_code == 0 and "Released" in released.output
    assert LocalBackend(stored).lock_info() is None


def test_state_cli_unlock_without_id_breaks_an_abandoned_lock(stored):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    info = LockInfo.new("apply", str(stored))
    info = dataclasses.replace(info, info={**info.info, "pid": dead.pid})
    Path(str(stored) + ".lock").write_text(json.dumps(info.to_dict()))
    shown = perso_state("lock-info", "--state", str(stored))
    assert "abandoned" in shown.output
    result = perso_state("unlock", "--state", str(stored))
    assert result.exit_code == 0 and "no longer running" in result.output
    assert LocalBackend(stored).lock_info() is None


def test_state_cli_unlock_force_removes_an_unreadable_lock(stored):
    Path(str(stored) + ".lock").write_text("garbage")
    assert perso_state("unlock", "--state", str(stored)).exit_code == 1
    result = perso_state("unlock", "--force", "--state", str(stored))
    assert result.exit_code == 0 and "unreadable" in result.output
    assert LocalBackend(stored).lock_info() is None


def test_state_cli_migrate_keeps_lineage_and_serial(stored, tmp_path):
    _bump(stored)  # serial 2
    target = tmp_path / "moved" / "state.json"
    result = perso_state("migrate", "--to", str(target), "--state", str(stored))
    assert result.exit_code == 0, result.output
    assert _state(target)["lineage"] == _state(stored)["lineage"] and _state(target)["serial"] == 2
    assert "backend: {local:" in result.output
    again = perso_state("migrate", "--to", str(target), "--state", str(stored))
    assert again.exit_code == 0 and "already holds this state" in again.output
    other = tmp_path / "other.json"
    LocalBackend(other).write(StateFile(stack="movies"))
    refused = perso_state("migrate", "--to", str(other), "--state", str(stored))
    assert refused.exit_code == 1 and "refusing to overwrite" in refused.output


def test_state_cli_finds_the_state_through_the_spec(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "perso.yaml").write_text("version: 1\nstack: movies\nbackend:\n  local: {path: st/movies.json}\n")
    path = tmp_path / "st" / "movies.json"
    backend = LocalBackend(path, stack="movies")
    state = backend.read()
    state.record(ResourceState(address="dataset_group.movies", type="dataset_group", name="movies", arn="arn:x"))
    backend.write(state)
    assert perso_state("list").output.split() == ["dataset_group.movies"]
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**StateFile(stack="music").to_dict(), "serial": 3}))
    result = perso_state("push", str(other))
    assert result.exit_code == 1 and "stack 'music', not 'movies'" in result.output


def test_state_cli_without_a_spec_needs_state(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = perso_state("list")
    assert result.exit_code == 1 and "--state" in result.output and "Traceback" not in result.output
    (tmp_path / "perso.yaml").write_text("version: 1\nstack: [not, valid]\n")
    assert perso_state("list", "--state", str(tmp_path / "s.json")).exit_code == 0  # --state alone suffices


def test_state_cli_lock_timeout_accepts_durations(stored):
    bad = CliRunner().invoke(cli, ["state", "rm", "x", "--state", str(stored), "--lock-timeout", "soon"])
    assert bad.exit_code == 1 and "duration" in bad.output
