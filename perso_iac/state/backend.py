"""The contract every state backend (local file, S3) fulfils. The engine sees only this.

Storage semantics (Terraform's statemgr, simplified):
- `read()` returns the stored state, or a new empty one (serial 0, fresh lineage) when none
  exists, and remembers the stored version (mtime/etag) it read.
- `write(state)` stores `state` with `serial` one higher than the stored one, but only if the
  stored object is still the version this backend last read or wrote (a conditional write);
  otherwise it raises StateConflictError and writes nothing. It refuses a state whose lineage
  differs from the stored one (StaleStateError). It sets `state.serial` to the new serial.
- Locking is separate from writing: `lock()` is exclusive across processes and machines and
  returns a LockInfo whose `id` releases it with `unlock(id)`.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from .model import StateFile


@dataclass(frozen=True)
class LockInfo:
    id: str
    operation: str
    who: str
    created: str                     # ISO 8601, UTC
    path: str = ""                   # the state the lock protects
    lease_seconds: int = 0           # 0: no expiry
    info: dict[str, Any] = field(default_factory=dict)  # pid, host, ci_run_url, perso_version

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LockInfo:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    @classmethod
    def new(cls, operation: str, path: str, lease_seconds: int = 0) -> LockInfo:
        info: dict[str, Any] = {"pid": os.getpid(), "host": socket.gethostname()}
        ci_url = ci_run_url()
        if ci_url:
            info["ci_run_url"] = ci_url
        return cls(
            id=str(uuid.uuid4()),
            operation=operation,
            who=f"{_user()}@{socket.gethostname()}",
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            path=path,
            lease_seconds=lease_seconds,
            info=info,
        )

    def describe(self) -> str:
        extra = f", CI run {self.info['ci_run_url']}" if self.info.get("ci_run_url") else ""
        return f"lock {self.id} held by {self.who} (pid {self.info.get('pid', '?')}) for '{self.operation}' since {self.created}{extra}"


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return "unknown"


def ci_run_url() -> str | None:
    """The URL of the CI run we are part of, when the CI system says so."""
    env = os.environ
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        return f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    for key in ("CI_JOB_URL", "BUILD_URL", "CIRCLE_BUILD_URL"):  # GitLab, Jenkins, CircleCI
        if env.get(key):
            return env[key]
    return None


class StateBackend(Protocol):
    def describe(self) -> str:
        """Where the state lives, for messages: `local:.perso/state/x.json`, `s3://bucket/key`."""
        ...

    def read(self) -> StateFile: ...

    def write(self, state: StateFile) -> None: ...

    def lock(self, operation: str) -> LockInfo:
        """Take the lock or raise StateLockedError naming the holder."""
        ...

    def unlock(self, lock_id: str) -> None:
        """Release the lock if `lock_id` holds it; raise StateError if another lock holds it."""
        ...

    def lock_info(self) -> LockInfo | None: ...


@contextlib.contextmanager
def locked(backend: StateBackend, operation: str, *, enabled: bool = True) -> Iterator[LockInfo | None]:
    """Hold the backend's lock for the duration of the block (no-op when `enabled` is False)."""
    if not enabled:
        yield None
        return
    lock = backend.lock(operation)
    try:
        yield lock
    finally:
        backend.unlock(lock.id)
