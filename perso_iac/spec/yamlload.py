"""The YAML loaders behind `yamlsrc.parse_yaml` (see there for what it returns and refuses).

libyaml's C parser reads the file when PyYAML has it (a spec parses ~10x faster), feeding PyYAML's
Python composer so that the same bounds apply; a file it would read differently from PyYAML
(`_C_DIFFERS`, empty values), and any file it refuses, is parsed by PyYAML's pure-Python loader,
whose messages and positions are the ones reported.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from ..errors import Problem, SpecError
from .yamlsrc import MAX_DEPTH, MAX_INT_DIGITS, MAX_NODES, Document, Path, Pos, dotted

_INT_TAG = "tag:yaml.org,2002:int"


class _Limit(Exception):
    def __init__(self, mark: yaml.Mark, message: str, hint: str) -> None:
        super().__init__(message)
        self.mark, self.message, self.hint = mark, message, hint


class _Measured:
    """`compose_node` that measures every node as it is composed: its size and height with aliases
    expanded (an alias costs what its anchor costs), so expansion is never needed to refuse it.
    Mixed into both loaders below, before their Composer; the node graph is walked by `_build`."""

    def _start_measuring(self) -> None:
        self._depth = 0
        self._composed = 0
        self._size: dict[int, int] = {}
        self._height: dict[int, int] = {}

    _empty_differs = False  # see _CLoader

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()  # type: ignore[attr-defined]
        if self._empty_differs and type(event) is yaml.ScalarEvent and not event.value and \
                (event.start_mark.line, event.start_mark.column) == (event.end_mark.line, event.end_mark.column):
            raise _NotTheSame("an empty value: libyaml places it a column away from PyYAML")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Limit(event.start_mark, f"nested more than {MAX_DEPTH} levels deep",
                         "a spec never needs this much nesting; check the brackets and indentation")
        try:
            node = super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1
        if type(event) is yaml.AliasEvent:
            return node  # measured where its anchor was composed (or still being composed)
        self._composed += 1
        if type(node) is yaml.ScalarNode:  # size and height 1, the defaults of the tables below
            if self._composed > MAX_NODES:
                raise _Limit(event.start_mark, f"the document holds more than {MAX_NODES:,} values",
                             "remove the aliases (*name) that repeat large values")
            return node
        if isinstance(node, yaml.SequenceNode):
            children: list[yaml.Node] = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = []
        size = 1 + sum(self._size.get(id(c), 1) for c in children)
        height = 1 + max((self._height.get(id(c), 1) for c in children), default=0)
        if size > MAX_NODES or self._composed > MAX_NODES:
            raise _Limit(event.start_mark,
                         f"this value holds more than {MAX_NODES:,} values once its aliases are expanded"
                         if size > self._composed else f"the document holds more than {MAX_NODES:,} values",
                         "remove the aliases (*name) that repeat large values")
        if height > MAX_DEPTH:
            raise _Limit(event.start_mark, f"nested more than {MAX_DEPTH} levels deep once its aliases "
                         "are expanded", "remove the aliases (*name) that nest values in themselves")
        self._size[id(node)] = size
        self._height[id(node)] = height
        return node


class _Loader(_Measured, yaml.SafeLoader):
    """The reference loader: PyYAML's pure-Python reader, scanner and parser. Its error messages
    are the ones perso reports, whichever loader read the file first."""

    def __init__(self, stream: str) -> None:
        yaml.SafeLoader.__init__(self, stream)
        self._start_measuring()


if yaml.__with_libyaml__:
    class _CLoader(_Measured, yaml.composer.Composer, yaml.cyaml.CParser,  # type: ignore[misc]
                   yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """libyaml's C scanner and parser (~10x faster) feeding PyYAML's Python composer, so that
        `_Measured.compose_node` bounds aliases and depth exactly as in `_Loader`. (PyYAML's own
        CSafeLoader composes in C, where no such bound can be placed.)"""

        def __init__(self, stream: str) -> None:
            yaml.cyaml.CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._start_measuring()

        # An empty value (`a: {b: , c: 1}`): libyaml may place it a column away from PyYAML.
        _empty_differs = True

    LOADERS: tuple[type, ...] = (_CLoader, _Loader)
else:  # PyYAML built without libyaml
    LOADERS = (_Loader,)


class _NotTheSame(Exception):
    """libyaml would read this file differently from PyYAML (see `_C_DIFFERS`): use PyYAML."""


# Where libyaml and PyYAML disagree on files both accept (found by tests/unit/test_yaml_loaders.py):
# tabs and the rarer line breaks and BOMs; `?` in a flow collection (PyYAML starts a key there);
# a comment right after a block scalar's `|`/`>` header. Such a file goes to PyYAML directly.
_C_DIFFERS = re.compile(r"[\t\r\x85\u2028\u2029\ufeff?]|[|>][-+0-9]*#")


def _pos(node: yaml.Node) -> Pos:
    return Pos(node.start_mark.line + 1, node.start_mark.column + 1)


def _where(file: str, mark: yaml.Mark | None) -> str:
    return f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file


_FLOW = re.compile(r"""[\[\]{}]|'(?:[^'\n]|'')*'|"(?:[^"\\\n]|\\.)*"|(?:^|(?<=\s))#[^\n]*""", re.MULTILINE)


