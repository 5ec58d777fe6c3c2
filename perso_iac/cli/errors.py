"""Errors to messages and exit codes, in one place: 0 success; 2 changes present (`plan
--detailed-exitcode`) or drift (`drift`), and nothing else ever exits 2; 1 every error, click's
usage errors included (click's own default for them is 2); 130 interrupted. With `--format json`
the error is also one JSON document on stdout. See docs/ci.md."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from ..errors import PersoError, SpecValidationError
from .display import console_for, escape
from .options import Options


def _print_json_error(command: str | None, exc: BaseException, exit_code: int = 1, **info: Any) -> None:
    from ..output.json import error_document, error_info, to_json

    click.echo(to_json(error_document(command, error_info(exc, **info), exit_code)))


def handle_errors(func: Callable) -> Callable:
    """Turn perso's errors into a message, a hint and exit code 1 (130 when interrupted); never a
    traceback. With `--format json`, the error is also a JSON document on stdout."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        opts: Options = ctx.find_object(Options) or Options()
        err = console_for(opts, stderr=True)

        def fail(exc: BaseException, exit_code: int = 1, **info: Any) -> None:
            if kwargs.get("fmt") == "json" and not opts.emitted:
                _print_json_error(ctx.command_path.partition(" ")[2] or None, exc, exit_code, **info)
            ctx.exit(exit_code)

        try:
            return func(*args, **kwargs)
        except SpecValidationError as exc:
            for problem in exc.problems:
                err.print(f"[red]error[/red] {escape(str(problem))}")
            err.print(f"[red]Error:[/red] {escape(exc.message)}")
            fail(exc)
        except PersoError as exc:
            err.print(f"[red]Error:[/red] {escape(exc.message)}")
            if exc.hint:
                err.print(f"[dim]hint: {escape(exc.hint)}[/dim]")
            fail(exc)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt as exc:
            message = "Interrupted. State was saved after every completed step; run the command again."
            err.print(f"[red]Interrupted.[/red] {message.removeprefix('Interrupted. ')}")
            fail(exc, 130, code="interrupted", message=message)
        except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
            if opts.debug:
                raise
            err.print(f"[red]Internal error:[/red] {escape(type(exc).__name__)}: {escape(str(exc))}")
            hint = "run again with --debug for a traceback, and report it"
            err.print(f"[dim]hint: {hint}[/dim]")
            fail(exc, message=f"Internal error: {type(exc).__name__}: {exc}", hint=hint)

    return wrapper


def _wants_json(args: list[str]) -> bool:
    """Whether the command line asks for `--format json` (read before click could parse it)."""
    return any(a == "--format=json" or (a == "--format" and b == "json") for a, b in zip(args, [*args[1:], ""], strict=True))


class PersoGroup(click.Group):
    """click's group, with exit code 1 for usage errors (click's default, 2, means "changes" here)."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        argv = list(sys.argv[1:] if args is None else args)
        try:
            code = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            exc.show()
            if _wants_json(argv):
                command = next((a for a in argv if a in self.commands), None)
                file = exc.filename if isinstance(exc, click.FileError) else None
                _print_json_error(command, exc, code="usage_error", message=exc.format_message(), file=file)
            sys.exit(1)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)
