"""The Resource Groups Tagging API's GetResources, over the emulated Personalize resources.

AWS documents Personalize resources as retrievable through GetResources
(https://docs.aws.amazon.com/personalize/latest/dg/tagging-resources.html); perso reads the tags
of up to 100 resources in one call with it (``ResourceARNList``) instead of one
ListTagsForResource each. As documented for the API: untagged resources are never returned, ARNs
in ``ResourceARNList`` that do not exist are skipped without an error, and ``ResourceARNList``
cannot be combined with ``ResourceTypeFilters`` or with the pagination parameters. Tags are
``{"Key", "Value"}`` here, not Personalize's ``{"tagKey", "tagValue"}``.

Served by the same HTTP server, routed by ``X-Amz-Target: ResourceGroupsTaggingAPI_20170126.<Op>``
(AWS JSON 1.1) or ``POST /service/ResourceGroupsTaggingAPI_20170126/operation/<Op>`` (Smithy RPC v2
CBOR, which botocore uses for this service since 1.42).
"""

from __future__ import annotations

from .. import errors as E
from .account import Account
from .paging import paginate

SERVICE_NAME = "resourcegroupstaggingapi"
TARGET = "ResourceGroupsTaggingAPI_20170126"
PAGE_SIZE = 100  # the emulator's page when ResourcesPerPage is not given
_PAGINATION = ("PaginationToken", "ResourcesPerPage", "TagsPerPage")


def _invalid(message: str) -> E.ApiError:
    return E.ApiError("InvalidParameterException", message)


def _resource_type(arn: str) -> str:
    """`personalize:campaign` for `arn:aws:personalize:<region>:<account>:campaign/<name>`."""
    parts = arn.split(":", 5)
    return f"{parts[2]}:{parts[5].split('/', 1)[0]}" if len(parts) == 6 else ""


def _matches_types(arn: str, filters: list[str]) -> bool:
    if not filters:
        return True
    service, kind = _resource_type(arn).split(":", 1)
    return any(f == service or f == f"{service}:{kind}" for f in filters)


def _matches_tags(tags: dict[str, str], filters: list[dict]) -> bool:
    return all(f["Key"] in tags and (not f.get("Values") or tags[f["Key"]] in f["Values"]) for f in filters)


def get_resources(acct: Account, p: dict) -> dict:
    index = acct.config.tagging_snapshot
    tags = acct.tags if index is None else index  # a lagging index (config.tagging_snapshot)
    arns = p.get("ResourceARNList")
    tag_filters = p.get("TagFilters") or []
    if arns is not None:
        if p.get("ResourceTypeFilters"):
            raise _invalid("ResourceARNList and ResourceTypeFilters cannot be specified together.")
        if any(key in p for key in _PAGINATION):
            raise _invalid("ResourceARNList cannot be specified together with pagination parameters "
                           "(PaginationToken, ResourcesPerPage, TagsPerPage).")
        chosen = [arn for arn in dict.fromkeys(arns) if arn in acct.resources and tags.get(arn)]
        token = None
    else:
        per_page = p.get("ResourcesPerPage", PAGE_SIZE)
        if not 1 <= per_page <= 100:
            raise _invalid("ResourcesPerPage must be between 1 and 100.")
        type_filters = p.get("ResourceTypeFilters") or []
        tagged = sorted((acct.resources[arn]["seq"], arn) for arn in tags if arn in acct.resources and tags[arn])
        listed = [arn for _, arn in tagged
                  if _matches_types(arn, type_filters) and _matches_tags(tags[arn], tag_filters)]
        scope = repr((sorted(type_filters), tag_filters))
        paging = {"maxResults": per_page, "nextToken": p.get("PaginationToken") or None}
        try:
            chosen, token = paginate("GetResources", listed, paging, scope)
        except E.ApiError:
            raise _invalid("The PaginationToken is not valid for this request.") from None
    mappings = [{"ResourceARN": arn, "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags[arn].items())]}
                for arn in chosen if _matches_tags(tags[arn], tag_filters)]
    # AWS ends the pages with an empty token, not by leaving it out.
    return {"PaginationToken": token or "", "ResourceTagMappingList": mappings}


OPERATIONS = {"GetResources": get_resources}
