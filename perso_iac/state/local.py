"""State in a local JSON file: atomic writes, a backup of the previous version, an O_EXCL lock file."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import StaleStateError, StateConflictError, StateCorruptError, StateError, StateLockedError
from .backend import LockInfo
from .model import StateFile


class LocalBackend:
    def __init__(self, path: str | os.PathLike, *, stack: str = "default") -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.backup_path = self.path.with_name(self.path.name + ".backup")
        self.stack = stack
        self._read_version: tuple[str, int] | None = None  # (lineage, serial) we last read or wrote

    def describe(self) -> str:
        return f"local:{self.path}"

    def _load(self) -> StateFile | None:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(f"cannot read state {self.path}: {exc.strerror}") from exc
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise StateCorruptError(f"state {self.path} is not valid JSON ({exc})",
                                    hint=f"restore {self.backup_path} or push a good copy with `perso state push`") from exc
        return StateFile.from_dict(data, source=str(self.path))

    def read(self) -> StateFile:
        state = self._load()
        if state is None:
            state = StateFile(stack=self.stack)
            self._read_version = None
        else:
            self._read_version = (state.lineage, state.serial)
        return state

    def write(self, state: StateFile) -> None:
        stored = self._load()
        if stored is not None:
            if stored.lineage != state.lineage:
                raise StaleStateError(
                    f"state {self.path} has lineage {stored.lineage}, not {state.lineage}: it is another state",
                    hint="refusing to overwrite it; check --state, or use `perso state push --force`")
            if (stored.lineage, stored.serial) != self._read_version:
                raise StateConflictError(
                    f"state {self.path} was changed by someone else (serial {stored.serial}) since it was read",
                    hint="run the command again; hold the lock to avoid concurrent writers")
        elif self._read_version is not None:
            raise StateConflictError(f"state {self.path} was deleted since it was read")
        state.serial = (stored.serial if stored else state.serial) + 1
        text = json.dumps(state.to_dict(), indent=2, sort_keys=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if stored is not None:
            shutil.copyfile(self.path, self.backup_path)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._read_version = (state.lineage, state.serial)

    # -- locking --------------------------------------------------------------------------------
    def lock(self, operation: str) -> LockInfo:
        info = LockInfo.new(operation, str(self.path))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = self.lock_info()
            who = holder.describe() if holder else "an unreadable lock file"
            raise StateLockedError(
                f"state {self.path} is locked: {who}", lock=holder,
                hint=f"wait for it to finish, or if that process is gone: perso state unlock {holder.id if holder else ''}".rstrip(),
            ) from None
        with os.fdopen(fd, "w") as handle:
            json.dump(info.to_dict(), handle)
        return info

    def unlock(self, lock_id: str) -> None:
        holder = self.lock_info()
        if holder is None:
            return
        if holder.id != lock_id:
            raise StateError(f"state {self.path} is locked by another lock ({holder.describe()}), not {lock_id}")
        self.lock_path.unlink(missing_ok=True)

    def lock_info(self) -> LockInfo | None:
        try:
            return LockInfo.from_dict(json.loads(self.lock_path.read_text()))
        except FileNotFoundError:
            return None
        except (ValueError, TypeError):
            return LockInfo(id="", operation="?", who="unknown (corrupt lock file)", created="?")
