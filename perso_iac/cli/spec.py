"""`perso validate` and `perso schema`: the spec alone, no AWS (and no boto3 imported)."""

from __future__ import annotations

import json
from typing import Any

import click

from ..errors import PersoError, SpecValidationError
from .display import emit, escape
from .errors import handle_errors
from .options import common_options, format_option, load, merged_options


@click.command()
@common_options
@format_option
@click.pass_context
@handle_errors
def validate(ctx: click.Context, fmt: str, **given: Any) -> None:
    """Check the spec without calling AWS: structure, references, names, Avro schemas, recipes."""
    opts = merged_options(ctx, given)
    try:
        spec = load(opts)
    except SpecValidationError as exc:
        if fmt != "text":
            doc = _validate_report(problems=exc.problems)
            emit(opts, fmt, text=str, document=lambda: doc, markdown=lambda: _validate_markdown(doc))
            ctx.exit(1)
        raise
    except PersoError as exc:
        if fmt != "text":
            doc = _validate_report(error=exc.message)
            emit(opts, fmt, text=str, document=lambda: doc, markdown=lambda: _validate_markdown(doc))
        raise

    def doc() -> dict[str, Any]:
        return _validate_report(stack=spec.stack, resources=len(spec.resources))

    emit(opts, fmt, document=doc, markdown=lambda: _validate_markdown(doc()),
         text=lambda: f"[green]The spec is valid:[/green] {len(spec.resources)} resources in stack "
                      f"'{escape(spec.stack)}'.")


def _validate_report(**fields: Any) -> dict[str, Any]:
    from ..output.json import validate_report  # for --format json/markdown only: text skips its imports

    return validate_report(**fields)


def _validate_markdown(doc: dict[str, Any]) -> str:
    from ..output.markdown import validate_markdown

    return validate_markdown(doc)


@click.command("schema")
def schema_command() -> None:
    """Print the spec's JSON Schema for editors (docs/perso-spec.schema.json; see docs/spec.md)."""
    from ..spec.editor import editor_schema

    click.echo(json.dumps(editor_schema(), indent=2))
