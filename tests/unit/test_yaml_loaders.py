"""`parse_yaml` reads through libyaml's C parser when it can, yet gives exactly what PyYAML's
pure-Python loader gives: the same data, positions, duplicate-key problems, and the same error,
located the same, for files it refuses.

The reference is `parse_with(_Loader, ...)` of yamlload.py (the loader perso used alone before). The corpus is
every YAML file and documented YAML snippet of the repository, snippets where the two libraries
are known to differ, and seeded single-point mutations of all of them.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from perso_iac.errors import SpecError
from perso_iac.spec import yamlload
from perso_iac.spec.yamlload import LOADERS, parse_with
from perso_iac.spec.yamlsrc import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
C_LOADER = next((c for c in LOADERS if c is not yamlload._Loader), None)
needs_libyaml = pytest.mark.skipif(C_LOADER is None, reason="PyYAML built without libyaml")

# Files both libraries accept but read differently, and files only libyaml accepts: each must
# reach PyYAML (through `_C_DIFFERS`, or the C loader refusing it) and read as PyYAML reads it.
DIFFERING = [
    "a: {b: , c: 1}\n",                       # an empty value: libyaml puts it one column further
    "{a: }\n",
    "a: {path: x? y}\n",                      # `?` in a flow collection: PyYAML starts a key there
    "a: |# comment\n  text\n",                # a comment glued to a block scalar header
    "a: 1\t# tab before a comment\n",
    "a:\t1\n",
]
# Sent to PyYAML as well, by a guard broader than the differences found (empty values anywhere,
# the rarer line breaks, BOMs): slower, never different.
GUARDED = ["a:\nb: 1\n", "- \n- x\n", "a: 1\r\nb: 2\r\n", "\ufeffa: 1\n", "a: x\ufeffy\n", "a: 1\u2028b: 2\n",
           "a: 1\x85b: 2\n", "a: 1\u2029b: 2\n"]
NOISE = ["{", "}", "[", "]", ":", ": ", "&a ", "*a", "!", "!!binary ", "|", ">", "'", '"', "#", "\t", "- ", "? ",
         "%", "@", "`", "\n", "<<: *a\n", "${", "\u2028", "\ufeff", "\\", ",", "0x", "1e400", "~", "---\n", "...\n",
         "&a [*a]", "\r\n", "\r", " ", "  ", "-", "\x85", "!!str ", "!!int ", "!!bool ", "!!timestamp ", '"\\x41"',
         "'it''s'", "|-\n", ">+\n", "? a\n: b\n", "2001-12-14t21:59:43.10-05:00", "0o17", "1_000", ".inf", "yes",
         "\n  ", "\n- ", "%YAML 1.1\n", "!x ", '"\\u00e9\\N\\_\\L\\P\\/"', "é", "😀", "[a, b]: c\n", "&", "*", "!!"]


def _corpus() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(ROOT.glob("examples/**/*.yaml"))]
    for doc in sorted(ROOT.glob("docs/*.md")) + [ROOT / "README.md"]:
        texts += re.findall(r"```ya?ml\n(.*?)```", doc.read_text(encoding="utf-8"), re.DOTALL)
    return texts


def _outcome(parse: Any, text: str) -> tuple:
    try:
        doc = parse(text)
    except SpecError as exc:
        return ("error", exc.message, exc.hint)
    return ("ok", repr(doc.data), doc.values, doc.keys, [str(p) for p in doc.problems])


def _reference(text: str) -> tuple:
    def parse(t: str) -> Any:
        yamlload._check_flow_depth(t, "f.yaml")
        return parse_with(yamlload._Loader, t, "f.yaml")
    return _outcome(parse, text)


def _check(text: str) -> str:
    got = _outcome(lambda t: parse_yaml(t, "f.yaml"), text)
    assert got == _reference(text), text
    return got[0]


def test_the_repositorys_yaml_reads_the_same_and_through_libyaml():
    corpus = _corpus()
    assert len(corpus) > 20
    for text in corpus:
        _check(text)  # some documented snippets are fragments, not valid YAML: refused alike then
    examples = [p.read_text(encoding="utf-8") for p in sorted(ROOT.glob("examples/*/perso.yaml"))]
    assert examples and all(_check(text) == "ok" for text in examples)
    if C_LOADER is not None:  # the fast path is the one taken for real specs
        assert not any(yamlload._C_DIFFERS.search(t) for t in examples)
        for text in examples:
            assert _outcome(lambda t: parse_with(C_LOADER, t, "f.yaml"), text) == _reference(text)


@pytest.mark.parametrize("text", DIFFERING + GUARDED)
def test_where_libyaml_differs_pyyaml_decides(text):
    _check(text)


@needs_libyaml
@pytest.mark.parametrize("text", DIFFERING)
def test_the_differences_are_real(text):
    """Each snippet is read differently by PyYAML's own loaders (so the guard is not dead code),
    and the C loader alone either refuses it or is never given it."""
    def read(loader: Any) -> Any:
        try:
            data = yaml.load(text, Loader=loader)
            return data, [(n.start_mark.line, n.start_mark.column) for n in _nodes(yaml.compose(text, Loader=loader))]
        except yaml.YAMLError as exc:
            return type(exc).__name__
    assert read(yaml.CSafeLoader) != read(yaml.SafeLoader)
    if not yamlload._C_DIFFERS.search(text):
        with pytest.raises(yamlload._NotTheSame):
            parse_with(C_LOADER, text, "f.yaml")


def _nodes(node: Any) -> list:
    out = [node]
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            out += _nodes(child)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out += _nodes(key) + _nodes(value)
    return out


def test_mutations_read_the_same():
    """Seeded mutations of the corpus: valid and invalid YAML, tags, anchors, odd line breaks."""
    rng = random.Random(11)
    outcomes = {"ok": 0, "error": 0}
    for base in _corpus() + DIFFERING + GUARDED:
        for _ in range(30):
            text = base
            for _ in range(rng.randint(1, 3)):
                i = rng.randrange(len(text) + 1)
                if rng.random() < 0.2:
                    text = text[:i] + text[i + rng.randint(1, 5):]
                else:
                    text = text[:i] + rng.choice(NOISE) + text[i:]
            outcomes[_check(text)] += 1
    assert min(outcomes.values()) > 300, outcomes
