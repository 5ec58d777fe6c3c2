"""The CBOR (RFC 8949) subset that Smithy's RPC v2 CBOR protocol carries: what boto3 speaks to
services whose model lists `smithy-rpc-v2-cbor` first (the Resource Groups Tagging API, from
botocore 1.42 on). Maps, arrays, text and byte strings, integers, floats, booleans and null; definite
and indefinite lengths on input, definite on output. Tags (e.g. 1, epoch timestamps) decode to their
content."""

from __future__ import annotations

import struct
from typing import Any

from .errors import ApiError

_BREAK = object()
MAX_DEPTH = 64  # a request body deeper than this is refused, not recursed into


class CborError(ValueError):
    pass


def decode(data: bytes) -> Any:
    """The one data item `data` holds; CborError when it is malformed or has bytes left over."""
    value, end = _item(data, 0, 0)
    if value is _BREAK or end != len(data):
        raise CborError("trailing or misplaced bytes after the CBOR data item")
    return value


def _argument(data: bytes, pos: int, info: int) -> tuple[int | None, int]:
    if info < 24:
        return info, pos
    sizes = {24: 1, 25: 2, 26: 4, 27: 8}
    if info == 31:
        return None, pos  # indefinite length
    if info not in sizes:
        raise CborError(f"reserved additional information {info}")
    size = sizes[info]
    if pos + size > len(data):
        raise CborError("truncated CBOR data")
    return int.from_bytes(data[pos:pos + size], "big"), pos + size


def _item(data: bytes, pos: int, depth: int) -> tuple[Any, int]:
    if depth > MAX_DEPTH:
        raise CborError("CBOR nesting too deep")
    if pos >= len(data):
        raise CborError("truncated CBOR data")
    initial = data[pos]
    major, info = initial >> 5, initial & 0x1F
    pos += 1
    if initial == 0xFF:
        return _BREAK, pos
    if major == 7:
        return _simple(data, pos, info)
    arg, pos = _argument(data, pos, info)
    if major == 0:
        return _definite(arg), pos
    if major == 1:
        return -1 - _definite(arg), pos
    if major in (2, 3):
        return _string(data, pos, major, arg, depth)
    if major == 4:
        items: list[Any] = []
        while arg is None or len(items) < arg:
            value, pos = _item(data, pos, depth + 1)
            if value is _BREAK:
                if arg is None:
                    break
                raise CborError("break inside a definite-length array")
            items.append(value)
        return items, pos
    if major == 5:
        result: dict[Any, Any] = {}
        count = 0
        while arg is None or count < arg:
            key, pos = _item(data, pos, depth + 1)
            if key is _BREAK:
                if arg is None:
                    break
                raise CborError("break inside a definite-length map")
            value, pos = _item(data, pos, depth + 1)
            if value is _BREAK:
                raise CborError("map key without a value")
            result[key] = value
            count += 1
        return result, pos
    return _item(data, pos, depth + 1)  # major 6: a tag; its content is the value


def _definite(arg: int | None) -> int:
    if arg is None:
        raise CborError("indefinite length on an integer")
    return arg


def _string(data: bytes, pos: int, major: int, arg: int | None, depth: int) -> tuple[Any, int]:
    if arg is None:  # chunks of the same major type until a break
        chunks = []
        while True:
            chunk, pos = _item(data, pos, depth + 1)
            if chunk is _BREAK:
                break
            if not isinstance(chunk, str if major == 3 else bytes):
                raise CborError("mixed chunk types in an indefinite-length string")
            chunks.append(chunk)
        return ("" if major == 3 else b"").join(chunks), pos
    if pos + arg > len(data):
        raise CborError("truncated CBOR string")
    raw = data[pos:pos + arg]
    if major == 2:
        return bytes(raw), pos + arg
    try:
        return raw.decode("utf-8"), pos + arg
    except UnicodeDecodeError as exc:
        raise CborError("text string is not UTF-8") from exc


def _simple(data: bytes, pos: int, info: int) -> tuple[Any, int]:
    simple = {20: False, 21: True, 22: None, 23: None}
    if info in simple:
        return simple[info], pos
    formats = {25: (">e", 2), 26: (">f", 4), 27: (">d", 8)}
    if info not in formats:
        raise CborError(f"unsupported simple value {info}")
    fmt, size = formats[info]
    if pos + size > len(data):
        raise CborError("truncated CBOR float")
    return struct.unpack(fmt, data[pos:pos + size])[0], pos + size


def encode(value: Any) -> bytes:
    out = bytearray()
    _encode(out, value)
    return bytes(out)


def _head(out: bytearray, major: int, arg: int) -> None:
    if arg < 24:
        out.append(major << 5 | arg)
    elif arg < 1 << 8:
        out += bytes((major << 5 | 24, arg))
    elif arg < 1 << 16:
        out.append(major << 5 | 25)
        out += arg.to_bytes(2, "big")
    elif arg < 1 << 32:
        out.append(major << 5 | 26)
        out += arg.to_bytes(4, "big")
    else:
        out.append(major << 5 | 27)
        out += arg.to_bytes(8, "big")


def _encode(out: bytearray, value: Any) -> None:
    if value is None:
        out.append(0xF6)
    elif value is True or value is False:
        out.append(0xF5 if value else 0xF4)
    elif isinstance(value, int):
        _head(out, 0, value) if value >= 0 else _head(out, 1, -1 - value)
    elif isinstance(value, float):
        out.append(0xFB)
        out += struct.pack(">d", value)
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        _head(out, 3, len(raw))
        out += raw
    elif isinstance(value, bytes | bytearray):
        _head(out, 2, len(value))
        out += value
    elif isinstance(value, list | tuple):
        _head(out, 4, len(value))
        for item in value:
            _encode(out, item)
    elif isinstance(value, dict):
        _head(out, 5, len(value))
        for key, item in value.items():
            _encode(out, key)
            _encode(out, item)
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as CBOR")


def parse_body(body: bytes) -> dict:
    """A request body as the operation's input map: empty for no body, else a CBOR map."""
    if not body:
        return {}
    try:
        value = decode(body)
    except CborError as exc:
        raise ApiError("SerializationException", f"The request body is not valid CBOR: {exc}") from exc
    if not isinstance(value, dict):
        raise ApiError("SerializationException", "The request body must be a CBOR map.")
    return value
