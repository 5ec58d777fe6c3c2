"""`perso state ...`: inspect and repair the state, release left-behind locks, move it to S3.

Every command finds the state the way `perso plan` does (`--state`, else the spec's `backend:`,
else `.perso/state/<stack>.json`); the spec is read only for its stack and backend. Commands that
change the state hold the lock (`--lock-timeout` waits for it) and write conditionally, so they
never overwrite a state someone else changed meanwhile.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import PersoError, StaleStateError, StateCorruptError, StateError, StateLockedError
from ..spec.readfile import read_bounded
from .errors import handle_errors
from .options import Options, common_options, load, merged_options
from .workspace import aws_settings, state_backend

if TYPE_CHECKING:
    from ..spec.model import Spec
    from ..state.backend import LockInfo, StateBackend
    from ..state.model import StateFile

# The state modules load when a state command runs: `perso --help` and `perso validate` skip them.


def make_backend(*args: Any, **kwargs: Any) -> StateBackend:
    from ..state.factory import make_backend  # boto3, for S3: only once a state command runs

    return make_backend(*args, **kwargs)


def locked(*args: Any, **kwargs: Any) -> Any:
    from ..state.backend import locked

    return locked(*args, **kwargs)


class Context:
    """What a state command works on: the backend, and the spec when it could be read."""

    def __init__(self, opts: Options, lock_timeout: float) -> None:
        self.opts = opts
        self.lock_timeout = lock_timeout
        self.spec: Spec | None = None
        self.backend = self._backend()

    def _backend(self) -> StateBackend:
        opts = self.opts
        try:
            self.spec = load(opts)
        except PersoError as exc:
            if not opts.state:
                exc.hint = ((exc.hint + "; ") if exc.hint else "") + \
                    "state commands read the spec only to find the state: pass -f SPEC or --state PATH|s3://BUCKET/KEY"
                raise
            # --state names the state: work from it alone, derive nothing else from the spec.
            return make_backend(None, opts.state, stack="default", spec_dir=Path.cwd(), settings=aws_settings(opts))
        return state_backend(opts, self.spec)

    @property
    def where(self) -> str:
        return self.backend.describe()

    def lock(self, operation: str) -> Any:
        return locked(self.backend, f"state {operation}", timeout=self.lock_timeout)

    def read_existing(self) -> StateFile:
        """The stored state; an error when there is none (nothing to show or change)."""
        state = self.backend.read()
        if not state.serial:
            raise StateError(f"there is no state at {self.where}",
                             hint="apply the spec first, or point -f/--state at the right state")
        return state


def _context(ctx: click.Context, given: dict[str, Any]) -> Context:
    opts = merged_options(ctx, given)
    return Context(opts, opts.lock_timeout)


def _resource(state: StateFile, address: str, where: str) -> Any:
    if address not in state.resources:
        raise StateError(f"{address} is not in the state at {where}", hint="see `perso state list`")
    return state.resources[address]


@click.group("state")
@click.pass_context
def state_group(ctx: click.Context) -> None:
    """Inspect and repair the state: list, show, rm, mv, pull, push, history, unlock, lock-info, migrate."""
    # these commands repair states that fail the safety checks (push checks the file it pushes)
    from ..state import checks

    token = checks.set_lenient()
    ctx.call_on_close(lambda: checks.reset_lenient(token))


@state_group.command("list")
@click.argument("prefixes", nargs=-1)
@common_options
@click.pass_context
@handle_errors
def list_command(ctx: click.Context, prefixes: tuple[str, ...], **given: Any) -> None:
    """List the addresses in the state (only those starting with PREFIXES when given)."""
    c = _context(ctx, given)
    state = c.backend.read()
    for address in sorted(state.resources):
        if not prefixes or any(address == p or address.startswith(p.rstrip(".") + ".") for p in prefixes):
            click.echo(address)


@state_group.command("show")
@click.argument("address")
@common_options
@click.pass_context
@handle_errors
def show_command(ctx: click.Context, address: str, **given: Any) -> None:
    """Show what the state records for ADDRESS: its ARN, last applied parameters, outputs."""
    c = _context(ctx, given)
    click.echo(json.dumps(_resource(c.backend.read(), address, c.where).to_dict(), indent=2, default=str))


@state_group.command("rm")
@click.argument("addresses", nargs=-1, required=True)
@common_options
@click.pass_context
@handle_errors
def rm_command(ctx: click.Context, addresses: tuple[str, ...], **given: Any) -> None:
    """Forget ADDRESSES without deleting them in AWS (the next plan offers to create them again
    unless they leave the spec too; `perso import` adopts them back)."""
    c = _context(ctx, given)
    with c.lock("rm"):
        state = c.read_existing()
        missing = [a for a in addresses if a not in state.resources]
        if missing:
            raise StateError(f"not in the state at {c.where}: {', '.join(missing)}; nothing was removed",
                             hint="see `perso state list`")
        arns = {a: state.resources[a].arn for a in addresses}
        for address in addresses:
            state.forget(address)
        c.backend.write(state)
    for address in addresses:
        click.echo(f"Removed {address} from the state ({arns[address]} was not deleted).")
    click.echo(f"State {c.where} is now at serial {state.serial}.")


@state_group.command("mv")
@click.argument("old")
@click.argument("new")
@common_options
@click.pass_context
@handle_errors
def mv_command(ctx: click.Context, old: str, new: str, **given: Any) -> None:
    """Rename OLD to NEW in the state, e.g. after renaming a key in the spec (nothing changes in AWS).

    The resource keeps its AWS name; the message says what the next plan will do for it. `moved:`
    in the spec does the same through a reviewed plan."""
    c = _context(ctx, given)
    old_type, new_type = old.split(".", 1)[0], new.split(".", 1)[0]
    if old_type != new_type or "." not in new:
        raise StateError(f"cannot move {old} to {new}: an address keeps its type ({old_type}.…)",
                         hint=f"e.g. perso state mv {old} {old_type}.NEW_NAME")
    with c.lock("mv"):
        state = c.read_existing()
        resource = _resource(state, old, c.where)
        if new in state.resources:
            raise StateError(f"{new} is already in the state at {c.where}; nothing was moved",
                             hint=f"remove it first (`perso state rm {new}`) if it is stale")
        del resource
        from ..moves import keep_name_after_mv, rename

        rename(state, old, new)
        note = keep_name_after_mv(state, new, c.spec.resources if c.spec and c.spec.stack == state.stack else None)
        c.backend.write(state)
    click.echo(f"Moved {old} to {new} (serial {state.serial}). {note}")


@state_group.command("pull")
@click.option("--version", "version_id", default=None,
              help="Print this stored version instead of the latest (see `perso state history`).")
@common_options
@click.pass_context
@handle_errors
def pull_command(ctx: click.Context, version_id: str | None, **given: Any) -> None:
    """Print the state as JSON (redirect it to a file to keep or edit a copy)."""
    c = _context(ctx, given)
    state = c.backend.read_version(version_id) if version_id else c.read_existing()
    click.echo(json.dumps(state.to_dict(), indent=2, default=str))


def load_state_file(path: str) -> StateFile:
    from ..state.local import MAX_STATE_BYTES
    from ..state.model import StateFile

    try:
        text = read_bounded(path, "state file", MAX_STATE_BYTES)
    except FileNotFoundError:
        raise StateError(f"cannot read {path}: no such file") from None
    except PersoError as exc:  # a directory, a device, a FIFO, too large, not UTF-8, NUL bytes
        raise StateCorruptError(exc.message, hint="push a file written by `perso state pull` or by a failed apply") \
            from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise StateCorruptError(f"{path} is not valid JSON ({exc})",
                                hint="push a file written by `perso state pull` or by a failed apply") from None
    return StateFile.from_dict(data, source=path)


@state_group.command("push")
@click.argument("state_file", metavar="FILE", type=click.Path())
@click.option("--force", is_flag=True,
              help="Overwrite even a state with another lineage or a serial that is not higher.")
@common_options
@click.pass_context
@handle_errors
def push_command(ctx: click.Context, state_file: str, force: bool, **given: Any) -> None:
    """Replace the stored state with FILE (e.g. errored.perso-state.json after a failed apply, or
    a version pulled for recovery). Refuses another lineage, or a serial not higher than the
    stored one, unless --force."""
    c = _context(ctx, given)
    file = state_file
    pushed = load_state_file(file)
    from ..state import checks

    checks.verify(pushed, file)
    if c.spec is not None and pushed.stack != c.spec.stack and not force:
        raise StaleStateError(f"{file} is the state of stack '{pushed.stack}', not '{c.spec.stack}'",
                              hint="check -f/--state, or pass --force")
    with c.lock("push"):
        stored = c.backend.read()
        if stored.serial:
            if stored.lineage != pushed.lineage and not force:
                raise StaleStateError(
                    f"{file} has lineage {pushed.lineage} but {c.where} has lineage {stored.lineage}: "
                    "they are different states", hint="check -f/--state; --force replaces the stored state")
            if stored.lineage == pushed.lineage and pushed.serial <= stored.serial and not force:
                raise StaleStateError(
                    f"{file} has serial {pushed.serial}, but {c.where} is already at serial {stored.serial}: "
                    "pushing it would undo later changes",
                    hint="pull the current state and edit that, or pass --force to go back to this one")
        c.backend.write(pushed, allow_new_lineage=force)  # type: ignore[call-arg]
    click.echo(f"Pushed {file} to {c.where} (lineage {pushed.lineage}, serial {pushed.serial}).")


@state_group.command("history")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True, help="Newest versions to show.")
@common_options
@click.pass_context
@handle_errors
def history_command(ctx: click.Context, limit: int, **given: Any) -> None:
    """List the stored versions of the state, newest first (S3 with bucket versioning)."""
    c = _context(ctx, given)
    versions = c.backend.history()
    if not versions:
        click.echo(f"No versions of {c.where} found: the state was never written, or the bucket is not versioned.")
        click.echo("Enable versioning to keep every version: "
                   "aws s3api put-bucket-versioning --bucket BUCKET --versioning-configuration Status=Enabled")
        return
    click.echo(f"{'VERSION':<36}  {'MODIFIED':<25}  {'SERIAL':>6}  SIZE")
    for version in versions[:limit]:
        serial = "?"
        if not version.deleted:
            try:
                serial = str(c.backend.read_version(version.version_id).serial)
            except StateError:
                serial = "bad"
        latest = "  (latest)" if version.is_latest else ""
        click.echo(f"{version.version_id:<36}  {version.last_modified:<25}  {serial:>6}  {version.size}{latest}")
    if len(versions) > limit:
        click.echo(f"... {len(versions) - limit} older version(s); --limit shows more")
    click.echo("Recover one with: perso state pull --version ID > old.json && perso state push old.json --force")


@state_group.command("unlock")
@click.argument("lock_id", required=False)
@click.option("--force", is_flag=True, help="Without LOCK_ID: release whatever lock is held, even a live one.")
@common_options
@click.pass_context
@handle_errors
def unlock_command(ctx: click.Context, lock_id: str | None, force: bool, **given: Any) -> None:
    """Release the state lock left behind by a killed or cancelled run (Terraform's force-unlock).

    With LOCK_ID, release that lock. Without it, release the lock only if it was abandoned (its
    lease expired, or its process on this host is gone), or whatever lock is held with --force.
    Releasing the lock of a run that is still going lets another run write the state meanwhile:
    check `perso state lock-info` first."""
    c = _context(ctx, given)
    holder = c.backend.lock_info()
    if holder is None:
        click.echo(f"No lock is held on {c.where}.")
        return
    if lock_id:
        if holder.id != lock_id:
            raise StateError(f"{c.where} is not locked by {lock_id}: it is {_holder(holder)}",
                             hint=f"to release that lock: perso state unlock {holder.id}" if holder.id else
                             "to remove an unreadable lock: perso state unlock --force")
    elif not force and not holder.abandoned():
        raise StateLockedError(
            f"{c.where} is locked by a run that looks alive: {_holder(holder)}", lock=holder,
            hint=f"if you are sure it is gone: perso state unlock {holder.id or '--force'}")
    c.backend.break_lock(holder)
    click.echo(f"Released {_holder(holder)}.")


def _holder(holder: LockInfo) -> str:
    return holder.describe() if holder.id else f"an unreadable lock ({holder.who})"


@state_group.command("lock-info")
@click.option("--json", "as_json", is_flag=True, help="Print the lock as JSON (nothing when unlocked).")
@common_options
@click.pass_context
@handle_errors
def lock_info_command(ctx: click.Context, as_json: bool, **given: Any) -> None:
    """Show who holds the state lock, since when, from which CI run, and whether it was abandoned."""
    c = _context(ctx, given)
    holder = c.backend.lock_info()
    if as_json:
        if holder is not None:
            click.echo(json.dumps({**holder.to_dict(), "abandoned": holder.abandoned()}, indent=2))
        return
    if holder is None:
        click.echo(f"No lock is held on {c.where}.")
        return
    click.echo(f"{c.where} is locked:")
    rows = [("id", holder.id or "(unreadable lock)"), ("operation", holder.operation), ("who", holder.who),
            ("since", holder.created), ("pid", holder.info.get("pid", "?")), ("host", holder.info.get("host", "?"))]
    if holder.info.get("ci_run_url"):
        rows.append(("CI run", holder.info["ci_run_url"]))
    if holder.expires:
        rows.append(("lease until", holder.expires + (" (expired)" if holder.expired() else "")))
    for name, value in rows:
        click.echo(f"  {name + ':':<12} {value}")
    if holder.abandoned():
        click.echo(f"The lock was abandoned; release it with: perso state unlock {holder.id}".rstrip())
    else:
        click.echo(f"If that run is gone, release it with: perso state unlock {holder.id or '--force'}")


@state_group.command("migrate")
@click.option("--to", "target", required=True, help="Where to move the state: s3://BUCKET/KEY (or a path).")
@common_options
@click.pass_context
@handle_errors
def migrate_command(ctx: click.Context, target: str, **given: Any) -> None:
    """Copy the state to another backend (e.g. local to S3), keeping its lineage and serial."""
    c = _context(ctx, given)
    stack = c.spec.stack if c.spec else "default"
    spec_dir = Path(c.opts.file).resolve().parent if c.spec else Path.cwd()
    destination = make_backend(None, target, stack=stack, spec_dir=spec_dir, settings=aws_settings(c.opts, c.spec))
    if destination.describe() == c.where:
        raise StateError(f"the state is already at {c.where}")
    with c.lock("migrate"), locked(destination, "state migrate", timeout=c.lock_timeout):
        state = c.read_existing()
        existing = destination.read()
        if existing.serial:
            if existing.lineage == state.lineage and existing.serial >= state.serial:
                click.echo(f"{destination.describe()} already holds this state (serial {existing.serial}); "
                           "nothing to copy.")
                _after_migration(c, target)
                return
            raise StaleStateError(
                f"{destination.describe()} already holds a state (lineage {existing.lineage}, serial "
                f"{existing.serial}); refusing to overwrite it",
                hint="pick another key, or `perso state push` onto it with --force if it is garbage")
        lineage, serial = state.lineage, state.serial
        destination.write(state)
    click.echo(f"Copied the state from {c.where} to {destination.describe()} "
               f"(lineage {lineage}, serial {state.serial}{'' if state.serial == serial else f', was {serial}'}).")
    _after_migration(c, target)


def _after_migration(c: Context, target: str) -> None:
    if target.startswith("s3://"):
        bucket, _, key = target[5:].partition("/")
        how = f"set `backend: {{s3: {{bucket: {bucket}, key: {key}}}}}` in the spec (or pass --state {target})"
    else:
        how = f"set `backend: {{local: {{path: {target}}}}}` in the spec (or pass --state {target})"
    click.echo(f"Next: {how}. The old state at {c.where} was left as it was; delete it once the spec points "
               "at the new one, so nobody applies against it.")
