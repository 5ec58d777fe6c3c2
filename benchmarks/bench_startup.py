"""CPU seconds of perso's light commands from a cold process (issue 11 item 3).

Run by hand: `python benchmarks/bench_startup.py [--runs 5] [--ref PATH]`. Each command runs
`--runs` times in a fresh interpreter; the table gives the median CPU (user + sys of the child, as
`/usr/bin/time` reports it) and wall time, with the load average, since the machine is shared.
`--ref` runs the same commands against another checkout (e.g. a worktree of main) for a before/after.
Numbers go into issue notes, never into test assertions.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = [
    ["--help"],
    ["schema"],
    ["validate", "-f", "examples/movielens/perso.yaml"],
    ["validate", "-f", "examples/retail/perso.yaml", "--var-file", "examples/retail/dev.vars.yaml"],
    ["validate", "-f", "examples/ecommerce/perso.yaml"],
    ["validate", "-f", "examples/tracking/perso.yaml"],
]
GOALS = {"--help": 0.3, "schema": 0.3, "validate": 0.6}


def run_once(tree: Path, argv: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one `perso ARGV` in a fresh interpreter, run in `tree` (`-c` puts
    the working directory first on sys.path, so that is the perso imported)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", "from perso_iac.cli import main; main()", *argv], cwd=tree,
                          env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"perso {' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr}")
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, wall


def measure(tree: Path, runs: int) -> dict[str, tuple[float, float]]:
    out = {}
    for argv in COMMANDS:
        run_once(tree, argv)  # warm the .pyc and page caches
        samples = [run_once(tree, argv) for _ in range(runs)]
        out[" ".join(argv)] = (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ref", type=Path, help="another checkout to compare with (before)")
    args = parser.parse_args()
    load = os.getloadavg()
    results = {"this tree": measure(ROOT, args.runs)}
    if args.ref:
        results = {"ref": measure(args.ref.resolve(), args.runs), **results}
    print(f"median of {args.runs} runs; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after; python {sys.version.split()[0]}")
    head = "| command | goal (CPU s) | " + " | ".join(f"{name} CPU s | {name} wall s" for name in results) + " |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for argv in COMMANDS:
        key = " ".join(argv)
        goal = GOALS[argv[0]]
        cells = " | ".join(f"{r[key][0]:.2f} | {r[key][1]:.2f}" for r in results.values())
        print(f"| perso {key} | ≤ {goal} | {cells} |")


if __name__ == "__main__":
    main()
