"""The local backend's journal (state/journal.py): a command's later writes append only what
changed, readers replay it, a killed writer's torn line is ignored and cut, a fold leaves the state
file whole, and no crash between a fold's two steps loses or brings back anything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from perso_iac.cli import cli
from perso_iac.errors import StateConflictError, StateCorruptError, StateError
from perso_iac.state import local
from perso_iac.state.local import LocalBackend
from perso_iac.state.model import ResourceState, StateFile


def _resource(name: str, **params: object) -> ResourceState:
    return ResourceState(address=f"dataset_group.{name}", type="dataset_group", name=name,
                         arn=f"arn:aws:personalize:us-east-1:123456789012:dataset-group/{name}",
                         params={"pad": "x" * 300, **params})


def _stack(backend: LocalBackend, count: int) -> StateFile:
    state = backend.read()
    for i in range(count):
        state.record(_resource(f"r{i}"))
    backend.write(state)
    return state


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _journal(backend: LocalBackend) -> bytes:
    return backend.journal_path.read_bytes() if backend.journal_path.exists() else b""


def test_later_writes_append_what_changed_and_a_read_is_the_last_state(tmp_path):
    backend = LocalBackend(tmp_path / "state.json", stack="test")
    state = _stack(backend, 100)
    document = os.stat(backend.path)
    for i in range(20):
        state.record(replace(state.resources[f"dataset_group.r{i}"], params={"step": i}))
        state.forget(f"dataset_group.r{99 - i}")
        state.outputs = {"last": i}
        backend.write(state)
    assert os.stat(backend.path).st_ino == document.st_ino  # the state file was not rewritten
    assert _journal(backend).count(b"\n") == 20
    fresh = LocalBackend(backend.path, stack="test")
    assert fresh.read().to_dict() == state.to_dict() and state.serial == 21
    assert fresh.read_version("current").to_dict() == state.to_dict()


def test_the_bytes_a_write_appends_follow_what_it_changed_not_the_stack(tmp_path):
    grown = {}
    for count in (50, 500):
        backend = LocalBackend(tmp_path / f"{count}.json", stack="test")
        state = _stack(backend, count)
        one_resource = len(json.dumps(state.resources["dataset_group.r0"].to_dict()))
        sizes = []
        for round_, changed in enumerate((1, 1, 10)):
            before = _size(backend.journal_path)
            for i in range(changed):
                state.record(replace(state.resources[f"dataset_group.r{i}"], params={"pad": "y" * 300,
                                                                                       "round": round_}))
            backend.write(state)
            sizes.append(_size(backend.journal_path) - before)
        assert sizes[0] < 1.5 * one_resource and sizes[1] == sizes[0]  # one resource's worth, whatever the stack
        assert 9 * one_resource < sizes[2] < 12 * one_resource
        grown[count] = sizes
    assert grown[50] == grown[500]


def test_the_journal_never_outgrows_the_state_file(tmp_path):
    backend = LocalBackend(tmp_path / "state.json", stack="test")
    state = _stack(backend, 20)
    folds = 0
    for step in range(120):
        state.record(replace(state.resources[f"dataset_group.r{step % 20}"], params={"step": step}))
        before = _size(backend.journal_path)
        backend.write(state)
        assert _size(backend.journal_path) <= _size(backend.path)
        folds += _size(backend.journal_path) < before
        assert json.loads(backend.path.read_text())["serial"] == state.serial or _journal(backend)
    assert folds > 3  # folded now and then, the journal emptied each time
    assert LocalBackend(backend.path, stack="test").read().to_dict() == state.to_dict()


def test_flush_folds_the_journal_into_the_state_file(tmp_path):
    backend = LocalBackend(tmp_path / "state.json", stack="test")
    state = _stack(backend, 10)
    state.record(_resource("late"))
    backend.write(state)
    assert _journal(backend)
    backend.flush()
    assert _journal(backend) == b""
    assert json.loads(backend.path.read_text()) == state.to_dict()  # `cat`/`jq` see everything
    state.record(_resource("later"))
    backend.write(state)  # and the command may go on writing
    assert LocalBackend(backend.path, stack="test").read().to_dict() == state.to_dict()


def test_flush_leaves_a_state_someone_else_changed_alone(tmp_path):
    ours = LocalBackend(tmp_path / "state.json", stack="test")
    state = _stack(ours, 3)
    state.record(_resource("ours"))
    ours.write(state)
    theirs = LocalBackend(ours.path, stack="test")
    other = theirs.read()
    other.record(_resource("theirs"))
    theirs.write(other)
    ours.flush()  # never raises, never overwrites
    assert set(LocalBackend(ours.path, stack="test").read().resources) == set(other.resources)


WRITER = textwrap.dedent("""
    import sys
    from perso_iac.state.local import LocalBackend
    from perso_iac.state.model import ResourceState
    backend = LocalBackend(sys.argv[1], stack="test")
    state = backend.read()
    for i in range(10):  # a stack of some size, so that its journal does not outgrow it at once
        state.record(ResourceState(address=f"dataset_group.base{i}", type="dataset_group", name=f"base{i}",
                                   arn=f"arn:aws:personalize:us-east-1:123456789012:dataset-group/base{i}"))
    for name in sys.argv[2:]:
        state.record(ResourceState(address=f"dataset_group.{name}", type="dataset_group", name=name,
                                   arn=f"arn:aws:personalize:us-east-1:123456789012:dataset-group/{name}"))
        backend.write(state)
    sys.exit(0)  # no flush: as if killed right after its last write
