"""Hostile input to the emulator (issue 16 item 8): malformed bodies answer 400 in AWS's error shape,
never 500; dozens of simultaneous connections are all served; the control endpoint refuses values
that would stall or corrupt the emulator, saying what is wrong."""

from __future__ import annotations

import json
import socket
import threading

import pytest
from emulator_helpers import control, raw_post

from perso_iac.emulator import EmulatorConfig, EmulatorServer, VirtualClock
from perso_iac.emulator.wire import MAX_DEPTH, nesting_depth

DEEP = 100_000
MALFORMED = {
    "deep array": "[" * DEEP + "]" * DEEP,
    "deep object in a member": '{"name": ' + '{"a":' * 5000 + "1" + "}" * 5000 + "}",
    "deep list in tags": '{"name":"x","tags":' + "[" * 3000 + "]" * 3000 + "}",
    "moderately deep unknown member": '{"name":"x","extra":' + "[" * 200 + "]" * 200 + "}",
    "NaN literal": '{"name": "x", "maxResults": NaN}',
    "Infinity literal": '{"name": "x", "maxResults": Infinity}',
    "-Infinity literal": '{"name": "x", "maxResults": -Infinity}',
    "integer of 5000 digits": '{"name": "x", "maxResults": ' + "9" * 5000 + "}",
    "truncated": '{"name": "x", "tags": [{"tagKey": "a"',
    "trailing garbage": '{"name": "x"} {}',
    "invalid utf-8": b'{"name": "\xff\xfe"}',
    "NUL byte outside a string": b'{"name": "x"\x00}',
    "bare scalar": "42",
    "array": "[]",
    "null": "null",
}
TARGETS = ["CreateDatasetGroup", "ListSchemas", "CreateCampaign", "CreateSchema", "CreateSolution"]


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
@pytest.mark.parametrize("target", TARGETS)
def test_malformed_body_is_a_400_serialization_exception(emulator, body, target):
    status, answer = raw_post(emulator.endpoint_url, body, target=f"AmazonPersonalize.{target}")
    assert status == 400, answer
    assert answer["__type"] == "SerializationException"
    assert answer["message"]


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_control_body_is_a_400(emulator, body):
    status, answer = raw_post(emulator.endpoint_url, body, target=None, auth=None, path="/_perso/control")
    assert status == 400 and answer["__type"] == "SerializationException" and answer["message"]


def test_infinite_double_in_a_model_member_is_an_input_error(emulator):
    """1e999 parses to inf in Python; the model's numeric checks must refuse it, not crash."""
    status, answer = raw_post(emulator.endpoint_url, '{"name": "x", "maxResults": 1e999}',
                              target="AmazonPersonalize.ListSchemas")
    assert (status, answer["__type"]) == (400, "InvalidInputException")


def test_nesting_depth_ignores_brackets_inside_strings():
    assert nesting_depth(b'{"a": "[[[[{{{{"}') == 1
    assert nesting_depth(b'{"a": "\\"[[[", "b": [[1]]}') == 3
    assert nesting_depth(b"[" * (MAX_DEPTH + 1)) == MAX_DEPTH + 1


def test_a_legitimately_nested_request_still_works(emulator, personalize):
    group = personalize.create_dataset_group(name="g")["datasetGroupArn"]
    for _ in range(3):
        personalize.describe_dataset_group(datasetGroupArn=group)
    # solutionConfig.hpoConfig.algorithmHyperParameterRanges.integerHyperParameterRanges[]: the deepest shape
    arn = personalize.create_solution(
        name="s", datasetGroupArn=group, recipeArn="arn:aws:personalize:::recipe/aws-user-personalization",
        performHPO=True,
        solutionConfig={"hpoConfig": {"algorithmHyperParameterRanges": {"integerHyperParameterRanges": [
            {"name": "bptt", "minValue": 2, "maxValue": 32}]}}},
    )["solutionArn"]
    assert arn.endswith("solution/s")


