"""Choosing the state backend: `--state` beats the spec's `backend:`, which beats the default
`.perso/state/<stack>.json` in the working directory.

    --state s3://bucket/key    S3 (region, kms_key_id and endpoint_url still come from the spec's
                               `backend: {s3: ...}` when it has one)
    --state path/to/state.json a local file, relative to the working directory
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..aws import AwsSettings
from ..errors import StateError
from .backend import StateBackend
from .local import LocalBackend
from .model import StateFile

ERRORED_STATE_FILE = "errored.perso-state.json"
S3_OPTIONS = ("bucket", "key", "region", "kms_key_id", "endpoint_url")


def parse_s3_url(url: str) -> tuple[str, str]:
    rest = url[len("s3://"):]
    bucket, _, key = rest.partition("/")
    if not bucket or not key or key.endswith("/"):
        raise StateError(f"--state {url!r} must be s3://BUCKET/KEY", hint="e.g. s3://my-bucket/perso/movielens.json")
    return bucket, key


def make_backend(spec_backend: Mapping[str, Any] | None, override: str | None, *, stack: str,
                 spec_dir: Path, settings: AwsSettings) -> StateBackend:
    spec_s3 = dict(spec_backend["s3"]) if spec_backend and spec_backend.get("s3") else None
    if override:
        if override.startswith("s3://"):
            bucket, key = parse_s3_url(override)
            inherited = {k: v for k, v in (spec_s3 or {}).items() if k in ("region", "kms_key_id", "endpoint_url")}
            return _s3(stack, settings, **inherited, bucket=bucket, key=key)
        if "://" in override:
            raise StateError(f"--state {override!r}: only local paths and s3://BUCKET/KEY are supported")
        return LocalBackend(Path(override), stack=stack)
    if spec_s3 is not None:
        return _s3(stack, settings, **spec_s3)
    if spec_backend and "local" in spec_backend:
        path = Path((spec_backend["local"] or {}).get("path") or f".perso/state/{stack}.json")
        return LocalBackend(path if path.is_absolute() else spec_dir / path, stack=stack)
    return LocalBackend(Path(".perso") / "state" / f"{stack}.json", stack=stack)


def _s3(stack: str, settings: AwsSettings, **config: Any) -> StateBackend:
    from .s3 import S3Backend

    unknown = sorted(set(config) - set(S3_OPTIONS))
    if unknown:
        raise StateError(f"backend.s3 has unknown option(s): {', '.join(unknown)}",
                         hint=f"the S3 backend takes {', '.join(S3_OPTIONS)}")
    if not config.get("bucket") or not config.get("key"):
        raise StateError("backend.s3 needs a bucket and a key", hint="e.g. backend: {s3: {bucket: b, key: k.json}}")
    return S3Backend(stack=stack, settings=settings, **{k: v for k, v in config.items() if v not in (None, "")})


def save_errored_state(state: StateFile, directory: Path) -> Path:
    """Keep a state that could not be written to its backend, so nothing is forgotten.

    The file gets the next serial, so `perso state push FILE` accepts it over the stored state it
    was read from (and refuses it, without --force, if someone else wrote the state meanwhile).
    An earlier errored file of another lineage or a later serial is not overwritten."""
    data = {**state.to_dict(), "serial": state.serial + 1}
    path = directory / ERRORED_STATE_FILE
    try:
        existing = json.loads(path.read_text())
        if existing.get("lineage") != state.lineage or int(existing.get("serial", 0)) > data["serial"]:
            path = directory / f"errored.perso-state.{time.strftime('%Y%m%dT%H%M%S')}.{os.getpid()}.json"
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps(data, indent=2) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
