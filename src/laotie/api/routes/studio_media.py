"""Studio media as jobs: narrated, ad, presenter, topic-made and Kling videos (202 + a job).

These routes document each kind's params; they submit through the same ``JobRunner.submit``
as ``POST /v1/studio/jobs``, so the kind's one validator decides (roles, scope, ownership,
input files by studio file id).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from laotie.api.deps import ServicesDep, require_role
from laotie.api.routes.studio import IdempotencyKey, submit
from laotie.core.kinds import Role
from laotie.store.repos.access import Principal
from laotie.studio.jobs import JobView
from laotie.studio.make.job import MakeRequest
from laotie.studio.media_jobs import AdRequest, KlingRequest, NarrateRequest, PresenterRequest

router = APIRouter(prefix="/v1/studio", tags=["studio"])
MakerKey = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.CREATOR))]
AdMakerKey = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.CREATOR, Role.ADVERTISER))]


@router.post("/narrate", status_code=202)
async def narrate_job(
    body: NarrateRequest,
    services: ServicesDep,
    principal: MakerKey,
    idempotency_key: IdempotencyKey = None,
) -> JobView:
    """Queue a narrated video (text, or a script uploaded as a studio file)."""
    params = body.model_dump(mode="json", exclude_unset=True)
    return await submit(services, "narrate", params, principal, idempotency_key)


@router.post("/ad", status_code=202)
async def ad_job(
    body: AdRequest,
    services: ServicesDep,
    principal: AdMakerKey,
    idempotency_key: IdempotencyKey = None,
) -> JobView:
    """Queue N ad videos from a product brief (registered as creatives with a campaign_id)."""
    params = body.model_dump(mode="json", exclude_unset=True)
    return await submit(services, "ad", params, principal, idempotency_key)


@router.post("/presenter", status_code=202)
async def presenter_job(
    body: PresenterRequest,
    services: ServicesDep,
    principal: MakerKey,
    idempotency_key: IdempotencyKey = None,
) -> JobView:
    """Queue a digital-human presenter video (offline 2D or Kling's avatar)."""
    params = body.model_dump(mode="json", exclude_unset=True)
    return await submit(services, "presenter", params, principal, idempotency_key)


@router.post("/make", status_code=202)
async def make_job(
    body: MakeRequest,
    services: ServicesDep,
    principal: MakerKey,
    idempotency_key: IdempotencyKey = None,
) -> JobView:
    """Queue finished videos from a topic, a script or a brief (no server paths: visuals and
    music come from the creator's media library under the data dir)."""
    params = body.model_dump(mode="json", exclude_unset=True)
    return await submit(services, "make", params, principal, idempotency_key)


@router.post("/kling", status_code=202)
async def kling_job(
    body: KlingRequest,
    services: ServicesDep,
    principal: MakerKey,
    idempotency_key: IdempotencyKey = None,
) -> JobView:
    """Queue a Kling clip: text2video from a prompt, image2video from a base64 still."""
    params = body.model_dump(mode="json", exclude_unset=True)
    return await submit(services, "kling", params, principal, idempotency_key)