def test_64_simultaneous_connections_are_all_queued_and_served():
    """64 connections opened while the server does not accept yet must all complete their handshake
    (the listen backlog holds them; the stdlib default of 5 resets or stalls most of them), then all be
    answered."""
    server = EmulatorServer(EmulatorConfig(time_scale=0), port=0).bind()
    socks: list[socket.socket] = []
    try:
        for _ in range(64):
            sock = socket.socket()
            sock.settimeout(2)
            sock.connect(("127.0.0.1", server.port))  # completes only if the backlog has room
            socks.append(sock)
        server.start()
        request = (b"GET /_perso/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        for sock in socks:
            sock.sendall(request)
        answers = []
        for sock in socks:
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
            answers.append(data.split(b"\r\n", 1)[0])
        assert answers == [b"HTTP/1.1 200 OK"] * 64
    finally:
        for sock in socks:
            sock.close()
        server.stop()


def test_64_concurrent_boto3_style_requests_all_succeed(emulator):
    barrier = threading.Barrier(64)
    results: list[int] = []
    lock = threading.Lock()

    def call(i: int) -> None:
        barrier.wait(timeout=10)
        status, _ = raw_post(emulator.endpoint_url, json.dumps({"name": f"g{i}"}),
                             target="AmazonPersonalize.CreateSchema")
        with lock:
            results.append(status)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    # CreateSchema without a schema is an input error: every connection got a modelled answer
    assert sorted(results) == [400] * 64


BAD_CONTROL = [
    ({"action": "advance", "seconds": "NaN"}, "advance seconds"),
    ({"action": "advance", "seconds": 1e308}, "advance seconds"),
    ({"action": "advance", "seconds": -1}, "advance seconds"),
    ({"action": "advance", "seconds": True}, "advance seconds"),
    ({"action": "advance", "seconds": "inf"}, "advance seconds"),
    ({"action": "advance"}, "advance seconds"),
    ({"action": "configure", "latency_ms": 1e12}, "latency_ms"),
    ({"action": "configure", "latency_ms": -5}, "latency_ms"),
    ({"action": "configure", "latency_ms": "nan"}, "latency_ms"),
    ({"action": "configure", "time_scale": 1e308}, "time_scale"),
    ({"action": "configure", "time_scale": [1]}, "time_scale"),
    ({"action": "configure", "throttle_rate": "nan"}, "throttle_rate"),
    ({"action": "configure", "throttle_rate": 2}, "throttle_rate"),
    ({"action": "configure", "fail": "campaign"}, "fault rule"),
    ({"action": "configure", "fail": ["campaign:"]}, "no name glob"),
    ({"action": "configure", "fail": [5]}, "fault rule"),
    ({"action": "configure", "fail": [{"type": "campaign"}]}, "fault rule"),
    ({"action": "configure", "fail": 7}, "fault rules"),
    ({"action": "configure", "fail": ["nope:*"]}, "unknown type"),
    ({"action": "configure", "fail": ["campaign:a\nb"]}, "fault rule"),
    ({"action": "configure", "fail": ["campaign:*"] * 101}, "at most"),
    ({"action": "configure", "quotas": {"dataset_groups": -1}}, "quota dataset_groups"),
    ({"action": "configure", "quotas": {"dataset_groups": 1.5}}, "quota dataset_groups"),
    ({"action": "configure", "quotas": {"dataset_groups": "many"}}, "quota dataset_groups"),
    ({"action": "configure", "quotas": {"bogus": 1}}, "unknown quotas"),
    ({"action": "configure", "quotas": [1]}, "quotas must be"),
    ({"action": "configure", "seed": {"a": 1}}, "seed"),
    ({"action": "configure", "colour": "red"}, "cannot configure"),
    ({"action": "teleport"}, "unknown control action"),
]


@pytest.mark.parametrize("payload,fragment", BAD_CONTROL, ids=[json.dumps(p)[:60] for p, _ in BAD_CONTROL])
def test_control_endpoint_refuses_bad_values_with_a_message(payload, fragment):
    clock = VirtualClock(start=1000)
    with EmulatorServer(EmulatorConfig(time_scale=0, clock=clock)) as server:
        before = control(server.endpoint_url, {"action": "configure"})["config"]
        status, body = raw_post(server.endpoint_url, json.dumps(payload), target=None, auth=None,
                                path="/_perso/control")
        assert status == 400, body
        assert body["__type"] == "InvalidInputException" and fragment in body["message"]
        # nothing was applied: not the clock, not a partial configuration
        assert clock.now() == 1000
        assert control(server.endpoint_url, {"action": "configure"})["config"] == before


def test_a_mixed_configure_applies_nothing_when_one_value_is_bad():
    with EmulatorServer(EmulatorConfig(time_scale=0)) as server:
        status, _ = raw_post(server.endpoint_url, json.dumps({"action": "configure", "latency_ms": 5,
                                                              "throttle_rate": 9}),
                             target=None, auth=None, path="/_perso/control")
        assert status == 400
        assert server.config.latency_ms == 0


def test_good_control_values_still_apply():
    clock = VirtualClock(start=1000)
    with EmulatorServer(EmulatorConfig(time_scale=0, clock=clock)) as server:
        assert control(server.endpoint_url, {"action": "advance", "seconds": 86400 * 365})["now"] == 1000 + 86400 * 365
        cfg = control(server.endpoint_url, {"action": "configure", "latency_ms": 1, "time_scale": 0.5,
                                            "fail": "campaign:a*,solution:*", "quotas": {"dataset_groups": 7},
                                            "seed": 3})["config"]
        assert cfg["fail"] == ["campaign:a*", "solution:*"] and cfg["quotas"]["dataset_groups"] == 7
        assert cfg["latency_ms"] == 1 and cfg["time_scale"] == 0.5


@pytest.mark.parametrize("kwargs", [{"latency_ms": float("nan")}, {"time_scale": float("inf")},
                                    {"latency_ms": 1e12}, {"fail": ["campaign:"]}, {"quotas": {"schemas": -3}}])
def test_config_object_refuses_the_same_values(kwargs):
    with pytest.raises(ValueError):
        EmulatorConfig(**kwargs)
