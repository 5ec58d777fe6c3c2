"""Choosing the state backend: `--state` beats the spec's `backend:`, which beats the default
`.perso/state/<stack>.json` in the working directory."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..aws import AwsSettings
from ..errors import StateError
from .backend import StateBackend
from .local import LocalBackend
from .model import StateFile

ERRORED_STATE_FILE = "errored.perso-state.json"


def parse_s3_url(url: str) -> tuple[str, str]:
    rest = url[len("s3://"):]
    bucket, _, key = rest.partition("/")
    if not bucket or not key:
        raise StateError(f"--state {url!r} must be s3://BUCKET/KEY", hint="e.g. s3://my-bucket/perso/movielens.json")
    return bucket, key


def make_backend(spec_backend: Mapping[str, Any] | None, override: str | None, *, stack: str,
                 spec_dir: Path, settings: AwsSettings) -> StateBackend:
    if override:
        if override.startswith("s3://"):
            bucket, key = parse_s3_url(override)
            return _s3(stack, settings, bucket=bucket, key=key)
        return LocalBackend(Path(override), stack=stack)
    if spec_backend and "s3" in spec_backend:
        return _s3(stack, settings, **dict(spec_backend["s3"]))
    if spec_backend and "local" in spec_backend:
        path = Path(spec_backend["local"].get("path") or f".perso/state/{stack}.json")
        return LocalBackend(path if path.is_absolute() else spec_dir / path, stack=stack)
    return LocalBackend(Path(".perso") / "state" / f"{stack}.json", stack=stack)


def _s3(stack: str, settings: AwsSettings, **config: Any) -> StateBackend:
    from .s3 import S3Backend

    return S3Backend(stack=stack, settings=settings, **config)


def save_errored_state(state: StateFile, directory: Path) -> Path:
    """Keep a state that could not be written to its backend, so nothing is forgotten."""
    path = directory / ERRORED_STATE_FILE
    path.write_text(json.dumps(state.to_dict(), indent=2) + "\n")
    return path
