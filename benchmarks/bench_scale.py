"""How plan, apply and state writes grow with the stack (issue 11 item 5).

Run by hand, e.g. `python benchmarks/bench_scale.py --groups 1 10 50 100`; the numbers go into the
README and issue notes, never into test assertions. For each size N (dataset groups of 13
resources each, plus 3 schemas; see bench_plan_apply.make_spec) against the emulator in its own
process (20 ms per call, parallelism 10):

- apply from empty: wall, perso's CPU seconds, the emulator's CPU seconds, API calls, and the state
  writes it made (count, bytes, CPU seconds spent inside the backend's `write`);
- a no-op plan: wall, CPU, calls per resource, and wall ÷ ideal (calls × latency ÷ parallelism);
- a sequential plain-boto3 refresh (one describe per resource in the state, one after another:
  what a hand-written script does) and how many times slower it is than perso's no-op plan;
- the same no-op plan with the emulator's cost removed: through replay_proxy.py, which answers
  every call it saw before from memory after the same latency;
- the client's floor: plain boto3, one describe per resource from `parallelism` threads and no
  perso code at all, set against the same ideal, both against the emulator and through the proxy.
  On one core, a no-op plan cannot beat it: it is what boto3's CPU per call allows.

Each size runs in its own process (`--one N`), so the peak RSS it reports is that size's own. With
`--pin`, the emulator runs on CPU 0 and perso on CPU 1, as issue 11 measured. Apply's wall time is
also set against the critical path of the emulated waits: the longest chain of dependent creates,
each taking the emulator's duration for its type times the time scale, which no order of calls can
beat. That ratio means something only where waits are long next to a call: time scale 0.05 (a
195 s path) still makes each 20 ms call 20 times costlier next to the waits than a real call is
next to real ones; at 0.01, 100 times, and a 100-group apply's CPU for its first few seconds
(hundreds of one-minute resources polled at once) shows in it; at the default 0.0005 the apply's
CPU alone exceeds the path.

It ends with a growth check: per-resource cost at each size relative to the smallest size (about
1.0 everywhere means linear growth; a column that keeps rising grows faster than linearly).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_plan_apply import calls, control, emulator_process, make_spec, make_workspace, server_process  # noqa: E402

from perso_iac.engine import apply_plan, refresh_and_plan  # noqa: E402
from perso_iac.spec.loader import load_spec  # noqa: E402
from perso_iac.state.local import LocalBackend  # noqa: E402
from perso_iac.state.model import StateFile  # noqa: E402
from perso_iac.wait import Waiter  # noqa: E402

# The describe call a plain boto3 script would make for each type of the benchmark's stack.
DESCRIBE = {
    "schema": ("describe_schema", "schemaArn"),
    "dataset_group": ("describe_dataset_group", "datasetGroupArn"),
    "dataset": ("describe_dataset", "datasetArn"),
    "dataset_import": ("describe_dataset_import_job", "datasetImportJobArn"),
    "solution": ("describe_solution", "solutionArn"),
    "solution_version": ("describe_solution_version", "solutionVersionArn"),
    "campaign": ("describe_campaign", "campaignArn"),
}


class CountingBackend(LocalBackend):
    """The local backend, counting its writes, the bytes they stored and the CPU they took."""

    def __init__(self, path: Path, *, stack: str) -> None:
        super().__init__(path, stack=stack)
        self.writes = 0
        self.bytes = 0
        self.cpu = 0.0
        self._count_lock = threading.Lock()

    def write(self, state: StateFile, *, allow_new_lineage: bool = False) -> None:
        start = time.thread_time()  # CPU of the writing thread only: other steps run meanwhile
        written = self.bytes_written  # the document when it is rewritten, else one journal line
        super().write(state, allow_new_lineage=allow_new_lineage)
        spent = time.thread_time() - start
        with self._count_lock:
            self.writes += 1
            self.bytes += self.bytes_written - written
            self.cpu += spent

    def flush(self) -> None:  # the fold at the end of the apply: its bytes and CPU count too
        start, written = time.thread_time(), self.bytes_written
        super().flush()
        with self._count_lock:
            self.bytes += self.bytes_written - written
            self.cpu += time.thread_time() - start

    def reset(self) -> None:
        self.writes, self.bytes, self.cpu = 0, 0, 0.0


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of another process, from /proc."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _emulator_pid(endpoint: str) -> int | None:
    port = endpoint.rsplit(":", 1)[1]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"perso_iac.emulator" in cmdline and port.encode() in cmdline:
            return int(entry)
    return None


class Meter:
    """Wall, own CPU, emulator CPU and API calls between start() and stop()."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint, self.pid = endpoint, _emulator_pid(endpoint)

    def start(self) -> None:
        self._t, self._c, self._n = time.perf_counter(), time.process_time(), calls(self.endpoint)
        self._e = _proc_cpu(self.pid) if self.pid else 0.0

    def stop(self) -> dict[str, float]:
        out = {"wall": time.perf_counter() - self._t, "cpu": time.process_time() - self._c}
        out["emu_cpu"] = (_proc_cpu(self.pid) - self._e) if self.pid else float("nan")
        out["calls"] = calls(self.endpoint) - self._n  # after the CPU reads: this call is not counted
        return out


