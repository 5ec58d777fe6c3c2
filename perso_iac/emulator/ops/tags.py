"""TagResource, UntagResource and ListTagsForResource on any emulated resource."""

from __future__ import annotations

from .. import errors as E
from .account import Account


def _taggable(acct: Account, arn: str) -> dict:
    rec = acct.resources.get(arn)
    if rec is None:
        raise E.not_found(f"Could not find the resource with ARN {arn}.")
    return rec


def tag_resource(acct: Account, p: dict) -> dict:
    rec = _taggable(acct, p["resourceArn"])
    acct.check_tags(p["tags"])
    current = dict(acct.tags.get(rec["arn"], {}))
    current.update({t["tagKey"]: t.get("tagValue", "") for t in p["tags"]})
    limit = acct.config.quota("tags_per_resource")
    if len(current) > limit:
        raise E.too_many_tags(f"A resource can have at most {limit} tags; this request would give it {len(current)}.")
    acct.touch_tags(rec["arn"])
    acct.tags[rec["arn"]] = current
    return {}


def untag_resource(acct: Account, p: dict) -> dict:
    rec = _taggable(acct, p["resourceArn"])
    limit = acct.config.quota("tags_per_resource")
    if len(p["tagKeys"]) > limit:
        raise E.too_many_tag_keys(f"The request can name at most {limit} tag keys.")
    acct.touch_tags(rec["arn"])
    current = acct.tags.get(rec["arn"], {})
    for key in p["tagKeys"]:
        current.pop(key, None)
    if current:
        acct.tags[rec["arn"]] = current
    else:
        acct.tags.pop(rec["arn"], None)
    return {}


def list_tags_for_resource(acct: Account, p: dict) -> dict:
    rec = _taggable(acct, p["resourceArn"])
    tags = acct.tags.get(rec["arn"], {})
    return {"tags": [{"tagKey": k, "tagValue": v} for k, v in sorted(tags.items())]}


OPERATIONS = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