def _check_flow_depth(text: str, file: str) -> None:
    """Refuse deep `[[[[...` / `{a: {a: ...` before PyYAML's scanner, which tokenises a whole flow
    collection before the composer sees it (seconds for a megabyte). Quoted text and comments are
    skipped; brackets inside plain text may count, which only matters past MAX_DEPTH of them."""
    depth = 0
    for m in _FLOW.finditer(text):
        token = m.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, m.start()) + 1
                col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
                raise SpecError(f"{file}:{line}:{col}: nested more than {MAX_DEPTH} levels deep",
                                hint="a spec never needs this much nesting; check the brackets and indentation")
        elif token in "]}":
            depth = max(0, depth - 1)


def parse_yaml(text: str, file: str) -> Document:
    _check_flow_depth(text, file)
    fast, *_ = LOADERS
    if fast is not _Loader and not _C_DIFFERS.search(text):
        try:
            return parse_with(fast, text, file)
        except Exception:  # noqa: BLE001 - whatever it was, the reference loader reports it (or not)
            pass  # so every message and position is the pure-Python loader's, as documented
    return parse_with(_Loader, text, file)


def parse_with(loader_class: type, text: str, file: str) -> Document:
    """`parse_yaml` with one loader of `LOADERS` (tests run each one)."""
    try:
        loader = loader_class(text)
    except yaml.reader.ReaderError as exc:
        raise _reader_error(text, file, exc) from None
    try:
        try:
            node = loader.get_single_node()
        except _Limit as exc:
            raise SpecError(f"{_where(file, exc.mark)}: {exc.message}", hint=exc.hint) from None
        except yaml.reader.ReaderError as exc:
            raise _reader_error(text, file, exc) from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file
            what = exc.problem or exc.context or "invalid YAML"
            raise SpecError(f"{where}: invalid YAML: {what}",
                            hint="check the indentation and quoting around this position") from None
        except yaml.YAMLError as exc:
            raise SpecError(f"{file}: invalid YAML: {exc}") from None
        doc = Document(file=file, data=None)
        if node is None:
            return doc
        doc.values[()] = _pos(node)
        try:
            doc.data = _build(loader, node, (), doc, set())
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file
            raise SpecError(f"{where}: invalid YAML: {exc.problem or exc.context}") from None
        return doc
    finally:
        loader.dispose()


def _reader_error(text: str, file: str, exc: yaml.reader.ReaderError) -> SpecError:
    """A NUL or another character YAML does not allow, located."""
    index = max(0, min(exc.position, len(text)))
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    char = exc.character if isinstance(exc.character, int) else ord(exc.character or "\0")
    what = "a NUL character" if char == 0 else f"the control character U+{char:04X}"
    return SpecError(f"{file}:{line}:{col}: invalid YAML: {what} is not allowed",
                     hint="remove it; this may be a binary file")


