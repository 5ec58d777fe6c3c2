"""Persistence of the emulated account: one JSON document, written atomically.

With a ``data_dir`` the document lives in ``<data_dir>/personalize-<region>-<account>.json``.
Writers take an exclusive ``fcntl`` lock on a sibling ``.lock`` file for the whole request,
reload the document when another process changed it, and replace it with ``os.replace`` of a
fully written temporary file, so readers never see a partial document.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

try:  # POSIX only; on other systems cross-process locking is skipped
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

FORMAT_VERSION = 1


def empty_state() -> dict[str, Any]:
    return {"format": FORMAT_VERSION, "seq": 0, "resources": {}, "tags": {}}


class MemoryStore:
    """No persistence: the account lives as long as the process."""

    def __init__(self) -> None:
        self._state = empty_state()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        yield

    def load(self) -> dict[str, Any]:
        return self._state

    def save(self, state: dict[str, Any]) -> None:
        self._state = state


class FileStore:
    """JSON file store shared safely between threads and processes."""

    def __init__(self, data_dir: Path, region: str, account_id: str) -> None:
        self.dir = Path(data_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / f"personalize-{region}-{account_id}.json"
        self.lock_path = self.dir / f".personalize-{region}-{account_id}.lock"
        self._state: dict[str, Any] | None = None
        self._stamp: tuple | None = None
        self._text: str | None = None

    def _file_stamp(self) -> tuple | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

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
        stamp = self._file_stamp()
        if self._state is not None and stamp == self._stamp:
            return self._state
        if stamp is None:
            self._state, self._text = empty_state(), None
        else:
            text = self.path.read_text(encoding="utf-8")
            try:
                state = json.loads(text)
            except ValueError as exc:
                raise RuntimeError(f"emulator data file {self.path} is not valid JSON: {exc}") from None
            if not isinstance(state, dict) or state.get("format") != FORMAT_VERSION:
                raise RuntimeError(f"emulator data file {self.path} has an unknown format")
            self._state, self._text = state, text
        self._stamp = stamp
        return self._state

    def save(self, state: dict[str, Any]) -> None:
        text = json.dumps(state, sort_keys=True, separators=(",", ":"))
        self._state = state
        if text == self._text:
            return
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)  # no fsync: os.replace is atomic for readers; durability is not a goal
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self._text = text
        self._stamp = self._file_stamp()
