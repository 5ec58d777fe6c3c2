"""The contract every state backend (local file, S3) fulfils. The engine sees only this.

Storage semantics (Terraform's statemgr, simplified):
- `read()` returns the stored state, or a new empty one (serial 0, fresh lineage) when none
  exists, and remembers the stored version (mtime/etag) it read.
- `write(state)` stores `state` with `serial` one higher than the stored one (or `state.serial`
  when that is higher still: a pushed or migrated state keeps its serial), but only if the
  stored object is still the version this backend last read or wrote (a conditional write);
  otherwise it raises StateConflictError and writes nothing. A backend that never read behaves
  as if it had read "no state". It refuses a state whose lineage differs from the stored one
  (StaleStateError) unless `write(state, allow_new_lineage=True)` (`perso state push --force`).
  It sets `state.serial` to the new serial, only once the write succeeded.
- Locking is separate from writing: `lock()` is exclusive across processes and machines and
  returns a LockInfo whose `id` releases it with `unlock(id)`. A lock has a lease that
  `locked()` renews while it is held (`renew(id)`); a lock whose lease ran out was left behind
  by a killed process. It is never taken over silently: `break_lock(seen)` removes it, only when
  asked (`perso state unlock`).
"""

from __future__ import annotations

import abc
import contextlib
import getpass
import os
import random
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import PersoError, StateError, StateLockedError
from .model import StateFile

# How long a lock stays valid unless renewed. `locked()` renews it every third of that while the
# holder runs, so only a lock whose holder died expires. PERSO_LOCK_LEASE overrides it (0: never).
DEFAULT_LEASE_SECONDS = 300


@dataclass(frozen=True)
class LockInfo:
    id: str
    operation: str
    who: str
    created: str                     # ISO 8601, UTC
    path: str = ""                   # the state the lock protects
    lease_seconds: int = 0           # 0: no expiry
    info: dict[str, Any] = field(default_factory=dict)  # pid, host, ci_run_url, perso_version
    expires: str = ""                # ISO 8601, UTC: created (or last renewed) + lease; "" = never

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LockInfo:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    @classmethod
    def new(cls, operation: str, path: str, lease_seconds: int | None = None) -> LockInfo:
        if lease_seconds is None:
            lease_seconds = default_lease_seconds()
        info: dict[str, Any] = {"pid": os.getpid(), "host": socket.gethostname(), **_process_identity(os.getpid())}
        ci_url = ci_run_url()
        if ci_url:
            info["ci_run_url"] = ci_url
        now = _now()
        return cls(
            id=str(uuid.uuid4()),
            operation=operation,
            who=f"{_user()}@{socket.gethostname()}",
            created=now.isoformat(timespec="seconds"),
            path=path,
            lease_seconds=lease_seconds,
            info=info,
            expires=_expiry(now, lease_seconds),
        )

    def renewed(self) -> LockInfo:
        """The same lock with its lease starting now."""
        now = _now()
        return replace(self, expires=_expiry(now, self.lease_seconds),
                       info={**self.info, "renewed": now.isoformat(timespec="seconds")})

    def expired(self, now: datetime | None = None) -> bool:
        """True when the lease ran out: the holder stopped renewing it (it was killed)."""
        if not self.expires:
            return False
        try:
            expires = datetime.fromisoformat(self.expires)
        except ValueError:
            return False
        return (now or _now()) >= expires

    def holder_gone(self) -> bool:
        """True when the holder ran on this host and its process no longer exists.

        "This host" is the host name and, where the lock recorded it, the PID namespace: two
        containers with one host name each have their own PIDs, and neither can tell whether the
        other's process is alive. A PID reused by a newer process (another start time) is gone too."""
        pid, host = self.info.get("pid"), self.info.get("host")
        if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0 or host != socket.gethostname():
            return False
        recorded_ns = self.info.get("pid_ns")
        if recorded_ns and recorded_ns != _pid_namespace():
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except OSError:  # e.g. EPERM: it exists, owned by someone else
            pass
        started = self.info.get("pid_start")
        return bool(started) and _process_identity(pid).get("pid_start") not in (None, started)

    def abandoned(self) -> bool:
        """The lock can be broken without naming it: its lease expired or its process is gone."""
        return self.expired() or self.holder_gone()

    def describe(self) -> str:
        extra = f", CI run {self.info['ci_run_url']}" if self.info.get("ci_run_url") else ""
        text = (f"lock {self.id} held by {self.who} (pid {self.info.get('pid', '?')}) for '{self.operation}' "
                f"since {self.created}{extra}")
        if self.holder_gone():
            text += "; that process is no longer running"
        elif self.expired():
            text += f"; its lease expired at {self.expires} (the holder stopped renewing it, probably killed)"
        return text


