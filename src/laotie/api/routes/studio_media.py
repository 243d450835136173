"""Studio media as jobs: narrated, ad, presenter, topic-made and Kling videos (202 + a job).

These routes document each kind's params; they submit through the same ``JobRunner.submit``
as ``POST /v1/studio/jobs``, so the kind's one validator decides (roles, scope, ownership,
input files by studio file id).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from laotie.api.deps import ServicesDep, require_role
from laotie.api.routes.studio import IdempotencyKey, StudioKey, submit, submitter
from laotie.core.errors import NotFound
from laotie.core.kinds import Role
from laotie.store.objects import S3Objects
from laotie.store.repos.access import Principal
from laotie.studio import AdRequest, KlingRequest, NarrateRequest, PresenterRequest
from laotie.studio.jobs import JobView
from laotie.studio.make.job import MakeRequest

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


#: seconds a signed link to a stored output stays valid
SIGNED_URL_S = 900


@router.get("/jobs/{job_id}/objects/{name}", status_code=307, response_class=RedirectResponse)
async def job_object(
    job_id: str, name: str, services: ServicesDep, principal: StudioKey
) -> RedirectResponse:
    """A job's output kept in the media object store (``LAOTIE_MEDIA_URL``): a redirect to a
    signed link, valid 15 minutes, that the client fetches from the store itself."""
    owner = submitter(principal).owner
    job = await run_in_threadpool(services.studio_jobs.get, job_id, owner=owner)
    key = ((job.result or {}).get("objects") or {}).get(name)
    media = services.media
    if key is None or not isinstance(media, S3Objects):
        raise NotFound(f"job {job_id!r} keeps no object {name!r}", field="name")
    return RedirectResponse(media.signed_url(key, seconds=SIGNED_URL_S), status_code=307)
