"""Studio media as jobs: narrated videos, ad videos and presenter videos (202 + a job)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header

from laotie.api.deps import ServicesDep, require_role, require_scope
from laotie.core.errors import InvalidInput, PermissionDenied
from laotie.core.kinds import Role
from laotie.store.repos.access import Principal
from laotie.studio.jobs import JobView
from laotie.studio.make.job import MakeRequest
from laotie.studio.media_jobs import AdRequest, KlingRequest, NarrateRequest, PresenterRequest

router = APIRouter(prefix="/v1/studio", tags=["studio"])
MakerKey = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.CREATOR))]
AdMakerKey = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.CREATOR, Role.ADVERTISER))]
IdempotencyKey = Annotated[str | None, Header(max_length=200)]


def _files_inside_home(home: Path, paths: list[str | None], field: str) -> None:
    """Refuse files outside the data dir: an API caller must not read the server's disk."""
    root = home.resolve()
    for raw in paths:
        if raw and not Path(raw).resolve().is_relative_to(root):
            raise InvalidInput(
                f"{field} must be a file under the data dir (upload it first): {raw}",
                field=field,
                limit=str(root),
            )


def _submit(
    services: ServicesDep, kind: str, body: Any, principal: Principal, key: str | None
) -> JobView:
    if principal.role == Role.CREATOR:
        require_scope(principal, body.creator_id)
    return services.studio_jobs.submit(
        kind, body.model_dump(mode="json"), owner=principal.key_id, idempotency_key=key
    )


@router.post("/narrate", status_code=202)
def narrate_job(
    body: NarrateRequest,
    services: ServicesDep,
    principal: MakerKey,
    idempotency_key: IdempotencyKey = None,
) -> JobView:
    """Queue a narrated video (text or a script file under the data dir)."""
    home = services.settings.home
    _files_inside_home(home, [body.script_path], "script_path")
    _files_inside_home(home, [*body.images], "images")
    _files_inside_home(home, [body.music], "music")
    return _submit(services, "narrate", body, principal, idempotency_key)


@router.post("/ad", status_code=202)
def ad_job(
    body: AdRequest,
    services: ServicesDep,
    principal: AdMakerKey,
    idempotency_key: IdempotencyKey = None,
) -> JobView:
    """Queue N ad videos from a product brief (registered as creatives with a campaign_id)."""
    home = services.settings.home
    _files_inside_home(home, [str(p) for p in body.brief.get("images", [])], "brief.images")
    _files_inside_home(home, [body.music, body.brief.get("music")], "music")
    if principal.role == Role.ADVERTISER:
        # advertisers make creatives for their own campaigns, not catalog videos
        body = body.model_copy(update={"publish": False, "advertiser_scope": principal.scope})
        return services.studio_jobs.submit(
            "ad",
            body.model_dump(mode="json"),
            owner=principal.key_id,
            idempotency_key=idempotency_key,
        )
    if principal.role == Role.CREATOR and body.campaign_id:
        raise PermissionDenied("creator keys cannot register ad creatives", field="campaign_id")
    return _submit(services, "ad", body, principal, idempotency_key)


@router.post("/presenter", status_code=202)
def presenter_job(
    body: PresenterRequest,
    services: ServicesDep,
    principal: MakerKey,
    idempotency_key: IdempotencyKey = None,
) -> JobView:
    """Queue a digital-human presenter video (offline 2D or Kling's avatar)."""
    home = services.settings.home
    _files_inside_home(home, [body.avatar], "avatar")
    _files_inside_home(home, [*body.backgrounds], "backgrounds")
    _files_inside_home(home, [body.music], "music")
    return _submit(services, "presenter", body, principal, idempotency_key)


@router.post("/make", status_code=202)
def make_job(
    body: MakeRequest,
    services: ServicesDep,
    principal: MakerKey,
    idempotency_key: IdempotencyKey = None,
) -> JobView:
    """Queue finished videos from a topic, a script or a brief (no server paths: visuals and
    music come from the creator's media library under the data dir)."""
    return _submit(services, "make", body, principal, idempotency_key)


@router.post("/kling", status_code=202)
def kling_job(
    body: KlingRequest,
    services: ServicesDep,
    principal: MakerKey,
    idempotency_key: IdempotencyKey = None,
) -> JobView:
    """Queue a Kling clip: text2video from a prompt, image2video from a base64 still."""
    return _submit(services, "kling", body, principal, idempotency_key)
