"""``maxResults``/``nextToken`` pagination: an opaque token bound to the operation and its filter."""

from __future__ import annotations

import base64
import json

from .. import errors as E


def paginate(op_name: str, items: list, params: dict, scope: str = "") -> tuple[list, str | None]:
    """One page of ``items`` and the token of the next page (``None`` on the last page)."""
    max_results = params.get("maxResults") or 100
    token = params.get("nextToken")
    start = 0
    if token:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
            if decoded["op"] != op_name or decoded["scope"] != scope:
                raise ValueError
            start = int(decoded["at"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise E.invalid_next_token() from None
    page = items[start : start + max_results]
    nxt = None
    if start + max_results < len(items):
        raw = json.dumps({"op": op_name, "scope": scope, "at": start + max_results})
        nxt = base64.urlsafe_b64encode(raw.encode()).decode()
    return page, nxt
