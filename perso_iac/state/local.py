"""State in a local JSON file: atomic writes, a backup of the previous version, an O_EXCL lock file.

- A write goes to a temporary file in the same directory, is fsynced, then renamed over the
  state (`os.replace`) and the directory fsynced: a crash leaves the old state or the new one,
  never half of one. The version the first write after a read replaces is kept as
  `<path>.backup` (a hard link: nothing is copied), so a backup is the state before the command.
- A write is conditional on the version read: the stored file's lineage, serial, inode, mtime
  and size must still be what this backend last read or wrote. The check reads only the file's
  stat and first bytes (not the whole state), and it and the rename happen under an exclusive
  `flock` of the state's directory, so two processes can't both pass it.
- The lock is `<path>.lock`, created with O_CREAT|O_EXCL and holding the LockInfo as JSON.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG

from ..errors import StaleStateError, StateConflictError, StateCorruptError, StateError, StateLockedError
from .backend import LockInfo, StateBackend, StateVersion, lock_error
from .encode import HEADER_BYTES, Encoder, header
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


# What identifies one stored version: (lineage, serial, inode, mtime_ns, size).
Version = tuple[str, int, int, int, int]


class LocalBackend(StateBackend):
    def __init__(self, path: str | os.PathLike, *, stack: str = "default") -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.backup_path = self.path.with_name(self.path.name + ".backup")
        self.stack = stack
        self._read_version: Version | None = None  # the stored version we last read or wrote
        self._encoder = Encoder()
        self._backed_up = False  # the version this backend first replaced is kept as the backup

    def describe(self) -> str:
        return f"local:{self.path}"

    # -- state ------------------------------------------------------------------------------------
    def _load(self, path: Path | None = None) -> tuple[StateFile, Version] | None:
        path = path or self.path
        try:
            with open(path, "rb", opener=_nonblocking) as handle:
                stat = os.fstat(handle.fileno())
                if not S_ISREG(stat.st_mode):
                    raise StateError(f"state {path} is not a regular file", hint="point --state at a state file")
                if stat.st_size > MAX_STATE_BYTES:
                    raise StateCorruptError(f"state {path} is too large ({stat.st_size:,} bytes; perso writes "
                                            f"states far below {MAX_STATE_BYTES:,})", hint="check --state")
                raw = handle.read(MAX_STATE_BYTES + 1)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(f"cannot read state {path}: {exc.strerror or exc}",
                             hint="check the file's permissions") from exc
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            hint = (f"restore {self.backup_path} with `perso state push {self.backup_path} --force`"
                    if path == self.path else "it cannot be used")
            raise StateCorruptError(f"state {path} is not valid JSON ({exc}); it may be truncated",
                                    hint=hint) from exc
        state = StateFile.from_dict(data, source=str(path))
        return state, (state.lineage, state.serial, stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def read(self) -> StateFile:
        self._backed_up = False
        loaded = self._load()
        if loaded is None:
            self._read_version = None
            return StateFile(stack=self.stack)
        state, self._read_version = loaded
        return state

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
            serial = max((stored[1] if stored else 0) + 1, state.serial)
            data = self._encoder.encode(state, serial)
            if stored is not None and not self._backed_up:
                self._keep_backup()
            stat = self._atomic_write(self.path, data)
        self._backed_up = True
        state.serial = serial
        self._read_version = (state.lineage, serial, stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def _stored_version(self) -> Version | None:
        """The stored file's version, from its inode, mtime, size and first bytes: no parse.

        When they are those of the version we last read or wrote, it is that version (lineage and
        serial from the header confirm it even if an inode was reused). Otherwise the file is
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
            version = (*seen, stat.st_ino, stat.st_mtime_ns, stat.st_size)
            if version == self._read_version:
                return version
        loaded = self._load()  # changed (or never read): the full check, and what to say
        return loaded[1] if loaded else None

    def _refuse_changed(self) -> None:
        loaded = self._load()
        if loaded is None:
            raise StateConflictError(f"state {self.path} was deleted since it was read; nothing was written",
                                     hint="run the command again")
        raise StateConflictError(
            f"state {self.path} was changed by someone else (now serial {loaded[0].serial}) since it was "
            "read; nothing was overwritten",
            hint="run the command again; hold the lock to keep concurrent writers out")

    def _keep_backup(self) -> None:
        """Keep the stored version as `<path>.backup`, once per backend (i.e. per command): a hard
        link to the file the next write replaces, so nothing is copied; a copy where links fail."""
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
    def _write_mutex(self) -> Iterator[None]:
        """Serialise check-and-replace across processes (short: held for one write)."""
        if fcntl is None:
            yield
            return
        fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the flock

    def history(self) -> list[StateVersion]:
        """The local backend keeps the current file and the version before it (`backup`)."""
        out = []
        for version_id, path in (("current", self.path), ("backup", self.backup_path)):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            modified = datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(timespec="seconds")
            out.append(StateVersion(version_id, modified, stat.st_size, is_latest=version_id == "current"))
        return out

    def read_version(self, version_id: str) -> StateFile:
        paths = {"current": self.path, "backup": self.backup_path}
        if version_id not in paths:
            raise StateError(f"the local backend has no version {version_id!r}",
                             hint=f"it keeps 'current' ({self.path}) and 'backup' ({self.backup_path})")
        loaded = self._load(paths[version_id])
        if loaded is None:
            raise StateError(f"there is no {version_id} state at {paths[version_id]}")
        return loaded[0]

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
