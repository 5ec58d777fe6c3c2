"""Input files are read with bounds: size, depth, alias expansion, integers, special files, NUL bytes."""

from __future__ import annotations

import os
import re
import resource
import shutil
from pathlib import Path

import pytest

from perso_iac.errors import SpecError, SpecValidationError
from perso_iac.spec import avro
from perso_iac.spec.loader import load_spec
from perso_iac.spec.variables import CoercionError, coerce
from perso_iac.spec.yamlload import LOADERS, parse_with
from perso_iac.spec.yamlsrc import MAX_DEPTH, parse_yaml

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "movielens"

BOMB = "\n".join(["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"] +
                 [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]) + "\n"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "m")
    return tmp_path / "m"


@pytest.fixture(params=[None, *LOADERS], ids=lambda c: c.__name__ if c else "parse_yaml")
def parse(request: pytest.FixtureRequest):
    """`parse_yaml`, and each loader it may use on its own: libyaml's parser (when PyYAML has it)
    must be bounded as the pure-Python one is, not merely rescued by the fallback."""
    if request.param is None:
        return parse_yaml
    return lambda text, file: parse_with(request.param, text, file)


def _problems(exc: pytest.ExceptionInfo) -> str:
    return "\n".join(str(p) for p in getattr(exc.value, "problems", [])) or exc.value.message


def test_alias_bomb_is_refused_at_its_line_without_expanding_it(parse):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(SpecError, match=r"^x\.yaml:\d+:\d+: this value holds more than 100,000 values") as exc:
        parse("ok: 1\n" + BOMB, "x.yaml")  # 10**9 strings once expanded
    line = int(exc.value.message.split(":")[1])
    assert line in range(2, 11)
    assert "alias" in exc.value.hint
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 50


def test_merge_key_bomb_is_refused(parse):
    text = "a0: &a0 {k: v}\n" + "".join(
        f"a{i}: &a{i} {{{', '.join(f'k{j}: *a{i - 1}' for j in range(10))}}}\n" for i in range(1, 8)) + \
        "x:\n  <<: *a7\n"
    with pytest.raises(SpecError, match="once its aliases are expanded"):
        parse(text, "x.yaml")


def test_moderate_aliases_still_work(parse):
    doc = parse("base: &b {a: 1, b: [1, 2]}\nx: *b\ny: {<<: *b, a: 2}\n", "x.yaml")
    assert doc.data["x"] == {"a": 1, "b": [1, 2]} and doc.data["y"]["a"] == 2


@pytest.mark.parametrize("text", ["x: " + "[" * 100_000 + "]" * 100_000 + "\n",
                                  "x:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200)),
                                  "x: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n"])
def test_deep_nesting_is_refused_without_recursion_error(text):
    with pytest.raises(SpecError, match=rf"^x\.yaml:\d+:\d+: nested more than {MAX_DEPTH} levels deep"):
        parse_yaml(text, "x.yaml")


def test_block_nesting_is_refused_by_every_loader(parse):
    with pytest.raises(SpecError, match=rf"^x\.yaml:\d+:\d+: nested more than {MAX_DEPTH} levels deep"):
        parse("x:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200)), "x.yaml")


def test_nesting_through_aliases_is_measured(parse):
    levels = ["a0: &a0 " + "[" * 40 + "]" * 40]
    levels += [f"a{i}: &a{i} " + "[" * 40 + f"*a{i - 1}" + "]" * 40 for i in range(1, 4)]
    with pytest.raises(SpecError, match="levels deep once its aliases are expanded"):
        parse("\n".join(levels) + "\n", "x.yaml")


def test_nul_byte_in_yaml_text_is_located():
    with pytest.raises(SpecError, match=r"^x\.yaml:2:6: invalid YAML: a NUL character"):
        parse_yaml("a: 1\nb: ab\x00c\n", "x.yaml")


@pytest.mark.parametrize("digits", [65, 4301, 100_000])
def test_huge_integer_is_located(digits):
    with pytest.raises(SpecError, match=rf"^x\.yaml:2:4: an integer of {digits:,} characters is too large"):
        parse_yaml("a: 1\nb: " + "9" * digits + "\n", "x.yaml")
    with pytest.raises(SpecError, match=r"^x\.yaml:1:3: an integer"):  # as a key too
        parse_yaml("? " + "9" * digits + "\n: 1\n", "x.yaml")


def test_huge_integer_from_the_command_line_is_a_coercion_error():
    with pytest.raises(CoercionError, match="too large"):
        coerce("9" * 5000, "integer")
    with pytest.raises(CoercionError, match="too large"):
        coerce("9" * 5000, "number")
    assert coerce("123", "integer") == 123


def test_nul_byte_in_spec_file_is_located(example):
    spec = example / "perso.yaml"
    spec.write_text(spec.read_text().replace("stack: movielens", "stack: movie\x00lens"))
    with pytest.raises(SpecError, match=r"perso\.yaml:9:13: spec file contains a NUL character"):
        load_spec(spec, environ={})


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/urandom", "fifo", "dir"])
def test_special_files_are_refused_before_reading(example, special):
    target = example / "schemas" / "items.json"
    target.unlink()
    if special == "fifo":
        os.mkfifo(target)
    elif special == "dir":
        target.mkdir()
    else:
        target.symlink_to(special)
    kind = {"fifo": r"a FIFO \(named pipe\)", "dir": "a directory"}.get(special, "a character device")
    with pytest.raises(SpecValidationError) as exc:
        load_spec(example / "perso.yaml", environ={})
    assert re.search(f"schema file schemas/items.json is {kind}, not a regular file", _problems(exc))
    with pytest.raises(SpecError, match=f"spec file .* is {kind}, not a regular file"):
        load_spec(target, environ={})
    with pytest.raises(SpecError, match=f"variables file .* is {kind}, not a regular file"):
        load_spec(example / "perso.yaml", var_files=[target], environ={})


def test_oversized_files_are_refused_unread(example):
    spec = example / "perso.yaml"
    with spec.open("a") as handle:
        handle.write("#" * (2 * 1024 * 1024))
    with pytest.raises(SpecError, match=r"spec file .* is too large \(2,09\d,\d{3} bytes; the limit is 1,048,576\)"):
        load_spec(spec, environ={})


@pytest.mark.parametrize("text,message", [
    ("[" * 100_000 + "]" * 100_000, f"nested more than {MAX_DEPTH} levels deep"),
    ('{"a": ' * 500 + "1" + "}" * 500, f"nested more than {MAX_DEPTH} levels deep"),
    ('{"type": "record", "size": ' + "9" * 5000 + "}", "an integer of 5,000 characters is too large"),
    ('{"a": 1, "a": 2}', "duplicate key 'a'"),
])
def test_schema_json_is_bounded(text, message):
    obj, issue = avro.parse_schema_json(text)
    assert obj is None and issue.startswith(message)


def test_deep_schema_file_is_a_located_problem(example):
    (example / "schemas" / "items.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(SpecValidationError) as exc:
        load_spec(example / "perso.yaml", environ={})
    [problem] = exc.value.problems
    assert problem.file.endswith("perso.yaml") and problem.line > 1
    assert "schemas/items.json: nested more than" in problem.message
