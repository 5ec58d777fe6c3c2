"""Choosing the backend (`--state` > spec `backend:` > default) and saving an errored state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perso_iac.aws import AwsSettings
from perso_iac.errors import StateError
from perso_iac.state.factory import ERRORED_STATE_FILE, make_backend, parse_s3_url, save_errored_state
from perso_iac.state.local import LocalBackend
from perso_iac.state.model import StateFile
from perso_iac.state.s3 import S3Backend

SETTINGS = AwsSettings(region="us-east-1")


def _make(spec_backend, override, tmp_path: Path):
    return make_backend(spec_backend, override, stack="movies", spec_dir=tmp_path, settings=SETTINGS)


def test_state_factory_default_is_local_under_perso_state_of_the_working_directory(tmp_path):
    backend = _make(None, None, tmp_path)
    assert isinstance(backend, LocalBackend) and backend.path == Path(".perso/state/movies.json")


def test_state_factory_spec_local_path_is_relative_to_the_spec(tmp_path):
    backend = _make({"local": {"path": "state/x.json"}}, None, tmp_path)
    assert isinstance(backend, LocalBackend) and backend.path == tmp_path / "state/x.json"
    absolute = _make({"local": {"path": str(tmp_path / "abs.json")}}, None, Path("/elsewhere"))
    assert absolute.path == tmp_path / "abs.json"


def test_state_factory_spec_s3(tmp_path):
    backend = _make({"s3": {"bucket": "b", "key": "perso/movies.json", "region": "eu-west-1",
                            "kms_key_id": "alias/perso", "endpoint_url": "http://127.0.0.1:1"}}, None, tmp_path)
    assert isinstance(backend, S3Backend)
    assert backend.describe() == "s3://b/perso/movies.json" and backend.lock_key == "perso/movies.json.lock"
    assert backend.kms_key_id == "alias/perso" and backend.client.meta.region_name == "eu-west-1"
    assert backend.client.meta.endpoint_url == "http://127.0.0.1:1"


def test_state_factory_override_beats_the_spec(tmp_path):
    spec = {"s3": {"bucket": "b", "key": "k.json", "region": "eu-west-1", "kms_key_id": "alias/perso"}}
    local = _make(spec, "elsewhere/state.json", tmp_path)
    assert isinstance(local, LocalBackend) and local.path == Path("elsewhere/state.json")
    s3 = _make(spec, "s3://other/path/to/state.json", tmp_path)
    assert s3.describe() == "s3://other/path/to/state.json"
    assert s3.kms_key_id == "alias/perso" and s3.client.meta.region_name == "eu-west-1"  # kept from the spec
    assert _make({"local": {"path": "x.json"}}, "s3://b/k.json", tmp_path).describe() == "s3://b/k.json"


@pytest.mark.parametrize("url", ["s3://", "s3://bucket", "s3://bucket/", "s3:///key", "s3://b/dir/"])
def test_state_factory_bad_s3_urls_are_explained(url, tmp_path):
    with pytest.raises(StateError) as info:
        _make(None, url, tmp_path)
    assert "s3://BUCKET/KEY" in info.value.message


def test_state_factory_other_schemes_and_unknown_s3_options_are_refused(tmp_path):
    with pytest.raises(StateError):
        _make(None, "gs://bucket/key", tmp_path)
    with pytest.raises(StateError) as info:
        _make({"s3": {"bucket": "b", "key": "k", "table": "locks"}}, None, tmp_path)
    assert "table" in info.value.message


def test_state_factory_parse_s3_url():
    assert parse_s3_url("s3://bucket/a/b.json") == ("bucket", "a/b.json")


def test_state_errored_state_gets_the_next_serial_and_keeps_everything(tmp_path):
    state = StateFile(stack="movies", serial=7)
    path = save_errored_state(state, tmp_path)
    assert path == tmp_path / ERRORED_STATE_FILE
    data = json.loads(path.read_text())
    assert data["serial"] == 8 and data["lineage"] == state.lineage and state.serial == 7
    assert StateFile.from_dict(data).stack == "movies"
    assert [p.name for p in tmp_path.iterdir()] == [ERRORED_STATE_FILE]  # no temporary files left


def test_state_errored_state_never_overwrites_another_lineage_or_a_later_one(tmp_path):
    first = save_errored_state(StateFile(stack="movies", serial=9), tmp_path)
    second = save_errored_state(StateFile(stack="movies", serial=3), tmp_path)
    assert second != first and json.loads(first.read_text())["serial"] == 10
    same = StateFile.from_dict(json.loads(first.read_text()))
    same.serial = 12
    assert save_errored_state(same, tmp_path) == first and json.loads(first.read_text())["serial"] == 13
