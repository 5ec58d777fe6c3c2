"""Describe*/List* handlers that only read records, made from a table row each."""

from __future__ import annotations

from .account import Account, Handler


def describe(rtype: str, arn_param: str) -> Handler:
    """``Describe<X>``: the view of the ``rtype`` record named by ``params[arn_param]``."""

    def handler(acct: Account, p: dict) -> dict:
        return acct.describe(rtype, p[arn_param])

    return handler


def listing(op_name: str, rtype: str, result_key: str, filter_key: str | None) -> Handler:
    """``List<X>s``: a page of ``rtype`` views, optionally filtered on the parent ``params[filter_key]``."""

    def handler(acct: Account, p: dict) -> dict:
        return acct.list(op_name, rtype, result_key, p, filter_key)

    return handler
