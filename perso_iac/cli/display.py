"""Where output goes: consoles (emoji codes off, so user text prints as written), one document
per format on stdout, apply progress, and the confirmation prompt."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING

import click

from ..errors import PersoError
from .options import Options

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from ..apply import ApplyEvent


def escape(text: str) -> str:
    """rich's markup escape, loaded with the first thing printed (not by `perso --help`)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def console_for(opts: Options, stderr: bool = False) -> Console:
    from rich.console import Console

    no_color = opts.no_color or "NO_COLOR" in os.environ
    return Console(stderr=stderr, no_color=no_color, highlight=False, soft_wrap=True, emoji=False,
                   force_terminal=None if not no_color else False)


def emit(opts: Options, fmt: str, *, text: Callable[[], str], document: Callable[[], dict],
         markdown: Callable[[], str]) -> None:
    """Print the result in the chosen format: JSON and markdown on stdout, alone."""
    if fmt == "json":
        from ..output.json import to_json

        click.echo(to_json(document()))
    elif fmt == "markdown":
        click.echo(markdown())
    else:
        console_for(opts).print(text())
    opts.emitted = True


def _value(value: object) -> str:
    """An event's kind or step as its string value, whether a str or a str-valued Enum."""
    return str(value.value) if isinstance(value, Enum) else str(value)


class Progress:
    """Apply progress. In CI and logs: one timestamped line per event. On a terminal: finished
    steps scroll by while a live table shows what is in flight, its status and for how long."""

    def __init__(self, console: Console) -> None:
        from rich.live import Live

        self.console = console
        self.started = time.monotonic()
        self.active: dict[str, tuple[str, str, float]] = {}  # address -> (step, status, since)
        self._lock = threading.Lock()
        self._live = Live(console=console, refresh_per_second=4, transient=True) if console.is_terminal else None

    def __enter__(self) -> Progress:
        return self  # the live display starts with the first event: after the plan and the prompt

    def __exit__(self, *exc: object) -> None:
        if self._live and self._live.is_started:
            self._live.stop()

    def __call__(self, event: ApplyEvent) -> None:
        kind = _value(event.kind)
        with self._lock:
            if self._live and not self._live.is_started:
                self.started = time.monotonic()
                self._live.start()
            now = time.monotonic()
            if kind in ("start", "progress"):
                step, _, since = self.active.get(event.address, (_value(event.step), "", now))
                self.active[event.address] = (step, event.message if kind == "progress" else "", since)
            else:
                self.active.pop(event.address, None)
            if self._live is None or kind not in ("start", "progress"):
                self._print(event, kind, now)
            if self._live:
                self._live.update(self)

    def _print(self, event: ApplyEvent, kind: str, now: float) -> None:
        style = {"done": "green", "failed": "red", "skipped": "yellow"}.get(kind, "cyan")
        stamp = f"{now - self.started:6.1f}s" if self._live else time.strftime("%H:%M:%S")
        text = f"{kind}: {_value(event.step)}" + (f" ({event.message})" if event.message else "")
        self.console.print(f"[dim]{stamp}[/dim] {escape(event.address)}: [{style}]{escape(text)}[/{style}]")

    def __rich__(self) -> Table:
        """Rendered by the live display on every refresh, so the elapsed times keep counting."""
        from rich.table import Table

        now = time.monotonic()
        table = Table(box=None, show_header=False, padding=(0, 1))
        for address, (step, status, since) in sorted(self.active.items()):
            table.add_row("[cyan]…[/cyan]", escape(address), escape(step), escape(status), f"{now - since:5.0f}s")
        return table


def confirm(console: Console, what: str) -> bool:
    """Terraform's rule: only "yes" confirms, typed or piped (`echo yes | perso apply`); any other
    answer cancels. No answer at all (a CI job without input) is an error, so it cannot pass unseen."""
    console.print(f"\n[bold]Do you want to {what}?[/bold] Only 'yes' will be accepted.")
    try:
        answer = click.prompt("  Enter a value", default="", show_default=False)
    except click.Abort:  # end of input: nothing typed or piped in
        raise PersoError(f"{what} needs confirmation, but the input ended without an answer; nothing was changed",
                         hint="answer 'yes' (typed, or piped: `echo yes | perso apply`), "
                              "or pass --auto-approve") from None
    return answer.strip() == "yes"