def _flatten(loader: Any, node: yaml.MappingNode) -> int:
    """Resolve `<<` merge keys in place; return how many leading pairs came from merges."""
    cache: dict[int, int] = loader.__dict__.setdefault("_merged", {})
    if id(node) not in cache:
        before = len(node.value)
        has_merge = any(k.tag == "tag:yaml.org,2002:merge" for k, _ in node.value)
        loader.flatten_mapping(node)
        own = before - (1 if has_merge else 0)
        cache[id(node)] = len(node.value) - own if has_merge else 0
    return cache[id(node)]


def _build(loader: Any, node: yaml.Node, path: Path, doc: Document, active: set[int]) -> Any:
    if isinstance(node, yaml.MappingNode):
        if id(node) in active:
            raise SpecError(f"{doc.file}:{_pos(node).line}:{_pos(node).col}: recursive YAML alias")
        active = active | {id(node)}
        merged = _flatten(loader, node)
        out: dict[Any, Any] = {}
        own: set[Any] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            key = _construct(loader, key_node, doc)
            if isinstance(key, list | dict):
                pos = _pos(key_node)
                doc.problems.append(Problem(doc.file, pos.line, pos.col, dotted(path),
                                            "a mapping key must be a plain value", None))
                continue
            if not isinstance(key, str):
                key = str(key).lower() if isinstance(key, bool) else str(key)
            child = (*path, key)
            from_merge = index < merged
            if not from_merge:
                if key in own:
                    pos = _pos(key_node)
                    first = doc.keys[child]
                    doc.problems.append(Problem(
                        doc.file, pos.line, pos.col, dotted(child), f"duplicate key '{key}'",
                        f"'{key}' is already set at line {first.line}; keep one of them"))
                    continue
                own.add(key)
            # later entries win: own keys override merged ones (YAML merge semantics)
            doc.keys[child] = _pos(key_node)
            doc.values[child] = _pos(value_node)
            out[key] = _build(loader, value_node, child, doc, active)
        return out
    if isinstance(node, yaml.SequenceNode):
        if id(node) in active:
            raise SpecError(f"{doc.file}:{_pos(node).line}:{_pos(node).col}: recursive YAML alias")
        active = active | {id(node)}
        items = []
        for i, item in enumerate(node.value):
            child = (*path, i)
            doc.values[child] = _pos(item)
            items.append(_build(loader, item, child, doc, active))
        return items
    value = _construct(loader, node, doc)
    if not isinstance(value, str | int | float | bool | type(None)):
        # timestamps, binary: keep the text as written; the schema decides whether it fits
        value = node.value if isinstance(node, yaml.ScalarNode) else str(value)
    return value


def _construct(loader: Any, node: yaml.Node, doc: Document) -> Any:
    """`construct_object`, refusing integers too long to be meant (and to be printed)."""
    if isinstance(node, yaml.ScalarNode) and node.tag == _INT_TAG and len(node.value) > MAX_INT_DIGITS:
        pos = _pos(node)
        raise SpecError(f"{doc.file}:{pos.line}:{pos.col}: an integer of {len(node.value):,} characters "
                        f"is too large (at most {MAX_INT_DIGITS})",
                        hint="quote it if it is meant as text")
    try:
        return loader.construct_object(node, deep=True)
    except ValueError as exc:  # e.g. an integer text Python refuses to convert
        pos = _pos(node)
        raise SpecError(f"{doc.file}:{pos.line}:{pos.col}: invalid value: {exc}") from None
    except (KeyError, AttributeError, TypeError, IndexError):  # an explicit tag on a bad value: `!!bool x`
        pos = _pos(node)
        kind = str(node.tag).rsplit(":", 1)[-1]
        raise SpecError(f"{doc.file}:{pos.line}:{pos.col}: invalid value: {_text(node)} is not a valid {kind}",
                        hint=f"remove the !!{kind} tag, or fix the value") from None


def _text(node: yaml.Node) -> str:
    return repr(node.value) if isinstance(node, yaml.ScalarNode) else "this collection"