def _pid_namespace() -> str | None:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


def _process_identity(pid: int) -> dict[str, Any]:
    """What tells this process apart from a later one with its PID (Linux): namespace, start time."""
    out: dict[str, Any] = {}
    ns = _pid_namespace()
    if ns:
        out["pid_ns"] = ns
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        out["pid_start"] = fields[19]  # field 22 of stat: start time in clock ticks after boot
    except (OSError, IndexError):
        pass
    return out


def _stderr_note(message: str) -> None:
    print(f"note: {message}", file=sys.stderr, flush=True)


def _now() -> datetime:
    return datetime.now(UTC)


def _expiry(now: datetime, lease_seconds: int) -> str:
    return (now + timedelta(seconds=lease_seconds)).isoformat(timespec="seconds") if lease_seconds > 0 else ""


def default_lease_seconds() -> int:
    try:
        return max(0, int(os.environ.get("PERSO_LOCK_LEASE", DEFAULT_LEASE_SECONDS)))
    except ValueError:
        return DEFAULT_LEASE_SECONDS


def lock_error(where: str, holder: LockInfo | None) -> StateLockedError:
    """The error for a held lock: who holds it, since when, and how to release it."""
    if holder is None:
        return StateLockedError(f"state {where} is locked (the lock could not be read)", lock=None,
                                hint="run the command again, or see `perso state lock-info`")
    if not holder.id:
        return StateLockedError(f"state {where} is locked by {holder.who}", lock=holder,
                                hint="inspect it with `perso state lock-info`; remove it with "
                                     "`perso state unlock --force` once you are sure nobody uses the state")
    if holder.abandoned():
        how = f"it was left behind: release it with `perso state unlock {holder.id}` (or `perso state unlock`)"
    else:
        how = (f"wait for it to finish (--lock-timeout waits and retries), or if that run is gone: "
               f"`perso state unlock {holder.id}`")
    return StateLockedError(f"state {where} is locked: {holder.describe()}", lock=holder, hint=how)


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


class StateBackend(abc.ABC):
    """What every backend provides; callers use every method directly, none is probed for."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Where the state lives, for messages: `local:.perso/state/x.json`, `s3://bucket/key`."""

    @abc.abstractmethod
    def read(self) -> StateFile:
        """The stored state (or a new empty one), remembering which version was read."""

    @abc.abstractmethod
    def write(self, state: StateFile, *, allow_new_lineage: bool = False) -> None:
        """Store `state` if the stored version is still the one last read or written (see above);
        `allow_new_lineage` replaces a state of another lineage (`perso state push --force`)."""

    @abc.abstractmethod
    def lock(self, operation: str) -> LockInfo:
        """Take the lock or raise StateLockedError naming the holder."""

    @abc.abstractmethod
    def unlock(self, lock_id: str) -> None:
        """Release the lock if `lock_id` holds it; raise StateError if another lock holds it."""

    @abc.abstractmethod
    def lock_info(self) -> LockInfo | None:
        """The lock held now, if any."""

    @abc.abstractmethod
    def renew(self, lock_id: str) -> LockInfo:
        """Restart the lease of the lock `lock_id` we hold; StateLockedError if it is no longer ours."""

    @abc.abstractmethod
    def break_lock(self, seen: LockInfo) -> None:
        """Remove the lock only if it is still `seen` (force-unlock, or a dead holder's lock)."""

    def flush(self) -> None:
        """Called when a command that wrote is done: leave the stored state complete in its main
        form (the local backend folds its journal into the document). Never raises: every write
        was durable already. Nothing to do for backends that store the whole state every time."""
        return None

    def history(self) -> list[StateVersion]:
        """Stored versions, newest first; empty when the backend keeps none."""
        return []

    def read_version(self, version_id: str) -> StateFile:
        """One of `history()`'s versions."""
        raise StateError(f"{self.describe()} keeps no versions",
                         hint="versions need an S3 backend with bucket versioning")


@dataclass(frozen=True)
class StateVersion:
    """One stored version of the state: an S3 object version, or the local file or its backup."""

    version_id: str
    last_modified: str               # ISO 8601
    size: int
    is_latest: bool
    deleted: bool = False            # an S3 delete marker: the state was deleted at this point


def lock_timeout_from_env() -> float:
    """PERSO_LOCK_TIMEOUT (seconds): how long commands wait for a held lock when not told."""
    try:
        return max(0.0, float(os.environ.get("PERSO_LOCK_TIMEOUT", "0")))
    except ValueError:
        return 0.0


