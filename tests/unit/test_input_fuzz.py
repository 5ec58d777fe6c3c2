"""Seeded fuzzing of every input file perso reads for a spec: the examples' specs, var files and schema files.

Each case mutates one file of a copy of an example (alias bombs, NUL bytes, deep nesting, huge
integers, bad UTF-8, truncation, YAML-significant noise, special files in place of the file...)
and runs `perso validate` through the CLI entry point, in one child process for the whole corpus
so that its peak RSS measures what the worst input cost. Every run must end with exit 0 or 1,
never an internal error or a traceback; every refused run must name the file and a line; the
mutations that always make the input invalid must be refused.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SEED = 16
COUNT = 240
MAX_RSS_MB = 400          # a YAML bomb used to take 3 GB
LOCATED = re.compile(r"[\w./-]+:\d+:\d+")
WHOLE_FILE = re.compile(r"not a regular file|is a directory|is too large")  # refused before reading: no line

NOISE = ["{", "}", "[", "]", ":", ": ", "&a ", "*a", "!", "!!binary ", "|", ">", "'", '"', "#", "\t", "- ",
         "? ", "%", "@", "`", "\n", "<<: *a\n", "${", "${var.", "\u2028", "\ufeff", "\\", ",", "0x", "1e400",
         "!!python/object/apply:os.system ['true']", "~", "---\n", "...\n", "&a [*a]"]


def _bomb(levels: int, width: int, mapping: bool) -> str:
    lines = ['l0: &l0 "' + "x" * 8 + '"']
    for i in range(1, levels):
        if mapping:
            items = ", ".join(f"k{j}: *l{i - 1}" for j in range(width))
            lines.append(f"l{i}: &l{i} {{{items}}}")
        else:
            lines.append(f"l{i}: &l{i} [{', '.join(['*l' + str(i - 1)] * width)}]")
    return "zz-bomb:\n" + "".join(f"  {line}\n" for line in lines)


@dataclass
class Case:
    name: str
    args: list[str]
    target: str          # the file mutated, relative to the case directory
    must_fail: bool


def _examples() -> list[tuple[str, list[str]]]:
    out = []
    for spec in sorted(EXAMPLES.glob("*/perso.yaml")):
        var_files = sorted(p.name for p in spec.parent.glob("*.vars.yaml"))
        out.append((spec.parent.name, var_files[:1]))
    return out


def _mutate_text(rng: random.Random, text: str, is_json: bool) -> tuple[str | bytes, bool, str]:
    """(new content, whether it must be refused, mutation name)."""
    kind = rng.choice(["bomb", "nul", "deep", "bigint", "digits", "utf8", "truncate", "noise", "lines",
                       "big"] if not is_json else
                      ["deep", "bigint", "digits", "nul", "utf8", "truncate", "noise", "big"])
    pos = rng.randrange(len(text) + 1)
    if kind == "bomb":
        return text.rstrip("\n") + "\n" + _bomb(rng.randint(6, 9), rng.randint(8, 12), rng.random() < 0.5), True, kind
    if kind == "nul":
        return text[:pos] + "\x00" + text[pos:], True, kind
    if kind == "deep":
        n = rng.choice([70, 500, 5000, 100_000])
        if is_json:
            return text.rstrip().rstrip("}") + ', "deep": ' + "[" * n + "]" * n + "}", True, kind
        return text.rstrip("\n") + "\nzz-deep: " + "[" * n + "]" * n + "\n", True, kind
    if kind == "bigint":
        digits = "9" * rng.choice([65, 4301, 6000, 50_000])
        if is_json:
            return text.rstrip().rstrip("}") + f', "size": {digits}' + "}", True, kind
        return text.rstrip("\n") + f"\nzz-int: {digits}\n", True, kind
    if kind == "digits":
        runs = [m.span() for m in re.finditer(r"\d+", text)] or [(pos, pos)]
        a, b = rng.choice(runs)
        return text[:a] + "7" * rng.choice([20, 65, 5000]) + text[b:], False, kind
    if kind == "utf8":
        raw = text.encode()
        at = rng.randrange(len(raw) + 1)
        return raw[:at] + b"\xff\xfe" + raw[at:], True, kind
    if kind == "truncate":
        return text[:pos], False, kind
    if kind == "noise":
        chars = list(text)
        for _ in range(rng.randint(1, 6)):
            chars.insert(rng.randrange(len(chars) + 1), rng.choice(NOISE))
        return "".join(chars), False, kind
    if kind == "lines":
        lines = text.splitlines(keepends=True)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(lines))
            op = rng.choice(["dup", "del", "indent", "dedent", "swap"])
            if op == "dup":
                lines.insert(i, lines[i])
            elif op == "del" and len(lines) > 1:
                del lines[i]
            elif op == "indent":
                lines[i] = "  " + lines[i]
            elif op == "dedent":
                lines[i] = lines[i].lstrip(" ")
            else:
                j = rng.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
        return "".join(lines), False, kind
    # big: past the size limit, padded so it stays valid
    pad = ("#" if not is_json else " ") * (1024 * 1024 + 10)
    return (text + "\n" + pad) if not is_json else (text + pad), True, kind


def _build_corpus(root: Path, rng: random.Random, count: int) -> list[Case]:
    cases = []
    examples = _examples()
    fifo_made = False
    for n in range(count):
        example, var_files = rng.choice(examples)
        case_dir = root / f"c{n:03d}"
        shutil.copytree(EXAMPLES / example, case_dir)
        targets = ["perso.yaml", *var_files, *(f"schemas/{p.name}" for p in (case_dir / "schemas").glob("*.json"))] \
            if (case_dir / "schemas").is_dir() else ["perso.yaml", *var_files]
        target = rng.choice(targets)
        path = case_dir / target
        args = ["validate", "-f", str(case_dir / "perso.yaml"),
                *(a for v in var_files for a in ("--var-file", str(case_dir / v)))]
        if rng.random() < 0.1:  # a special file in place of the file
            special = rng.choice(["/dev/zero", "/dev/urandom", "fifo", "dir"])
            path.unlink()
            if special == "fifo":
                os.mkfifo(path)
                fifo_made = True
            elif special == "dir":
                path.mkdir()
            else:
                path.symlink_to(special)
            cases.append(Case(f"{example}:{target}:{special}", args, target, True))
            continue
        content, must_fail, kind = _mutate_text(rng, path.read_text(), target.endswith(".json"))
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        cases.append(Case(f"{example}:{target}:{kind}", args, target, must_fail))
    assert fifo_made or count < 50
    return cases


CHILD = r"""
import json, resource, signal, sys
from click.testing import CliRunner
from perso_iac.cli import cli

