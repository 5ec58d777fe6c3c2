"""``perso emulator``: serve the emulator until Ctrl-C.

The main CLI registers it with ``cli.add_command(emulator_command, "emulator")``; it also runs as
``python -m perso_iac.emulator``.
"""

from __future__ import annotations

import click

from .config import EmulatorConfig
from .server import EmulatorServer


@click.command("emulator")
@click.option("--port", type=int, default=4599, show_default=True, help="Port to listen on (0 picks a free port).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback by default).")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Persist the emulated account here (default: in memory only).")
@click.option("--time-scale", type=click.FloatRange(min=0), default=None,
              help="Multiply realistic durations (1 = realistic, 0.001 = an hour in 3.6 s, 0 = instant). "
                   "[env PERSO_EMULATOR_TIME_SCALE, default 1]")
@click.option("--latency-ms", type=click.FloatRange(min=0), default=None,
              help="Latency added to every request. [env PERSO_EMULATOR_LATENCY_MS]")
@click.option("--throttle-rate", type=click.FloatRange(min=0, max=1), default=None,
              help="Probability of answering ThrottlingException. [env PERSO_EMULATOR_THROTTLE_RATE]")
@click.option("--fail", "fail", multiple=True, metavar="TYPE:NAME-GLOB",
              help="Force CREATE FAILED for matching resources, e.g. 'solution_version:*'. Repeatable. "
                   "[env PERSO_EMULATOR_FAIL, comma-separated]")
@click.option("--region", default="us-east-1", show_default=True, help="Region used in ARNs.")
@click.option("--account-id", default="123456789012", show_default=True, help="Account id used in ARNs.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the throttling RNG.")
def emulator_command(port, host, data_dir, time_scale, latency_ms, throttle_rate, fail, region, account_id, seed):
    """Run a local Amazon Personalize emulator that boto3 can talk to.

    Point clients at it with AWS_ENDPOINT_URL_PERSONALIZE=http://HOST:PORT (any credentials).
    """
    try:
        config = EmulatorConfig.from_env(
            time_scale=time_scale,
            latency_ms=latency_ms,
            throttle_rate=throttle_rate,
            fail=list(fail) or None,
            data_dir=data_dir,
            region=region,
            account_id=account_id,
            seed=seed,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    server = EmulatorServer(config, host=host, port=port)
    try:
        server._bind()
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from None
    where = f"data in {config.data_dir}" if config.data_dir else "in memory"
    click.echo(f"perso emulator listening on {server.endpoint_url} (time scale {config.time_scale}, {where})")
    click.echo(f"  export AWS_ENDPOINT_URL_PERSONALIZE={server.endpoint_url}")
    click.echo("Press Ctrl-C to stop.", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
