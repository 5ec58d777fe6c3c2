"""From options to what the engine works on: the AWS client (or the embedded emulator with
--local), the state backend, the waiter, and where a saved plan came from."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .options import Options, parse_vars

if TYPE_CHECKING:
    from ..aws import AwsSettings
    from ..engine import Workspace
    from ..planfile import Origin
    from ..spec.model import Spec
    from ..state.backend import StateBackend
    from ..wait import Waiter

LOCAL_DIR = ".perso"
LOCAL_TIME_SCALE = 0.001  # an hour of training takes 3.6 s in the embedded emulator


def local_endpoint(opts: Options) -> str:
    """Start the embedded emulator over `.perso/emulator` for the duration of the command."""
    from ..emulator import EmulatorConfig, EmulatorServer

    scale = None if os.environ.get("PERSO_EMULATOR_TIME_SCALE") else LOCAL_TIME_SCALE
    config = EmulatorConfig.from_env(data_dir=Path(LOCAL_DIR) / "emulator", time_scale=scale)
    server = EmulatorServer(config, port=0).start()
    opts.cleanups.append(server.stop)
    return server.endpoint_url


def aws_settings(opts: Options, spec: Spec | None = None) -> AwsSettings:
    from ..aws import AwsSettings

    return AwsSettings(region=opts.region or (spec.region if spec else None), profile=opts.profile,
                       max_pool_connections=opts.parallelism, local=opts.local)


def personalize_client(opts: Options, spec: Spec | None = None) -> Any:
    """A Personalize client: AWS through boto3's chain, or the embedded emulator with --local."""
    from ..aws import make_client

    endpoint = local_endpoint(opts) if opts.local else None
    return make_client("personalize", aws_settings(opts, spec), endpoint_url=endpoint)


def state_backend(opts: Options, spec: Spec) -> StateBackend:
    """--state wins; with --local the spec's backend is ignored in favour of .perso/state/."""
    from ..state.factory import make_backend

    spec_dir = Path(opts.file).resolve().parent
    return make_backend(None if opts.local and not opts.state else spec.backend, opts.state,
                        stack=spec.stack, spec_dir=spec_dir, settings=aws_settings(opts, spec))


def workspace(opts: Options, spec: Spec) -> Workspace:
    """What the engine works on: the client, the state backend, prices, quotas and promotions."""
    from ..aws import make_tagging_client
    from ..engine import Workspace
    from ..quotas import service_quotas_client

    client = personalize_client(opts, spec)
    quotas = service_quotas_client(aws_settings(opts, spec), client.meta.region_name,
                                   client.meta.endpoint_url if opts.local else None)
    tagging = make_tagging_client(aws_settings(opts, spec), client)
    return Workspace(spec=spec, backend=state_backend(opts, spec), client=client, tagging=tagging,
                     parallelism=opts.parallelism,
                     lock_timeout=opts.lock_timeout, prices=price_catalogue(opts, spec, client), check_quotas=True,
                     service_quotas=quotas, promote=frozenset(opts.promote))


def price_catalogue(opts: Options, spec: Spec, client: Any) -> Any:
    """The prices for the client's region: built-in, overridden by cost.prices_file, then --prices."""
    from ..cost import load_catalogue

    return load_catalogue(client.meta.region_name, opts.prices or spec.prices_file)


def waiter_for(opts: Options) -> Waiter:
    """Polls fitted to each type's typical duration, on the embedded emulator's clock with --local;
    PERSO_POLL_INITIAL/PERSO_POLL_MAX fix the delays instead (tests on an instant emulator)."""
    from ..wait import Waiter

    if "PERSO_POLL_INITIAL" in os.environ or "PERSO_POLL_MAX" in os.environ:
        return Waiter(initial_delay=float(os.environ.get("PERSO_POLL_INITIAL", 2.0)),
                      max_delay=float(os.environ.get("PERSO_POLL_MAX", 30.0)), fixed=True)
    if opts.local:
        scale = float(os.environ.get("PERSO_EMULATOR_TIME_SCALE", LOCAL_TIME_SCALE))
        return Waiter(time_scale=max(scale, 0.0001))
    return Waiter()


def plan_origin(opts: Options, spec: Spec, ws: Workspace) -> Origin:
    """What `perso apply FILE` needs to find the state and the spec again, with no -f or --state."""
    from ..planfile import Origin

    return Origin(spec_file=_portable(opts.file), variables=parse_vars(opts.vars),
                  var_files=tuple(_portable(f) for f in opts.var_files),
                  state=opts.state if opts.state is None or opts.state.startswith("s3://") else _portable(opts.state),
                  backend=spec.backend, backend_description=ws.backend.describe(),
                  region=opts.region or spec.region, local=opts.local)


def _portable(path: str) -> str:
    """`path` relative to the working directory when it is under it (CI checkouts move around)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(Path(path).resolve())
