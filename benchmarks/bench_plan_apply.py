"""Plan and apply of N dataset groups against the emulator with added latency.

Run by hand (`make bench` or `python benchmarks/bench_plan_apply.py --groups 1 10 50`); the
numbers go into the issue notes, never into test assertions. Each group has 3 datasets (with
imports), 2 solutions (each trained once) and 2 campaigns: 13 resources, plus 3 shared schemas.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from perso_iac.engine import Workspace, apply_plan, refresh_and_plan
from perso_iac.spec.loader import load_spec
from perso_iac.state.local import LocalBackend
from perso_iac.wait import Waiter

SCHEMAS = {
    "Interactions": [("USER_ID", "string"), ("ITEM_ID", "string"), ("TIMESTAMP", "long")],
    "Items": [("ITEM_ID", "string"), ("GENRES", "string")],
    "Users": [("USER_ID", "string"), ("AGE", "int")],
}


def make_spec(groups: int) -> str:
    lines = ["version: 1", "stack: bench", "schemas:"]
    for kind, fields in SCHEMAS.items():
        lines += [f"  bench-{kind.lower()}:", "    schema:", "      type: record", f"      name: {kind}",
                  "      namespace: com.amazonaws.personalize.schema", "      fields:"]
        for name, typ in fields:
            extra = ", categorical: true" if name == "GENRES" else ""
            lines.append(f"        - {{name: {name}, type: {typ}{extra}}}")
    lines.append("dataset_groups:")
    for g in range(groups):
        lines += [f"  bench{g}:", "    datasets:"]
        for kind in SCHEMAS:
            lines += [f"      {kind.lower()}:", f"        datasetType: {kind}", f"        schema: bench-{kind.lower()}",
                      "        import:", f"          dataSource: {{dataLocation: 's3://bench/{g}/{kind}.csv'}}",
                      "          roleArn: arn:aws:iam::123456789012:role/PersonalizeS3"]
        lines += ["    solutions:"]
        for s, recipe in (("up", "aws-user-personalization-v2"), ("rank", "aws-personalized-ranking-v2")):
            lines += [f"      {s}:", f"        recipeArn: arn:aws:personalize:::recipe/{recipe}",
                      "        performAutoTraining: false"]
        lines += ["    campaigns:"]
        for s in ("up", "rank"):
            lines += [f"      {s}:", f"        solution: {s}", "        minProvisionedTPS: 1"]
    return "\n".join(lines) + "\n"


def control(endpoint: str, body: dict) -> dict:
    request = urllib.request.Request(f"{endpoint}/_perso/control", data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def calls(endpoint: str) -> int:
    counts = control(endpoint, {"action": "calls"})
    counts = counts.get("calls", counts)
    return sum(v for v in counts.values() if isinstance(v, int))


@contextlib.contextmanager
def server_process(argv: list[str], ready: Callable[[str], object], cpu: int | None = None) -> Iterator[str]:
    """`argv` + `--port P` in its own process, as a real endpoint would be: its CPU is not ours (and,
    with `cpu`, pinned to that core, so that the two do not take turns on one). Yields its URL once
    `ready(url)` answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([*argv, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if cpu is not None:
        os.sched_setaffinity(proc.pid, {cpu})
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                ready(endpoint)
                break
            except OSError:
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def emulator_process(time_scale: float, latency_ms: int, cpu: int | None = None) -> contextlib.AbstractContextManager[str]:
    """The emulator in its own process."""
    return server_process([sys.executable, "-m", "perso_iac.emulator", "--time-scale", str(time_scale),
                           "--latency-ms", str(latency_ms)], lambda url: control(url, {"action": "calls"}), cpu)


def make_workspace(endpoint: str, spec: Any, backend: Any, parallelism: int) -> Workspace:
    """What `perso` builds against an emulator: Personalize and Tagging API clients, pooled for `parallelism`."""
    keys = {"endpoint_url": endpoint, "region_name": "us-east-1", "aws_access_key_id": "bench",
            "aws_secret_access_key": "bench", "config": Config(max_pool_connections=parallelism)}
    return Workspace(spec=spec, backend=backend, client=boto3.client("personalize", **keys),
                     tagging=boto3.client("resourcegroupstaggingapi", **keys), parallelism=parallelism)


def run(groups: int, latency_ms: int, time_scale: float, parallelism: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp, emulator_process(time_scale, latency_ms) as endpoint:
        spec_path = Path(tmp) / "perso.yaml"
        spec_path.write_text(make_spec(groups))
        spec = load_spec(spec_path)
        control(endpoint, {"action": "configure", "quotas": {
            "dataset_groups": groups, "pending_dataset_import_jobs": 10_000, "pending_solution_versions": 10_000}})
        ws = make_workspace(endpoint, spec, LocalBackend(Path(tmp) / "state.json"), parallelism)
        waiter = Waiter(initial_delay=0.05, max_delay=0.5, fixed=True)  # the emulator runs scaled: poll fast

        t0, c0 = time.perf_counter(), calls(endpoint)
        first = refresh_and_plan(ws)
        t1, c1 = time.perf_counter(), calls(endpoint)
        apply_plan(ws, first.plan, first.state, waiter=waiter)
        t2, c2 = time.perf_counter(), calls(endpoint)
        again = refresh_and_plan(ws)
        t3, c3 = time.perf_counter(), calls(endpoint)
        # Python heap peak of a no-op plan, measured separately: tracemalloc slows everything down.
        tracemalloc.start()
        refresh_and_plan(ws)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert not again.plan.has_changes(), "a plan right after apply must show no changes"
        resources = len(spec.resources)
        return {
            "groups": groups, "resources": resources,
            "first_plan_s": round(t1 - t0, 2), "first_plan_calls": c1 - c0,
            "apply_s": round(t2 - t1, 2), "apply_calls": c2 - c1,
            "noop_plan_s": round(t3 - t2, 2), "noop_plan_calls_per_resource": round((c3 - c2) / resources, 2),
            "noop_plan_python_peak_mib": round(peak / 2**20, 1),
            "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--groups", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--time-scale", type=float, default=0.0005)
    parser.add_argument("--parallelism", type=int, default=10)
    args = parser.parse_args()
    # Longest dependency chain of waits in the emulator's realistic durations, scaled.
    print(f"latency {args.latency_ms} ms, time scale {args.time_scale}, parallelism {args.parallelism}")
    for groups in args.groups:
        print(json.dumps(run(groups, args.latency_ms, args.time_scale, args.parallelism)))


if __name__ == "__main__":
    main()
