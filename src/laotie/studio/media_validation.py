"""Checks on a submitted studio media job: its params and limits, the submitter's scope and
ownership, and the input files it names (resolved from uploaded file ids for API callers)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from pydantic import BaseModel

from laotie.core.errors import InvalidInput, PermissionDenied
from laotie.core.kinds import Role
from laotie.studio.ad import parse_brief
from laotie.studio.files import StudioFiles, is_file_id
from laotie.studio.jobs import Submitter, Validator, parse_params
from laotie.studio.make.job import validate_make
from laotie.studio.media_requests import FILE_FIELDS, AdRequest, MediaContext
from laotie.studio.render import parse_format


def check_creative_target(services: MediaContext, request: AdRequest) -> None:
    """InvalidInput unless the ads area is wired and the request names a landing URL."""
    if services.ads is None or not hasattr(services.ads, "add_creatives"):
        raise InvalidInput(
            "the ads area is not available to register creatives", field="campaign_id"
        )
    if not (request.landing_url or request.brief.get("landing_url")):
        raise InvalidInput("registering creatives needs a landing_url", field="landing_url")


def map_files(
    params: dict[str, Any], fields: tuple[str, ...], change: Callable[[str, str], str]
) -> dict[str, Any]:
    """``params`` with every file value of ``fields`` replaced by ``change(value, field)``."""
    out = dict(params)
    for dotted in fields:
        head, _, tail = dotted.partition(".")
        if tail:
            if isinstance(out.get(head), dict):
                out[head] = map_files(out[head], (tail,), partial(_call, change, dotted))
            continue
        value = out.get(head)
        if isinstance(value, str) and value:
            out[head] = change(value, dotted)
        elif isinstance(value, list):
            out[head] = [change(v, dotted) if isinstance(v, str) else v for v in value]
    return out


def _call(change: Callable[[str, str], str], field_name: str, value: str, _inner: str) -> str:
    return change(value, field_name)


def _check_ad(context: MediaContext, request: AdRequest, submitter: Submitter) -> dict[str, Any]:
    """Scope of an ad job: creators never register creatives, advertisers only their own."""
    parse_brief(request.brief)
    updates: dict[str, Any] = {}
    if not submitter.local:
        updates["advertiser_scope"] = submitter.scope if submitter.role == Role.ADVERTISER else None
    if submitter.role == Role.ADVERTISER:
        updates["publish"] = False  # advertisers make creatives, not catalog videos
    if request.campaign_id:
        if submitter.role == Role.CREATOR:
            raise PermissionDenied("creator keys cannot register ad creatives", field="campaign_id")
        checked = request.model_copy(update=updates)
        check_creative_target(context, checked)
        context.ads.get_campaign(request.campaign_id, scope=checked.advertiser_scope)
    return updates


def creator_scope(params: dict[str, Any], creator_id: str, submitter: Submitter) -> dict[str, Any]:
    """A creator key publishes only as its own creator (the default when params name none)."""
    if submitter.role != Role.CREATOR:
        return {}
    creator = creator_id if "creator_id" in params else submitter.scope
    if creator != submitter.scope:
        raise PermissionDenied(
            f"this key is scoped to {submitter.scope!r} and may not publish as {creator!r}",
            field="creator_id",
        )
    return {"creator_id": creator}


def make_validator(params: dict[str, Any], submitter: Submitter) -> dict[str, Any]:
    """The ``make`` job's validator: its params, and a creator key's own creator (whose media
    library the job reads)."""
    clean = validate_make(params)
    return clean | creator_scope(params, clean["creator_id"], submitter)


def media_validator(kind: str, model: type[BaseModel], context: MediaContext) -> Validator:
    """The one validator of a media kind (request ``model``): params, limits, scope,
    ownership and input files."""

    def validate(params: dict[str, Any], submitter: Submitter) -> dict[str, Any]:
        request: Any = parse_params(model, params)
        if hasattr(request, "size"):
            parse_format(request.size)
        updates = creator_scope(params, request.creator_id, submitter)
        if isinstance(request, AdRequest):
            updates |= _check_ad(context, request, submitter)
        clean: dict[str, Any] = request.model_copy(update=updates).model_dump(mode="json")
        if not submitter.local:
            # an API caller names uploaded files by id, never a path on the server: resolve
            # each one now (refusing paths and other tenants' files); the job keeps the ids
            map_files(
                clean,
                FILE_FIELDS[kind],
                lambda value, name: str(
                    context.files.resolve(value, owner=submitter.owner, field=name)
                ),
            )
        return clean

    return validate


def input_path(files: StudioFiles, value: str) -> str:
    """The path a checked file value stands for: a studio file id, or a local path (CLI)."""
    return str(files.resolve(value, owner=None, field="file")) if is_file_id(value) else value