""")


def _other_process(path: Path, *names: str) -> None:
    subprocess.run([sys.executable, "-c", WRITER, str(path), *names], check=True, timeout=60,
                   env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


def test_a_torn_last_line_is_ignored_and_cut_by_the_next_writer(tmp_path):
    path = tmp_path / "state.json"
    _other_process(path, "a", "b", "c")
    backend = LocalBackend(path, stack="test")
    before = backend.read().to_dict()
    assert {f"dataset_group.{n}" for n in "abc"} <= {r["address"] for r in before["resources"]}
    whole = _journal(backend)
    lines = whole.splitlines(keepends=True)
    assert len(lines) == 2
    backend.journal_path.write_bytes(whole + lines[-1][: len(lines[-1]) // 2])  # killed mid-append
    state = LocalBackend(path, stack="test").read()
    assert state.to_dict() == before
    writer = LocalBackend(path, stack="test")
    state = writer.read()
    state.record(_resource("d"))
    writer.write(state)
    state.record(_resource("e"))
    writer.write(state)
    assert _journal(writer).endswith(b"\n") and _journal(writer).count(b"\n") == 1  # cut, then appended
    assert {f"dataset_group.{n}" for n in "abcde"} <= set(LocalBackend(path, stack="test").read().resources)


def test_killed_between_writing_a_fold_and_emptying_the_journal_neither_loses_nor_brings_back(tmp_path):
    path = tmp_path / "state.json"
    backend = LocalBackend(path, stack="test")
    state = _stack(backend, 5)
    state.record(_resource("gone"))
    backend.write(state)
    state.record(_resource("kept"))
    backend.write(state)
    stale = _journal(backend)  # follows the state file as it is now: puts "gone" and "kept"
    assert stale.count(b"\n") == 2

    # The next command removes "gone" with its first write (a new state file); it is killed before
    # the journal is emptied: the old lines are still there.
    command = LocalBackend(path, stack="test")
    later = command.read()
    later.forget("dataset_group.gone")
    command.write(later)
    backend.journal_path.write_bytes(stale)
    stored = LocalBackend(path, stack="test").read()
    assert stored.to_dict() == later.to_dict()  # "gone" stays gone; "kept" is in the new state file
    assert "dataset_group.kept" in stored.resources and stored.serial == later.serial

    # Killed before the new state file was renamed into place: the old one and its journal hold.
    leftover = tmp_path / ".state.json.xyz.tmp"
    leftover.write_bytes(b'{"version":1,"stack":"te')
    assert LocalBackend(path, stack="test").read().to_dict() == later.to_dict()


def test_a_write_after_another_process_appended_is_refused(tmp_path):
    path = tmp_path / "state.json"
    ours = LocalBackend(path, stack="test")
    state = _stack(ours, 2)
    _other_process(path, "x", "y")  # its first write replaces the state file, the second appends
    with pytest.raises(StateConflictError, match="now serial 3"):
        state.record(_resource("ours"))
        ours.write(state)

    reader = LocalBackend(path, stack="test")
    appender = LocalBackend(path, stack="test")
    theirs = appender.read()
    theirs.record(_resource("one"))
    appender.write(theirs)
    theirs.record(_resource("two"))
    appender.write(theirs)
    mine = reader.read()
    document = os.stat(path)
    theirs.record(_resource("three"))
    appender.write(theirs)  # only the journal changes
    assert os.stat(path).st_ino == document.st_ino and os.stat(path).st_mtime_ns == document.st_mtime_ns
    mine.record(_resource("mine"))
    with pytest.raises(StateConflictError, match="changed by someone else"):
        reader.write(mine)
    stored = LocalBackend(path, stack="test").read()
    assert "dataset_group.three" in stored.resources and "dataset_group.mine" not in stored.resources


def test_the_backup_of_a_state_with_a_journal_left_behind_is_that_whole_state(tmp_path):
    path = tmp_path / "state.json"
    _other_process(path, "a", "b", "c")  # killed before its fold: b and c are only in the journal
    assert Path(f"{path}.journal").read_bytes().count(b"\n") == 2
    before = LocalBackend(path, stack="test").read().to_dict()
    command = LocalBackend(path, stack="test")
    state = command.read()
    state.forget("dataset_group.a")
    command.write(state)
    backup = command.read_version("backup")
    assert backup.to_dict() == before and {f"dataset_group.{n}" for n in "abc"} <= set(backup.resources)
    assert json.loads(command.backup_path.read_text()) == before  # a whole state file of its own
    assert _journal(command) == b""


def test_a_corrupt_journal_line_is_a_located_error_and_nothing_is_overwritten(tmp_path):
    path = tmp_path / "state.json"
    _other_process(path, "a", "b", "c", "d")
    backend = LocalBackend(path, stack="test")
    lines = _journal(backend).splitlines(keepends=True)
    damaged = lines[0] + b'{"after": "x", "serial": 3, "del": [], "top": {}, "put": [1]}\n' + b"".join(lines[2:])
    backend.journal_path.write_bytes(damaged)
    with pytest.raises(StateCorruptError) as info:
        LocalBackend(path, stack="test").read()
    assert f"{backend.journal_path} line 2" in info.value.message and "put" in info.value.message
    assert "perso state push" in info.value.hint and str(backend.journal_path) in info.value.hint
    backend.journal_path.write_bytes(lines[0] + b"{not json\n" + b"".join(lines[2:]))
    with pytest.raises(StateCorruptError, match="line 2 is not valid JSON"):
        LocalBackend(path, stack="test").read()
    result = CliRunner().invoke(cli, ["state", "list", "--state", str(path)])
    assert result.exit_code != 0 and "line 2" in result.output and "Traceback" not in result.output
    assert backend.journal_path.read_bytes().startswith(lines[0] + b"{not json\n")


def test_a_journal_that_is_not_a_regular_file_or_too_large_is_a_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    _other_process(path, "a")
    journal = Path(f"{path}.journal")
    os.mkfifo(journal)
    with pytest.raises(StateError, match="journal .* is not a regular file"):
        LocalBackend(path, stack="test").read()
    journal.unlink()
    _other_process(path, "b", "c")
    journal.write_bytes(journal.read_bytes() + b" " * path.stat().st_size)
    monkeypatch.setattr(local, "MAX_STATE_BYTES", path.stat().st_size)
    with pytest.raises(StateCorruptError, match="journal .* is too large"):
        LocalBackend(path, stack="test").read()


def test_sensitive_values_never_reach_the_journal(tmp_path):
    backend = LocalBackend(tmp_path / "state.json", stack="test")
    state = _stack(backend, 2)
    state.unseal({"token": "s3cr3t-value"})
    state.record(_resource("secret", note="x-s3cr3t-value-y"))
    backend.write(state)
    state.outputs = {"endpoint": "s3cr3t-value"}
    backend.write(state)
    assert _journal(backend).count(b"\n") == 2 and b"s3cr3t-value" not in _journal(backend)
    assert b"(sensitive:token)" in _journal(backend)
    again = LocalBackend(backend.path, stack="test").read()
    again.unseal({"token": "s3cr3t-value"})
    assert again.resources["dataset_group.secret"].params["note"] == "x-s3cr3t-value-y"
    assert again.outputs == {"endpoint": "s3cr3t-value"}
    backend.flush()
    assert b"s3cr3t-value" not in backend.path.read_bytes()


def test_history_counts_the_journal_in_the_current_version(tmp_path):
    backend = LocalBackend(tmp_path / "state.json", stack="test")
    state = _stack(backend, 2)
    state.record(_resource("late"))
    backend.write(state)
    current = next(v for v in backend.history() if v.version_id == "current")
    assert current.size == _size(backend.path) + _size(backend.journal_path) > _size(backend.path)