def acquire(backend: StateBackend, operation: str, *, timeout: float | None = None,
            sleep: Callable[[float], None] = time.sleep,
            clock: Callable[[], float] = time.monotonic,
            notify: Callable[[str], None] = _stderr_note) -> LockInfo:
    """Take the lock; while it is held, retry with jittered exponential backoff for up to
    `timeout` seconds (Terraform's -lock-timeout; default PERSO_LOCK_TIMEOUT, else 0), then raise
    the StateLockedError naming the holder.

    A lock whose holder ran on this host and is no longer running (a SIGKILLed run) is broken at
    once, and `notify` says so. Any other lock is only ever released by its lease running out and
    `perso state unlock`: from another host, perso cannot tell whether the holder is alive."""
    timeout = lock_timeout_from_env() if timeout is None else max(0.0, timeout)
    deadline = clock() + timeout
    delay = 0.5
    broken = 0
    while True:
        try:
            return backend.lock(operation)
        except StateLockedError as exc:
            holder = exc.lock
            if broken < 3 and holder is not None and holder.id and holder.holder_gone():
                broken += 1
                try:
                    backend.break_lock(holder)  # only if it is still that lock: conditional
                except PersoError:
                    continue  # it changed meanwhile (another run broke it, or took the lock): look again
                notify(f"broke the lock {holder.id} on {backend.describe()}: its holder {holder.who} "
                       f"(pid {holder.info.get('pid')}, '{holder.operation}' since {holder.created}) is no longer "
                       "running on this host")
                continue
            remaining = deadline - clock()
            if remaining <= 0:
                if timeout > 0:
                    exc.message = f"{exc.message} (still locked after waiting {timeout:g}s)"
                    exc.args = (exc.message,)
                raise
            sleep(min(remaining, delay * random.uniform(0.75, 1.0)))
            delay = min(delay * 2, 10.0)


class _Renewer(threading.Thread):
    """Renews a held lock's lease every third of the lease until stopped, so that only a lock
    whose holder died (SIGKILL, a cancelled CI runner) ever expires."""

    def __init__(self, backend: Any, lock: LockInfo) -> None:
        super().__init__(name=f"perso-lock-renewer-{lock.id[:8]}", daemon=True)
        self.backend, self.lock = backend, lock
        self.stopped = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        interval = max(1.0, self.lock.lease_seconds / 3)
        while not self.stopped.wait(interval):
            try:
                self.lock = self.backend.renew(self.lock.id)
            except StateLockedError as exc:  # broken or taken over: writes stay conditional anyway
                self.error = exc
                return
            except Exception as exc:  # noqa: BLE001 - transient: try again at the next interval
                self.error = exc

    def stop(self) -> None:
        self.stopped.set()
        if self.is_alive():
            self.join(timeout=5)


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """Make SIGTERM (what a cancelled CI job gets before SIGKILL) unwind like Ctrl-C while the lock
    is held, so it is released rather than left behind. Main thread and default handler only."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"terminated by signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def locked(backend: StateBackend, operation: str, *, enabled: bool = True, timeout: float | None = None,
           sleep: Callable[[float], None] = time.sleep,
           clock: Callable[[], float] = time.monotonic,
           notify: Callable[[str], None] = _stderr_note) -> Iterator[LockInfo | None]:
    """Hold the backend's lock for the duration of the block (no-op when `enabled` is False).

    A held lock is retried with backoff for up to `timeout` seconds (see `acquire`). While the
    block runs the lease is renewed in the background and SIGTERM unwinds like Ctrl-C. When the
    lock cannot be released, the error says how to release it by hand."""
    if not enabled:
        yield None
        return
    lock = acquire(backend, operation, timeout=timeout, sleep=sleep, clock=clock, notify=notify)
    renewer = _Renewer(backend, lock) if lock.lease_seconds > 0 else None
    if renewer:
        renewer.start()
    try:
        with _sigterm_unwinds():
            yield lock
    except BaseException as exc:
        if renewer:
            renewer.stop()
        try:
            backend.unlock(lock.id)
        except Exception as unlock_exc:  # noqa: BLE001 - keep the original error; say what was left behind
            note = f"the state lock {lock.id} could not be released ({unlock_exc}): `perso state unlock {lock.id}`"
            if isinstance(exc, PersoError):
                exc.hint = f"{exc.hint}; {note}" if exc.hint else note
            else:
                exc.add_note(note)
        raise
    if renewer:
        renewer.stop()
    try:
        backend.unlock(lock.id)
    except PersoError as exc:
        note = f"release it with `perso state unlock {lock.id}` once the backend is reachable"
        exc.hint = f"{exc.hint}; {note}" if exc.hint else note
        raise
