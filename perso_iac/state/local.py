"""State in a local JSON file plus a journal of the writes since: a write costs what it changed.

- The document `<path>` is written whole, atomically: to a temporary file in the same directory,
  fsynced, renamed over the state (`os.replace`), the directory fsynced. A crash leaves the old
  document or the new one, never half of one. The first write after a read (the first of a
  command) writes the document; the version it replaces is kept as `<path>.backup` (a hard link:
  nothing is copied), so a backup is the state before the command.
- Later writes append one line to `<path>.journal` with only what changed (state/journal.py),
  fsynced before `write` returns. The document is rewritten, and the journal emptied, when the
  journal would outgrow the document and when a command that wrote finishes (`flush`), so after a
  normal run the document alone is the whole state. Readers replay the journal's lines that
  follow the document's bytes; a torn last line (a killed writer) is ignored and cut off by the
  next writer, lines that follow an older document (killed between the two steps of a fold) too.
- A write is conditional on the version read: the document's lineage, serial, inode, mtime and
  size and the journal's inode, mtime and size must still be what this backend last read or
  wrote. The check reads only stats and the document's first bytes (not the whole state), and it
  and the write happen under an exclusive `flock` of the state's directory, so two processes
  can't both pass it. Reads take that flock too, so they never see half of a fold.
- The lock is `<path>.lock`, created with O_CREAT|O_EXCL and holding the LockInfo as JSON.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG

from ..errors import StaleStateError, StateConflictError, StateCorruptError, StateError, StateLockedError
from . import journal
from .backend import LockInfo, StateBackend, StateVersion, lock_error
from .encode import HEADER_BYTES, Encoder, Parts, header, render
from .model import StateFile

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the lock file still keeps perso runs apart
    fcntl = None  # type: ignore[assignment]

MAX_STATE_BYTES = 256 * 1024 * 1024  # refuse before reading; a state of 1,000 resources is about 2 MB


def _nonblocking(path: str, flags: int) -> int:
    """Open without waiting for a writer when the path is a FIFO (refused right after)."""
    fd = os.open(path, flags | os.O_NONBLOCK)
    os.set_blocking(fd, True)
    return fd


# What identifies one stored version: the document's (lineage, serial, inode, mtime_ns, size),
# then the journal's (inode, mtime_ns, size), zeros when there is none.
Version = tuple[str, int, int, int, int, int, int, int]
NO_JOURNAL = (0, 0, 0)


@dataclass
class _Loaded:
    state: StateFile
    version: Version
    doc_hash: str       # what the journal's lines that follow this document name
    doc_size: int
    journal_end: int    # bytes of whole lines in the journal (a torn tail lies beyond)
    replayed: int       # journal lines that follow the document


class LocalBackend(StateBackend):
    def __init__(self, path: str | os.PathLike, *, stack: str = "default") -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.backup_path = self.path.with_name(self.path.name + ".backup")
        self.journal_path = self.path.with_name(self.path.name + journal.SUFFIX)
        self.stack = stack
        self._read_version: Version | None = None  # the stored version we last read or wrote
        self._encoder = Encoder()
        self._backed_up = False  # the version this backend first replaced is kept as the backup
        self._serial = 0          # the stored serial (journal included) we last read or wrote
        self._last: Parts | None = None  # what we last wrote: the next write appends what differs
        self._doc_hash = ""
        self._doc_size = 0
        self._journal_end = 0
        self._replayed = 0        # journal lines the last read replayed (left by a killed run)
        self.bytes_written = 0    # documents and journal lines this backend wrote (benchmarks)

    def describe(self) -> str:
        return f"local:{self.path}"

    # -- state ------------------------------------------------------------------------------------
    def _read_bytes(self, path: Path, what: str) -> tuple[bytes, os.stat_result] | None:
        try:
            with open(path, "rb", opener=_nonblocking) as handle:
                stat = os.fstat(handle.fileno())
                if not S_ISREG(stat.st_mode):
                    raise StateError(f"{what} {path} is not a regular file", hint="point --state at a state file")
                if stat.st_size > MAX_STATE_BYTES:
                    raise StateCorruptError(f"{what} {path} is too large ({stat.st_size:,} bytes; perso writes "
                                            f"states far below {MAX_STATE_BYTES:,})", hint="check --state")
                return handle.read(MAX_STATE_BYTES + 1), stat
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(f"cannot read {what} {path}: {exc.strerror or exc}",
                             hint="check the file's permissions") from exc

    def _load(self, path: Path | None = None) -> _Loaded | None:
        """The stored state: the document at `path` (the state file by default, with its journal
        replayed; a backup has none), or None when there is no document."""
        main = path is None or path == self.path
        path = path or self.path
        read = self._read_bytes(path, "state")
        if read is None:
            return None
        raw, stat = read
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            hint = (f"restore {self.backup_path} with `perso state push {self.backup_path} --force`"
                    if main else "it cannot be used")
            raise StateCorruptError(f"state {path} is not valid JSON ({exc}); it may be truncated",
                                    hint=hint) from exc
        doc_serial = data.get("serial") if isinstance(data, dict) else None
        after = journal.doc_hash(raw)
        end = replayed = 0
        jstat = NO_JOURNAL
        if main:
            logged = self._read_bytes(self.journal_path, "state journal")
            if logged is not None:
                jraw, js = logged
                jstat = (js.st_ino, js.st_mtime_ns, js.st_size)
                data, end, replayed = journal.replay(data, jraw, after, source=str(self.journal_path), hint=(
                    f"the lines before it are intact; restore the state before the last command with `perso "
                    f"state push {self.backup_path} --force`, or move {self.journal_path} aside to use {path} "
                    "as of its last fold (the changes the journal holds are then lost; `perso plan` shows them)"))
        source = f"{path} with {replayed} line(s) of {self.journal_path}" if replayed else str(path)
        state = StateFile.from_dict(data, source=source)
        version = (state.lineage, doc_serial if isinstance(doc_serial, int) else -1,
                   stat.st_ino, stat.st_mtime_ns, stat.st_size, *jstat)
        return _Loaded(state, version, after, len(raw), end, replayed)

    def _remember(self, loaded: _Loaded | None) -> None:
        self._last = None  # the next write writes the document (and keeps the backup)
        self._backed_up = False
        if loaded is None:
            self._read_version, self._serial, self._replayed = None, 0, 0
            return
        self._read_version, self._serial = loaded.version, loaded.state.serial
        self._doc_hash, self._doc_size = loaded.doc_hash, loaded.doc_size
        self._journal_end, self._replayed = loaded.journal_end, loaded.replayed

    def read(self) -> StateFile:
        with self._write_mutex(shared=True):
            loaded = self._load()
        self._remember(loaded)
        return loaded.state if loaded else StateFile(stack=self.stack)

    def write(self, state: StateFile, *, allow_new_lineage: bool = False) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._write_mutex():
            stored = self._stored_version()
            if stored != self._read_version:
                self._refuse_changed()
            if stored is not None and stored[0] != state.lineage and not allow_new_lineage:
                raise StaleStateError(
                    f"state {self.path} has lineage {stored[0]}, not {state.lineage}: it is another state",
                    hint="refusing to overwrite it; check --state, or use `perso state push --force`")
            serial = max(self._serial + 1, state.serial)
            parts = self._encoder.parts(state)
            line = journal.delta(self._last, parts, serial, self._doc_hash) \
                if self._last is not None and stored is not None else None
            last: Parts | None = parts
            if line is not None and self._journal_end + len(line) <= self._doc_size:
                self._append(line)
            else:  # the first write of a command, or the journal would outgrow the document: fold
                if stored is not None and not self._backed_up:
                    self._keep_backup()
                if not self._write_document(render(parts, serial), state.lineage, serial):
                    last = None  # the journal could not be emptied: the next write is whole too
            self._last, self._serial = last, serial
        self._backed_up = True
        state.serial = serial

    def flush(self) -> None:
        """Fold the journal into the document, so that the document alone is the whole state.

        Best effort: every change is already durable in the journal, so when the fold cannot be
        made (the state changed meanwhile, a write error) the journal stays, and readers replay it."""
        if self._last is None or self._journal_end == 0:
            return
        try:
            with self._write_mutex():
                if self._stored_version() == self._read_version and self._read_version is not None:
                    self._write_document(render(self._last, self._serial), self._read_version[0], self._serial)
        except StateError:
            self._last = None

    def _write_document(self, data: bytes, lineage: str, serial: int) -> bool:
        """Replace the document with `data`, then empty the journal (its lines follow the old one);
        False when it could not be emptied (harmless: its lines follow the old document)."""
        stat = self._atomic_write(self.path, data)
        self.bytes_written += len(data)
        self._doc_hash, self._doc_size, self._journal_end, self._replayed = journal.doc_hash(data), len(data), 0, 0
        emptied = True
        try:
            os.truncate(self.journal_path, 0)
            jstat = self._journal_stat()
        except FileNotFoundError:
            jstat = NO_JOURNAL
        except OSError:  # never append after lines we could not remove
            self._last, emptied, jstat = None, False, self._journal_stat()
        self._read_version = (lineage, serial, stat.st_ino, stat.st_mtime_ns, stat.st_size, *jstat)
        return emptied

    def _append(self, line: bytes) -> None:
        """Append one journal line and fsync it; a torn tail left by a killed writer is cut first."""
        assert self._read_version is not None
        try:
            fd = os.open(self.journal_path, os.O_WRONLY | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StateError(f"cannot write {self.journal_path}: {exc.strerror or exc}; the previous state is "
                             "unchanged", hint="check free space and permissions") from exc
        try:
            try:
                if os.fstat(fd).st_size != self._journal_end:
                    os.ftruncate(fd, self._journal_end)
                done = 0
                while done < len(line):
                    done += os.pwrite(fd, line[done:], self._journal_end + done)
                os.fsync(fd)
            except OSError as exc:
                with contextlib.suppress(OSError):  # take back what part of the line got written
                    os.ftruncate(fd, self._journal_end)
                raise StateError(f"cannot write {self.journal_path}: {exc.strerror or exc}; the previous state "
                                 "is unchanged", hint="check free space and permissions") from exc
            finally:
                stat = os.fstat(fd)
                self._read_version = (*self._read_version[:5], stat.st_ino, stat.st_mtime_ns, stat.st_size)
        finally:
            os.close(fd)
        if self._journal_end == 0:
            _fsync_dir(self.path.parent)  # the journal may have just been created
        self._journal_end += len(line)
        self.bytes_written += len(line)

    def _journal_stat(self) -> tuple[int, int, int]:
        try:
            stat = os.stat(self.journal_path)
        except FileNotFoundError:
            return NO_JOURNAL
        except OSError as exc:
            raise StateError(f"cannot read state journal {self.journal_path}: {exc.strerror or exc}",
                             hint="check the file's permissions") from exc
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def _stored_version(self) -> Version | None:
        """The stored version, from stats and the document's first bytes: no parse.

        When they are those of the version we last read or wrote, it is that version (lineage and
        serial from the header confirm it even if an inode was reused). Otherwise the state is
        parsed, only to say what is there now."""
        try:
            with open(self.path, "rb", opener=_nonblocking) as handle:
                stat = os.fstat(handle.fileno())
                prefix = handle.read(HEADER_BYTES) if S_ISREG(stat.st_mode) else b""
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(f"cannot read state {self.path}: {exc.strerror or exc}",
                             hint="check the file's permissions") from exc
        seen = header(prefix)
        if seen is not None and self._read_version is not None:
            version = (*seen, stat.st_ino, stat.st_mtime_ns, stat.st_size, *self._journal_stat())
            if version == self._read_version:
                return version
        loaded = self._load()  # changed (or never read): the full check, and what to say
        return loaded.version if loaded else None

    def _refuse_changed(self) -> None:
        loaded = self._load()
        if loaded is None:
            raise StateConflictError(f"state {self.path} was deleted since it was read; nothing was written",
                                     hint="run the command again")
        raise StateConflictError(
            f"state {self.path} was changed by someone else (now serial {loaded.state.serial}) since it was "
            "read; nothing was overwritten",
            hint="run the command again; hold the lock to keep concurrent writers out")

    def _keep_backup(self) -> None:
        """Keep the stored version as `<path>.backup`, once per backend (i.e. per command): a hard
        link to the document the next write replaces, so nothing is copied; a copy where links fail.
        When a killed run left journal lines, the backup is the document with them folded in (its
        own document: a backup has no journal)."""
        if self._replayed:
            loaded = self._load()
            if loaded is not None and loaded.replayed:
                self._atomic_write(self.backup_path, Encoder().encode(loaded.state, loaded.state.serial))
                return
        tmp = self.backup_path.with_name(f".{self.backup_path.name}.{os.getpid()}.link")
        try:
            tmp.unlink(missing_ok=True)
            os.link(self.path, tmp)
            os.replace(tmp, self.backup_path)  # made durable by the state write's directory fsync
        except OSError:
            tmp.unlink(missing_ok=True)
            self._atomic_write(self.backup_path, self.path.read_bytes())

    def _atomic_write(self, path: Path, data: bytes) -> os.stat_result:
        """Write `data` to `path` atomically and durably; the stat of the new file."""
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
                stat = os.fstat(handle.fileno())  # a rename keeps the inode and mtime
            os.replace(tmp, path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise StateError(f"cannot write {path}: {exc.strerror or exc}; the previous state is unchanged",
                             hint="check free space and permissions") from exc
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)
        return stat

    @contextlib.contextmanager
    def _write_mutex(self, *, shared: bool = False) -> Iterator[None]:
        """Serialise check-and-replace across processes (short: held for one write); `shared` for
        reads, which only need to see no fold half made (and a directory that isn't there yet)."""
        if fcntl is None:
            yield
            return
        try:
            fd = os.open(self.path.parent, os.O_RDONLY)
        except OSError:
            if not shared:
                raise
            yield
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            except OSError:
                if not shared:  # a reader goes on without it (e.g. a filesystem with no flock)
                    raise
            yield
        finally:
            os.close(fd)  # closing releases the flock

    def history(self) -> list[StateVersion]:
        """The local backend keeps the current state (document and journal) and the version before
        it (`backup`)."""
        out = []
        for version_id, path in (("current", self.path), ("backup", self.backup_path)):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            size, mtime = stat.st_size, stat.st_mtime
            if version_id == "current":
                with contextlib.suppress(OSError):
                    logged = self.journal_path.stat()
                    size, mtime = size + logged.st_size, max(mtime, logged.st_mtime)
            modified = datetime.fromtimestamp(mtime, UTC).isoformat(timespec="seconds")
            out.append(StateVersion(version_id, modified, size, is_latest=version_id == "current"))
        return out

    def read_version(self, version_id: str) -> StateFile:
        paths = {"current": self.path, "backup": self.backup_path}
        if version_id not in paths:
            raise StateError(f"the local backend has no version {version_id!r}",
                             hint=f"it keeps 'current' ({self.path}) and 'backup' ({self.backup_path})")
        with self._write_mutex(shared=True):
            loaded = self._load(paths[version_id])
        if loaded is None:
            raise StateError(f"there is no {version_id} state at {paths[version_id]}")
        return loaded.state

    # -- locking ----------------------------------------------------------------------------------
    def lock(self, operation: str) -> LockInfo:
        info = LockInfo.new(operation, str(self.path))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._write_mutex():  # so that break_lock never removes a lock being created
            try:
                fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self.lock_info()
            except OSError as exc:
                raise StateError(f"cannot create the lock file {self.lock_path}: {exc.strerror or exc}") from exc
            else:
                with os.fdopen(fd, "w") as handle:
                    json.dump(info.to_dict(), handle)
                    handle.flush()
                    os.fsync(handle.fileno())
                return info
        raise lock_error(str(self.path), holder)

    def renew(self, lock_id: str) -> LockInfo:
        holder = self.lock_info()
        if holder is None or holder.id != lock_id:
            raise lock_error(str(self.path), holder) if holder else StateLockedError(
                f"the lock {lock_id} on {self.path} was released by someone else", lock=None)
        renewed = holder.renewed()
        self._atomic_write(self.lock_path, json.dumps(renewed.to_dict()).encode())
        return renewed

    def unlock(self, lock_id: str) -> None:
        holder = self.lock_info()
        if holder is None:
            return
        if holder.id != lock_id:
            raise StateError(f"state {self.path} is locked by another lock ({holder.describe()}), not {lock_id}",
                             hint="only the holder's lock id releases it: see `perso state lock-info`")
        self.lock_path.unlink(missing_ok=True)

    def break_lock(self, seen: LockInfo) -> None:
        """Remove the lock if it is still the one `seen` (force-unlock, or its holder died).

        Under the directory's flock, which `lock()` also holds while it creates a lock: the lock
        compared is the lock removed."""
        with self._write_mutex():
            holder = self.lock_info()
            if holder is None:
                return
            if holder != seen:
                raise StateError(f"the lock on {self.path} changed meanwhile: it is now {holder.describe()}",
                                 hint="check `perso state lock-info` again")
            self.lock_path.unlink(missing_ok=True)

    def lock_info(self) -> LockInfo | None:
        for attempt in range(5):
            try:
                text = self.lock_path.read_text()
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise StateError(f"cannot read the lock file {self.lock_path}: {exc.strerror or exc}") from exc
            try:
                return LockInfo.from_dict(json.loads(text))
            except (ValueError, TypeError, AttributeError):
                if attempt < 4:  # being written by its creator right now: look again
                    time.sleep(0.02)
        return LockInfo(id="", operation="?", who=f"unknown (unreadable lock file {self.lock_path})", created="?")


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable (POSIX); best effort elsewhere."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
