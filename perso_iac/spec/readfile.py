"""Read a user-supplied text file with bounds: a regular file, of limited size, UTF-8, without NUL.

`/dev/zero`, `/dev/random`, FIFOs and directories are refused before anything is read (reading
them would never end or block forever); a file larger than its limit is refused without being
read whole. Errors are `SpecError`s naming the file (and line:col for a NUL byte).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import SpecError

MiB = 1024 * 1024
SPEC_MAX_BYTES = 1 * MiB      # a spec or a var file; real specs are a few KiB
SCHEMA_MAX_BYTES = 1 * MiB    # CreateSchema takes at most 20,000 characters anyway


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bounded(path: str | Path, what: str, max_bytes: int, *, display: str | None = None) -> str:
    """The text of `path`, or `SpecError`. `what` names the file's role ("spec file", ...)."""
    name = display or str(path)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; the fstat below refuses it
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise SpecError(f"{what} {name} is a directory, not a file", hint="pass the path of a file") from None
    except OSError as exc:
        raise SpecError(f"cannot read {what} {name}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SpecError(f"{what} {name} is {_kind(info.st_mode)}, not a regular file",
                            hint="pass the path of a regular file")
        if info.st_size > max_bytes:
            raise SpecError(f"{what} {name} is too large ({info.st_size:,} bytes; the limit is {max_bytes:,})",
                            hint="check that this is the right file")
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        total = 0
        while True:  # the file may grow after fstat: never read past the limit
            chunk = os.read(fd, min(1 << 16, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise SpecError(f"{what} {name} is too large (more than {max_bytes:,} bytes)",
                                hint="check that this is the right file")
    except OSError as exc:
        raise SpecError(f"cannot read {what} {name}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(data, exc.start)
        raise SpecError(f"{name}:{line}:{col}: {what} is not UTF-8 text ({exc.reason} at byte {exc.start})",
                        hint="save the file as UTF-8") from None
    nul = text.find("\x00")
    if nul >= 0:
        line, col = _line_col(text, nul)
        raise SpecError(f"{name}:{line}:{col}: {what} contains a NUL character",
                        hint="this looks like a binary file; remove the NUL bytes or pass the right file")
    return text


def _line_col(text: str | bytes, index: int) -> tuple[int, int]:
    newline = "\n" if isinstance(text, str) else b"\n"
    line = text.count(newline, 0, index) + 1  # type: ignore[arg-type]
    start = text.rfind(newline, 0, index) + 1  # type: ignore[arg-type]
    return line, index - start + 1
