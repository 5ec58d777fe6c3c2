"""The emulator's cost per request does not grow with the account (issue 11 item 2): reads take no
rollback snapshot and write nothing when nothing moved, settling visits only records with a running
transition, and the index stays right across rollbacks, deletes and other processes' writes.
(Throughput is measured by benchmarks/bench_emulator.py, never asserted here.)"""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest
from emulator_helpers import control, full_chain
from shape_checked import checked_client

from perso_iac.emulator import EmulatorConfig, EmulatorServer, VirtualClock, store
from perso_iac.emulator.ops.index import RecordIndex


def test_reads_of_a_settled_account_do_not_rewrite_the_data_file(tmp_path):
    clock = VirtualClock(start=1_700_000_000)
    with EmulatorServer(EmulatorConfig(time_scale=1, clock=clock, data_dir=tmp_path)) as server:
        c = checked_client(server.endpoint_url)
        group = c.create_dataset_group(name="g")["datasetGroupArn"]
        clock.advance(120)
        c.describe_dataset_group(datasetGroupArn=group)  # completes the create: one write

        def stamp() -> dict:
            return {p.name: (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns)
                    for p in tmp_path.glob("personalize-*")}

        before = stamp()
        store = server.backend._store
        saves: list[int] = []
        real_save = store.save
        store.save = lambda state, changes: (saves.append(1), real_save(state, changes))  # a spy
        for _ in range(5):
            assert c.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] == "ACTIVE"
            c.list_dataset_groups()
        assert saves == [] and stamp() == before
        assert server.backend._index.pending == set()
        c.tag_resource(resourceArn=group, tags=[{"tagKey": "k", "tagValue": "v"}])  # a write does write
        assert stamp() != before


def test_only_records_with_a_running_transition_are_settled(emulator, client):
    chain = full_chain(client)
    index = emulator.backend._index
    assert index.pending == set()  # everything ACTIVE: a request visits no record to settle
    client.update_campaign(campaignArn=chain["campaign"], minProvisionedTPS=2)
    assert index.pending == {chain["campaign"]}
    while client.describe_campaign(campaignArn=chain["campaign"])["campaign"]["latestCampaignUpdate"]["status"] \
            != "ACTIVE":
        pass
    client.describe_campaign(campaignArn=chain["campaign"])
    assert index.pending == set()
    # the index matches a fresh one built from the records
    fresh = RecordIndex(emulator.backend.state["resources"])
    assert {t: set(r) for t, r in fresh.by_type.items() if r} == {t: set(r) for t, r in index.by_type.items() if r}


def test_index_follows_deletes_and_rollbacks(emulator, client):
    chain = full_chain(client)
    client.delete_campaign(campaignArn=chain["campaign"])
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        for _ in range(5):
            client.describe_campaign(campaignArn=chain["campaign"])
    assert chain["campaign"] not in emulator.backend._index.by_type["campaign"]
    assert [c["campaignArn"] for c in client.list_campaigns()["campaigns"]] == []
    # a failed write is rolled back whole; the index is rebuilt from the restored records
    with pytest.raises(client.exceptions.InvalidInputException):
        client.create_campaign(name="x", solutionVersionArn=chain["version"],
                               campaignConfig={"syncWithLatestSolutionVersion": True})
    assert [s["solutionArn"] for s in client.list_solutions()["solutions"]] == [chain["solution"]]


def test_a_second_server_on_the_data_dir_sees_new_records(tmp_path):
    cfg = {"time_scale": 0, "data_dir": tmp_path}
    with EmulatorServer(EmulatorConfig(**cfg)) as one, EmulatorServer(EmulatorConfig(**cfg)) as two:
        a, b = checked_client(one.endpoint_url), checked_client(two.endpoint_url)
        assert b.list_dataset_groups()["datasetGroups"] == []
        arn = a.create_dataset_group(name="shared")["datasetGroupArn"]
        assert [g["datasetGroupArn"] for g in b.list_dataset_groups()["datasetGroups"]] == [arn]
        for _ in range(3):
            b.describe_dataset_group(datasetGroupArn=arn)
        assert a.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"] == "ACTIVE"


def _journal(tmp_path) -> list[dict]:
    path = next(tmp_path.glob("personalize-*.journal"))
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def test_a_write_appends_only_what_it_touched(tmp_path):
    with EmulatorServer(EmulatorConfig(time_scale=0, data_dir=tmp_path)) as server:
        c = checked_client(server.endpoint_url)
        chain = full_chain(c)
        doc = next(tmp_path.glob("personalize-*.json"))
        stamp = (doc.stat().st_ino, doc.stat().st_mtime_ns)
        c.tag_resource(resourceArn=chain["campaign"], tags=[{"tagKey": "team", "tagValue": "recs"}])
        c.update_campaign(campaignArn=chain["campaign"], minProvisionedTPS=3)
        assert (doc.stat().st_ino, doc.stat().st_mtime_ns) == stamp  # the document is not rewritten
        tagged, updated = _journal(tmp_path)[-2:]
        assert (tagged["put"], tagged["del"], tagged["tags"]) == ({}, [], {chain["campaign"]: {"team": "recs"}})
        assert set(updated["put"]) == {chain["campaign"]} and updated["tags"] == {}
    with EmulatorServer(EmulatorConfig(time_scale=0, data_dir=tmp_path)) as again:
        c = checked_client(again.endpoint_url)
        assert c.list_tags_for_resource(resourceArn=chain["campaign"])["tags"] == [{"tagKey": "team",
                                                                                    "tagValue": "recs"}]
        update = c.describe_campaign(campaignArn=chain["campaign"])["campaign"]["latestCampaignUpdate"]
        assert update["status"] == "CREATE PENDING"


