"""The options every command takes, given on the group (`perso --local plan`) or on the command
(`perso plan --local`), and reading the spec they name."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

from ..errors import PersoError

if TYPE_CHECKING:
    from ..spec.model import Spec


@dataclass
class Options:
    """Common options; given on the group (`perso --local plan`) or the command (`perso plan --local`)."""

    file: str = "perso.yaml"
    vars: tuple[str, ...] = ()
    var_files: tuple[str, ...] = ()
    region: str | None = None
    profile: str | None = None
    parallelism: int = 10
    no_color: bool = False
    local: bool = False
    state: str | None = None
    debug: bool = False
    lock_timeout: float = 0.0
    promote: tuple[str, ...] = ()
    prices: str | None = None
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    emitted: bool = False  # the command's document is on stdout: an error adds no second one


class Duration(click.ParamType):
    """Seconds, or a number with s/m/h: `30`, `90s`, `5m`, `1h`."""

    name = "duration"
    _UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, int | float):
            return float(value)
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", str(value))
        if not match:
            self.fail(f"{value!r} is not a duration (e.g. 30s, 5m, 1h)", param, ctx)
        return float(match.group(1)) * self._UNITS[match.group(2)]


_COMMON = [
    click.option("-f", "--file", "file", default=None, help="The spec file (default perso.yaml)."),
    click.option("--var", "vars", multiple=True, help="Set a variable: KEY=VALUE (repeatable)."),
    click.option("--var-file", "var_files", multiple=True, help="YAML/JSON file of variables (repeatable)."),
    click.option("--region", default=None, help="AWS region (default: from the spec or AWS config)."),
    click.option("--profile", default=None, help="AWS profile."),
    click.option("--parallelism", type=click.IntRange(1, 64), default=None, help="Concurrent AWS operations (10)."),
    click.option("--no-color", is_flag=True, default=None, help="Plain output (NO_COLOR is honoured too)."),
    click.option("--local", is_flag=True, default=None,
                 help="Use the embedded Personalize emulator and local state under .perso/."),
    click.option("--state", default=None, help="State location: a path or s3://bucket/key."),
    click.option("--debug", is_flag=True, default=None, help="Show tracebacks for unexpected errors."),
    click.option("--lock-timeout", type=Duration(), default=None,
                 help="How long to wait for a held state lock (e.g. 30s, 5m; default: fail at once)."),
    click.option("--prices", type=click.Path(dir_okay=False), default=None,
                 help="Price catalogue overriding the built-in one (JSON/YAML; wins over the spec's cost.prices_file)."),
]

_PLANNING = [
    click.option("--replace", "replace", multiple=True, metavar="ADDRESS",
                 help="Replace ADDRESS although unchanged: recreate it, re-run an import, retrain a solution "
                      "version (repeatable; what depends on it follows as for any replacement)."),
    click.option("--target", "targets", multiple=True, metavar="ADDRESS",
                 help="Plan only ADDRESS and what it depends on (repeatable); other changes stay pending."),
    click.option("--refresh/--no-refresh", "refresh", default=True,
                 help="--no-refresh: plan from the state alone, without reading AWS."),
    click.option("--promote", multiple=True, metavar="ADDRESS",
                 help="Move this campaign to the version its promotion gate held back (repeatable)."),
]


def planning_options(func: Callable) -> Callable:
    """--replace, --target, --no-refresh and --promote: what `plan` and `apply` plan with."""
    for option in reversed(_PLANNING):
        func = option(func)
    return func


def common_options(func: Callable) -> Callable:
    for option in reversed(_COMMON):
        func = option(func)
    return func


def set_given(opts: Options, given: dict[str, Any]) -> Options:
    for key, value in given.items():
        if value not in (None, ()):
            setattr(opts, key, value)
    return opts


def merged_options(ctx: click.Context, given: dict[str, Any]) -> Options:
    """The group's options overridden by the command's own."""
    return set_given(ctx.find_object(Options) or Options(), given)


def parse_vars(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise PersoError(f"--var {pair!r} is not KEY=VALUE", hint="e.g. --var env=prod")
        key, value = pair.split("=", 1)
        out[key.strip()] = value
    return out


def load(opts: Options) -> Spec:
    from ..spec.loader import load_spec  # jsonschema and the YAML loader: only for commands that read a spec

    return load_spec(opts.file, variables=parse_vars(opts.vars), var_files=opts.var_files)


FORMATS = ["text", "json", "markdown"]
FORMAT_HELP = "Output: text (default; colour on a terminal), json (docs/perso-json.schema.json) or markdown."


def format_option(func: Callable) -> Callable:
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", help=FORMAT_HELP)(func)