def parallel_refresh(client: Any, state: StateFile, parallelism: int) -> int:
    """One describe per resource from `parallelism` threads: the client's floor, no perso code."""
    def describe(res: Any) -> None:
        method, key = DESCRIBE[res.type]
        getattr(client, method)(**{key: res.arn})

    with ThreadPoolExecutor(max_workers=parallelism) as pool:
        return len(list(pool.map(describe, state.resources.values())))


def replay_proxy(upstream: str, latency_ms: int, cpu: int | None) -> contextlib.AbstractContextManager[str]:
    """replay_proxy.py in its own process, in front of `upstream`."""
    return server_process([sys.executable, str(Path(__file__).with_name("replay_proxy.py")), "--upstream", upstream,
                           "--latency-ms", str(latency_ms)], proxy_hits, cpu)


def proxy_hits(endpoint: str) -> int:
    with urllib.request.urlopen(f"{endpoint}/_proxy/stats") as response:
        return json.load(response)["hits"]


def timed(fn: Any, calls_of: Any) -> dict[str, float]:
    """Wall, own CPU and calls (as `calls_of()` counts them) of `fn()`."""
    start, cpu, before = time.perf_counter(), time.process_time(), calls_of()
    fn()
    return {"wall": time.perf_counter() - start, "cpu": time.process_time() - cpu, "calls": calls_of() - before}


def sequential_refresh(client: Any, state: StateFile) -> int:
    """One describe per resource, one after another, like a plain boto3 script."""
    done = 0
    for res in state.resources.values():
        method, key = DESCRIBE[res.type]
        getattr(client, method)(**{key: res.arn})
        done += 1
    return done


EMULATED_TYPE = {"dataset_import": "dataset_import_job"}  # perso's type name -> the emulator's, where they differ


def critical_path(spec: Any, time_scale: float) -> float:
    """Seconds of the longest chain of dependent creates at the emulator's durations."""
    from perso_iac.emulator.ops.resources import TYPES
    from perso_iac.graph import topological_order

    resources = spec.resources
    finish: dict[str, float] = {}
    for address in topological_order({a: r.depends_on for a, r in resources.items()}):
        res = resources[address]
        own = TYPES[EMULATED_TYPE.get(res.type, res.type)].create_secs * time_scale
        finish[address] = own + max((finish.get(d, 0.0) for d in res.depends_on), default=0.0)
    return max(finish.values(), default=0.0)