def test_the_journal_is_folded_into_the_document_and_nothing_is_lost(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "MIN_COMPACT_BYTES", 0)  # fold as soon as the journal outgrows the document
    with EmulatorServer(EmulatorConfig(time_scale=0, data_dir=tmp_path)) as server:
        c = checked_client(server.endpoint_url)
        groups = [c.create_dataset_group(name=f"g{i}")["datasetGroupArn"] for i in range(4)]
        for i in range(30):
            c.tag_resource(resourceArn=groups[i % 4], tags=[{"tagKey": f"k{i}", "tagValue": "v"}])
        c.untag_resource(resourceArn=groups[0], tagKeys=[f"k{i}" for i in range(0, 30, 4)])
        for _ in range(3):
            c.describe_dataset_group(datasetGroupArn=groups[3])
        c.delete_dataset_group(datasetGroupArn=groups[3])
        doc = json.loads(next(tmp_path.glob("personalize-*.json")).read_text())
        assert doc["journal_gen"] > 2  # folded several times
        expected = server.backend.state
    with EmulatorServer(EmulatorConfig(time_scale=0, data_dir=tmp_path)) as again:
        assert again.backend._store.load() == expected
        assert checked_client(again.endpoint_url).list_tags_for_resource(resourceArn=groups[0])["tags"] == []


def test_a_killed_process_loses_no_answered_write_and_a_torn_line_is_cut_off(tmp_path):
    script = (
        "import os, signal, sys, boto3\n"
        "from perso_iac.emulator import EmulatorConfig, EmulatorServer\n"
        "with EmulatorServer(EmulatorConfig(time_scale=0, data_dir=sys.argv[1])) as s:\n"
        "    c = boto3.client('personalize', endpoint_url=s.endpoint_url, region_name='us-east-1')\n"
        "    arn = c.create_dataset_group(name='killed')['datasetGroupArn']\n"
        "    for i in range(5):\n"
        "        c.tag_resource(resourceArn=arn, tags=[{'tagKey': f'k{i}', 'tagValue': 'v'}])\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], timeout=60, check=False)
    assert done.returncode == -signal.SIGKILL
    journal = next(tmp_path.glob("personalize-*.journal"))
    with journal.open("ab") as fh:  # what a writer killed in the middle of a line leaves
        fh.write(b'{"gen":1,"seq":99,"put":{"arn:aws:personalize:us-east-1:1')
    with EmulatorServer(EmulatorConfig(time_scale=0, data_dir=tmp_path)) as server:
        c = checked_client(server.endpoint_url)
        [group] = c.list_dataset_groups()["datasetGroups"]
        assert group["name"] == "killed"
        tags = c.list_tags_for_resource(resourceArn=group["datasetGroupArn"])["tags"]
        assert sorted(t["tagKey"] for t in tags) == [f"k{i}" for i in range(5)]
        c.create_dataset_group(name="after")
    assert all(line.endswith(b"}") for line in journal.read_bytes().splitlines())  # the torn tail is gone
    with EmulatorServer(EmulatorConfig(time_scale=0, data_dir=tmp_path)) as server:
        names = {g["name"] for g in checked_client(server.endpoint_url).list_dataset_groups()["datasetGroups"]}
        assert names == {"killed", "after"}


def test_a_journal_left_behind_by_a_rewrite_is_not_replayed(tmp_path):
    with EmulatorServer(EmulatorConfig(time_scale=0, data_dir=tmp_path)) as server:
        c = checked_client(server.endpoint_url)
        c.create_dataset_group(name="first")
        c.create_dataset_group(name="second")
        journal = next(tmp_path.glob("personalize-*.journal"))
        stale = journal.read_bytes()
        assert stale
        control(server.endpoint_url, {"action": "reset"})
        journal.write_bytes(stale)  # as if the process died between writing the document and emptying this
    with EmulatorServer(EmulatorConfig(time_scale=0, data_dir=tmp_path)) as server:
        assert checked_client(server.endpoint_url).list_dataset_groups()["datasetGroups"] == []


def test_settling_visits_only_what_is_due(tmp_path):
    clock = VirtualClock(start=1_700_000_000)
    with EmulatorServer(EmulatorConfig(time_scale=1, clock=clock)) as server:
        c = checked_client(server.endpoint_url)
        groups = [c.create_dataset_group(name=f"g{i}")["datasetGroupArn"] for i in range(5)]
        index = server.backend._index
        assert index.pending == set(groups)
        clock.advance(5)  # one group's phase ends at 6 s (10 % of 60 s): none is due yet
        c.describe_dataset_group(datasetGroupArn=groups[0])
        assert index.take_due(clock.now()) == set() and index.pending == set(groups)
        clock.advance(1)  # every group moves to CREATE IN_PROGRESS, one visit each
        assert [c.describe_dataset_group(datasetGroupArn=g)["datasetGroup"]["status"] for g in groups] \
            == ["CREATE IN_PROGRESS"] * 5
        assert len(index.due) == 5  # rescheduled once each, for the end of their creation
        clock.advance(60)
        c.list_dataset_groups()
        assert index.pending == set() and index.due == []