class Hang(Exception):
    pass

def alarm(*_):
    raise Hang()

signal.signal(signal.SIGALRM, alarm)
cases = json.load(sys.stdin)
out = []
runner = CliRunner()
for args in cases:
    signal.alarm(60)  # a guard against a hang taking the suite with it, not a time limit under test
    try:
        result = runner.invoke(cli, args)
        code, text = result.exit_code, result.output
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            code, text = -1, f"{type(result.exception).__name__}: {result.exception}"
    except Hang:
        code, text = -2, "hang"
    signal.alarm(0)
    out.append({"code": code, "output": text[:20000],
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
json.dump(out, sys.stdout)
"""


def test_fuzzed_input_files_are_refused_located_and_bounded(tmp_path):
    cases = _build_corpus(tmp_path, random.Random(SEED), COUNT)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "COLUMNS": "400"}
    proc = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps([c.args for c in cases]),
                          capture_output=True, text=True, env=env, timeout=1200, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout)
    bad = []
    for case, res in zip(cases, results, strict=True):
        text = res["output"]
        if res["code"] not in (0, 1) or "Internal error" in text or "Traceback" in text:
            bad.append((case.name, res["code"], text[-500:]))
        elif case.must_fail and res["code"] != 1:
            bad.append((case.name, "not refused", text[-300:]))
        elif case.must_fail and Path(case.target).name not in text:
            bad.append((case.name, "does not name the file", text[-300:]))
        elif res["code"] == 1 and not LOCATED.search(text) and not WHOLE_FILE.search(text):
            bad.append((case.name, "no file:line", text[-300:]))
    assert not bad, json.dumps(bad[:30], indent=1)
    refused = sum(r["code"] == 1 for r in results)
    assert refused >= sum(c.must_fail for c in cases)
    peak = max(r["rss_mb"] for r in results)
    assert peak < MAX_RSS_MB, f"peak RSS {peak:.0f} MB"
    print(f"fuzz corpus: {len(cases)} cases, {refused} refused, {len(cases) - refused} accepted, "
          f"peak RSS {peak:.0f} MB")
