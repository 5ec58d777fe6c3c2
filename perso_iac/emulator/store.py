"""Persistence of the emulated account: a JSON document plus a journal of what changed since.

With a ``data_dir`` the account lives in ``<data_dir>/personalize-<region>-<account>.json`` (the
whole document, replaced atomically with ``os.replace`` of a fully written temporary file) and
``personalize-<region>-<account>.journal``: one JSON line per request that changed something, with
the new images of the records, tag sets and keys it touched (or their removal). A request so costs
what it changed, not the account. When the journal outgrows the document, the document is rewritten
with everything and the journal emptied (amortised, still proportional to what changed). Each
document carries a generation and each journal line the generation it follows: a reader replays only
the lines of the document's generation, so a process killed between writing a document and emptying
the journal (a compaction or a reset) leaves nothing stale to replay. A line is one ``write`` of the whole line; a process killed in the middle of one
leaves a torn last line, which the next reader ignores and the next writer cuts off (that request
was never answered). Writers take an exclusive ``fcntl`` lock on a sibling ``.lock`` file for the
whole request and reload when another process changed either file.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:  # POSIX only; on other systems cross-process locking is skipped
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

FORMAT_VERSION = 1
GEN_KEY = "journal_gen"  # in the document only, never in the loaded state
#: the journal is folded into the document once it is larger than this and than the document
MIN_COMPACT_BYTES = 256 * 1024


def empty_state() -> dict[str, Any]:
    return {"format": FORMAT_VERSION, "seq": 0, "resources": {}, "tags": {}}


@dataclass
class Changes:
    """What a request changed: record ARNs, tag-set ARNs and other top-level keys of the state."""

    records: set[str] = field(default_factory=set)
    tags: set[str] = field(default_factory=set)
    top: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, account: Any) -> Changes:
        return cls(set(account.touched), set(account.touched_tags), set(account.touched_top))


class MemoryStore:
    """No persistence: the account lives as long as the process."""

    def __init__(self) -> None:
        self._state = empty_state()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        yield

    def load(self) -> dict[str, Any]:
        return self._state

    def save(self, state: dict[str, Any], changes: Changes | None) -> None:
        self._state = state


def _stamp(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class FileStore:
    """JSON document + journal, shared safely between threads and processes."""

    def __init__(self, data_dir: Path, region: str, account_id: str) -> None:
        self.dir = Path(data_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / f"personalize-{region}-{account_id}.json"
        self.journal_path = self.dir / f"personalize-{region}-{account_id}.journal"
        self.lock_path = self.dir / f".personalize-{region}-{account_id}.lock"
        self._state: dict[str, Any] | None = None
        self._stamp: tuple | None = None
        self._doc_size = 0
        self._gen = 0  # the document's generation
        self._journal_size = 0  # bytes of whole lines in the journal (a torn tail is beyond)

    def _stamps(self) -> tuple:
        return (_stamp(self.path), _stamp(self.journal_path))

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        if fcntl is None:  # pragma: no cover
            yield
            return
        with open(self.lock_path, "a+") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def load(self) -> dict[str, Any]:
        stamps = self._stamps()
        if self._state is not None and stamps == self._stamp:
            return self._state
        if stamps[0] is None:
            state, self._doc_size, self._gen = empty_state(), 0, 0
        else:
            text = self.path.read_bytes()
            try:
                state = json.loads(text)
            except ValueError as exc:
                raise RuntimeError(f"emulator data file {self.path} is not valid JSON: {exc}") from None
            if not isinstance(state, dict) or state.get("format") != FORMAT_VERSION:
                raise RuntimeError(f"emulator data file {self.path} has an unknown format")
            self._doc_size, self._gen = len(text), state.pop(GEN_KEY, 0)
        self._journal_size = self._replay(state) if stamps[0] is not None else 0
        self._state, self._stamp = state, stamps
        return state

    def _replay(self, state: dict[str, Any]) -> int:
        """Apply the journal's whole lines to ``state``; the byte length they span."""
        try:
            data = self.journal_path.read_bytes()
        except FileNotFoundError:
            return 0
        end = data.rfind(b"\n") + 1  # a torn last line (no newline yet) was never acknowledged
        for number, line in enumerate(data[:end].splitlines(), 1):
            try:
                entry = json.loads(line)
                if entry["gen"] == self._gen:
                    _apply(state, entry)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise RuntimeError(f"emulator journal {self.journal_path} line {number} is not valid: {exc}") from None
        return end

    def save(self, state: dict[str, Any], changes: Changes | None) -> None:
        """Persist ``changes`` of ``state`` (``None``: everything, e.g. after a reset)."""
        self._state = state
        if changes is None or self._stamp is None or self._stamp[0] is None:
            self._rewrite(state)
            return
        res, tags = state["resources"], state["tags"]
        entry = {
            "gen": self._gen,
            "seq": state["seq"],
            "put": {arn: res[arn] for arn in changes.records if arn in res},
            "del": sorted(arn for arn in changes.records if arn not in res),
            "tags": {arn: tags.get(arn) for arn in changes.tags},
            "top": {key: state.get(key) for key in changes.top},
        }
        line = (json.dumps(entry, separators=(",", ":")) + "\n").encode()
        with open(self.journal_path, "ab") as fh:
            if fh.tell() != self._journal_size:  # cut off a torn line left by a killed writer
                fh.truncate(self._journal_size)
            fh.write(line)
        self._journal_size += len(line)
        if self._journal_size > max(MIN_COMPACT_BYTES, self._doc_size):
            self._rewrite(state)
        else:
            self._stamp = self._stamps()

    def _rewrite(self, state: dict[str, Any]) -> None:
        """Write the whole document as a new generation, then empty the journal."""
        gen = self._gen + 1
        text = json.dumps({**state, GEN_KEY: gen}, sort_keys=True, separators=(",", ":")).encode()
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.dir)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(text)  # no fsync: a killed process loses nothing; power loss is not a goal
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(FileNotFoundError):
            os.truncate(self.journal_path, 0)
        self._doc_size, self._journal_size, self._gen = len(text), 0, gen
        self._stamp = self._stamps()


def _apply(state: dict[str, Any], entry: dict[str, Any]) -> None:
    res, tags = state["resources"], state["tags"]
    res.update(entry["put"])
    for arn in entry["del"]:
        res.pop(arn, None)
    for arn, value in entry["tags"].items():
        if value is None:
            tags.pop(arn, None)
        else:
            tags[arn] = value
    for key, value in entry["top"].items():
        if value is None:
            state.pop(key, None)
        else:
            state[key] = value
    state["seq"] = entry["seq"]
