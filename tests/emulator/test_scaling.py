"""The emulator's cost per request does not grow with the account (issue 11 item 2): reads take no
rollback snapshot and write nothing when nothing moved, settling visits only records with a running
transition, and the index stays right across rollbacks, deletes and other processes' writes.
(Throughput is measured by benchmarks/bench_emulator.py, never asserted here.)"""

from __future__ import annotations

import pytest
from emulator_helpers import full_chain
from shape_checked import checked_client

from perso_iac.emulator import EmulatorConfig, EmulatorServer, VirtualClock
from perso_iac.emulator.ops.index import RecordIndex


def test_reads_of_a_settled_account_do_not_rewrite_the_data_file(tmp_path):
    clock = VirtualClock(start=1_700_000_000)
    with EmulatorServer(EmulatorConfig(time_scale=1, clock=clock, data_dir=tmp_path)) as server:
        c = checked_client(server.endpoint_url)
        group = c.create_dataset_group(name="g")["datasetGroupArn"]
        clock.advance(120)
        c.describe_dataset_group(datasetGroupArn=group)  # completes the create: one write
        path = next(tmp_path.glob("personalize-*.json"))
        stamp = (path.stat().st_ino, path.stat().st_mtime_ns)
        store = server.backend._store
        saves: list[int] = []
        real_save = store.save
        store.save = lambda state: (saves.append(1), real_save(state))  # a spy: serializing is the cost
        for _ in range(5):
            assert c.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] == "ACTIVE"
            c.list_dataset_groups()
        assert saves == [] and (path.stat().st_ino, path.stat().st_mtime_ns) == stamp
        assert server.backend._index.pending == set()
        c.tag_resource(resourceArn=group, tags=[{"tagKey": "k", "tagValue": "v"}])  # a write does write
        assert (path.stat().st_ino, path.stat().st_mtime_ns) != stamp


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