def run(groups: int, latency_ms: int, time_scale: float, parallelism: int, pin: bool = False) -> dict[str, Any]:
    if pin:
        os.sched_setaffinity(0, {1})
    with tempfile.TemporaryDirectory() as tmp, \
            emulator_process(time_scale, latency_ms, 0 if pin else None) as endpoint:
        spec_path = Path(tmp) / "perso.yaml"
        spec_path.write_text(make_spec(groups))
        spec = load_spec(spec_path)
        control(endpoint, {"action": "configure", "quotas": {
            "dataset_groups": groups, "pending_dataset_import_jobs": 10_000, "pending_solution_versions": 10_000}})
        backend = CountingBackend(Path(tmp) / "state.json", stack=spec.stack)
        ws = make_workspace(endpoint, spec, backend, parallelism)
        meter = Meter(endpoint)
        resources = len(spec.resources)

        first = refresh_and_plan(ws)
        backend.reset()
        meter.start()
        apply_plan(ws, first.plan, first.state, waiter=Waiter(time_scale=time_scale))
        applied = meter.stop()
        writes = {"writes": backend.writes, "bytes": backend.bytes, "cpu": backend.cpu,
                  "final_bytes": backend.path.stat().st_size}

        meter.start()
        again = refresh_and_plan(ws)
        noop = meter.stop()
        assert not again.plan.has_changes(), "a plan right after apply must show no changes"

        seq_client = boto3.client("personalize", endpoint_url=endpoint, region_name="us-east-1",
                                  aws_access_key_id="bench", aws_secret_access_key="bench")
        meter.start()
        described = sequential_refresh(seq_client, again.state)
        seq = meter.stop()

        floor_client = boto3.client("personalize", endpoint_url=endpoint, region_name="us-east-1",
                                    aws_access_key_id="bench", aws_secret_access_key="bench",
                                    config=Config(max_pool_connections=parallelism))
        floor = timed(lambda: parallel_refresh(floor_client, again.state, parallelism), lambda: calls(endpoint))

        with replay_proxy(endpoint, latency_ms, 0 if pin else None) as proxied:
            cached = make_workspace(proxied, spec, backend, parallelism)
            refresh_and_plan(cached)  # seen once: from now on answered from memory
            noop_cached = timed(lambda: refresh_and_plan(cached), lambda: proxy_hits(proxied))
            proxy_client = boto3.client("personalize", endpoint_url=proxied, region_name="us-east-1",
                                        aws_access_key_id="bench", aws_secret_access_key="bench",
                                        config=Config(max_pool_connections=parallelism))
            parallel_refresh(proxy_client, again.state, parallelism)
            floor_cached = timed(lambda: parallel_refresh(proxy_client, again.state, parallelism),
                                 lambda: proxy_hits(proxied))

        def over_ideal(run: dict[str, float]) -> float | None:
            ideal = run["calls"] * latency_ms / 1000 / parallelism
            return round(run["wall"] / ideal, 2) if ideal else None

        ideal = noop["calls"] * latency_ms / 1000 / parallelism
        path = critical_path(spec, time_scale)
        return {
            "groups": groups, "resources": resources,
            "apply_s": round(applied["wall"], 2), "apply_cpu_s": round(applied["cpu"], 2),
            "critical_path_s": round(path, 2), "apply_over_path": round(applied["wall"] / path, 2),
            "apply_emu_cpu_s": round(applied["emu_cpu"], 2), "apply_calls": applied["calls"],
            "state_writes": writes["writes"], "state_bytes": writes["bytes"],
            "state_cpu_s": round(writes["cpu"], 3), "state_final_bytes": writes["final_bytes"],
            "noop_plan_s": round(noop["wall"], 2), "noop_plan_cpu_s": round(noop["cpu"], 2),
            "noop_plan_emu_cpu_s": round(noop["emu_cpu"], 2),
            "noop_calls_per_resource": round(noop["calls"] / resources, 2),
            "noop_wall_over_ideal": round(noop["wall"] / ideal, 2) if ideal else None,
            "noop_cached_over_ideal": over_ideal(noop_cached),
            "floor_over_ideal": over_ideal(floor), "floor_cached_over_ideal": over_ideal(floor_cached),
            "floor_cpu_ms_per_call": round(floor["cpu"] / floor["calls"] * 1000, 2) if floor["calls"] else None,
            "seq_boto3_refresh_s": round(seq["wall"], 2), "seq_described": described,
            "seq_over_perso": round(seq["wall"] / noop["wall"], 1) if noop["wall"] else None,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }


GROWTH = (("apply_s", "apply wall"), ("apply_cpu_s", "apply CPU"), ("apply_calls", "apply calls"),
          ("state_bytes", "state bytes written"), ("state_cpu_s", "state CPU"),
          ("noop_plan_s", "no-op plan wall"), ("noop_plan_cpu_s", "no-op plan CPU"))


def growth(rows: list[dict[str, Any]]) -> list[str]:
    """Per-resource cost at each size, relative to the smallest size."""
    base = rows[0]
    lines = [f"per-resource cost relative to {base['groups']} group(s) (1.0 = linear):"]
    for key, label in GROWTH:
        ratios = []
        for row in rows:
            per, per0 = row[key] / row["resources"], base[key] / base["resources"]
            ratios.append(f"{row['groups']}: {per / per0:.2f}" if per0 else f"{row['groups']}: -")
        lines.append(f"  {label:22} " + "  ".join(ratios))
    return lines


def table(rows: list[dict[str, Any]]) -> list[str]:
    """The markdown table for the README."""
    head = ("| groups (resources) | apply wall / CPU s | apply ÷ critical path | apply calls "
            "| state writes / MB / CPU s | no-op plan wall / CPU s | no-op ÷ ideal (proxy) "
            "| boto3 floor ÷ ideal (proxy), CPU ms/call | calls/resource "
            "| sequential boto3 s (× perso) | peak RSS MB |")
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for r in rows:
        lines.append(
            f"| {r['groups']} ({r['resources']}) | {r['apply_s']} / {r['apply_cpu_s']} "
            f"| {r['apply_over_path']}× ({r['critical_path_s']} s) | {r['apply_calls']} "
            f"| {r['state_writes']} / {r['state_bytes'] / 1e6:.2f} / {r['state_cpu_s']} "
            f"| {r['noop_plan_s']} / {r['noop_plan_cpu_s']} | {r['noop_wall_over_ideal']}× "
            f"({r['noop_cached_over_ideal']}×) | {r['floor_over_ideal']}× ({r['floor_cached_over_ideal']}×), "
            f"{r['floor_cpu_ms_per_call']} "
            f"| {r['noop_calls_per_resource']} | {r['seq_boto3_refresh_s']} ({r['seq_over_perso']}×) "
            f"| {r['peak_rss_mb']} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=int, nargs="+", default=[1, 10, 50, 100])
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--time-scale", type=float, default=0.0005)
    parser.add_argument("--parallelism", type=int, default=10)
    parser.add_argument("--pin", action="store_true", help="the emulator on CPU 0, perso on CPU 1")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one size, in this process
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run(args.one, args.latency_ms, args.time_scale, args.parallelism, args.pin)))
        return
    print(f"latency {args.latency_ms} ms per call, time scale {args.time_scale}, parallelism {args.parallelism}"
          f"{', pinned' if args.pin else ''}", flush=True)
    rows = []
    for groups in args.groups:
        argv = [sys.executable, __file__, "--one", str(groups), "--latency-ms", str(args.latency_ms),
                "--time-scale", str(args.time_scale), "--parallelism", str(args.parallelism)]
        done = subprocess.run(argv + (["--pin"] if args.pin else []), capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    print("\n".join(["", *table(rows), "", *growth(rows)]))


if __name__ == "__main__":
    main()
