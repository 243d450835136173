"""Studio: the job list, new narrated videos and novel adaptations, live progress (SSE),
the outputs (video player, scripts and subtitles) of a finished job."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response

from laotie.api.routes import studio as studio_api
from laotie.api.routes import studio_media as media_api
from laotie.core.errors import InvalidInput, NotFound
from laotie.core.kinds import Role
from laotie.studio import AdRequest, JobView, NarrateRequest, PresenterRequest, output_paths
from laotie.studio.writer.parse import decode
from laotie.web.console import ConsoleRoute, Visit, VisitDep
from laotie.web.forms import build
from laotie.web.invoke import call_api

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
JOBS_SHOWN = 50
#: the largest novel file the form accepts, bytes (the job itself takes 5 M characters)
MAX_NOVEL_BYTES = 8 * 1024 * 1024
#: outputs shown as text in the script viewer, and the most characters shown of each
TEXT_SUFFIXES = {".md", ".txt", ".srt", ".json", ".fountain"}
TEXT_PREVIEW_CHARS = 200_000


def _creator_of(visit: Visit) -> str | None:
    return visit.principal.scope if visit.principal.role == Role.CREATOR else None


@router.get("/studio")
async def studio_page(visit: VisitDep) -> Response:
    """Most recent jobs first, and the forms that start new ones."""
    jobs = await call_api(studio_api.list_jobs, visit.request, visit.principal, limit=JOBS_SHOWN)
    return await visit.render(
        "studio.html",
        jobs=jobs,
        creator=_creator_of(visit) or "",
        can_narrate=await visit.allowed(media_api.narrate_job),
        can_adapt=await visit.allowed(studio_api.submit_job),
        can_ad=await visit.allowed(media_api.ad_job),
        can_present=await visit.allowed(media_api.presenter_job),
    )


@router.post("/studio/narrate")
async def new_narration(
    visit: VisitDep,
    text: Annotated[str, Form(min_length=1)],
    title: Annotated[str, Form(max_length=200)] = "",
    creator_id: Annotated[str, Form()] = "",
) -> Response:
    """Queue a narrated video through the API's narrate endpoint."""
    data: dict[str, Any] = {"text": text, "title": title}
    if creator_id:
        data["creator_id"] = creator_id
    body = build(NarrateRequest, data)
    job = await call_api(media_api.narrate_job, visit.request, visit.principal, body=body)
    return RedirectResponse(f"/studio/jobs/{job.id}", status_code=303)


def _fen(yuan: str, field: str) -> int | None:
    """A price typed in yuan ("99", "99.9", "99.90") as integer fen; None when left empty."""
    text = yuan.strip()
    if not text:
        return None
    whole, _, cents = text.partition(".")
    if not whole.isdigit() or not (cents == "" or (cents.isdigit() and len(cents) <= 2)):
        raise InvalidInput(
            f"{field} must be a price in yuan with at most 2 decimals, got {yuan!r}",
            field=field,
            limit="e.g. 99.90",
        )
    return int(whole) * 100 + int(cents.ljust(2, "0"))


@router.post("/studio/ad")
async def new_ad_videos(
    visit: VisitDep,
    name: Annotated[str, Form(min_length=1, max_length=40)],
    selling_points: Annotated[str, Form(min_length=1)],
    price_yuan: Annotated[str, Form(max_length=12)] = "",
    variants: Annotated[int, Form(ge=1, le=24)] = 3,
    campaign_id: Annotated[str, Form(max_length=128)] = "",
    landing_url: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Queue ad videos from a product brief through the API's ad endpoint (advertisers'
    videos become creatives of their campaign when one is named)."""
    brief: dict[str, Any] = {
        "name": name,
        "selling_points": [p.strip() for p in selling_points.splitlines() if p.strip()],
    }
    price = _fen(price_yuan, "price_yuan")
    if price is not None:
        brief["price_fen"] = price
    data: dict[str, Any] = {"brief": brief, "variants": variants}
    if campaign_id:
        data["campaign_id"] = campaign_id
    if landing_url:
        data["landing_url"] = landing_url
    body = build(AdRequest, data)
    job = await call_api(media_api.ad_job, visit.request, visit.principal, body=body)
    return RedirectResponse(f"/studio/jobs/{job.id}", status_code=303)


@router.post("/studio/presenter")
async def new_presenter(
    visit: VisitDep,
    text: Annotated[str, Form(min_length=1)],
    provider: Annotated[str, Form()] = "offline",
    creator_id: Annotated[str, Form()] = "",
) -> Response:
    """Queue a digital-human presenter video through the API's presenter endpoint."""
    data: dict[str, Any] = {"text": text, "provider": provider}
    if creator_id:
        data["creator_id"] = creator_id
    body = build(PresenterRequest, data)
    job = await call_api(media_api.presenter_job, visit.request, visit.principal, body=body)
    return RedirectResponse(f"/studio/jobs/{job.id}", status_code=303)


@router.post("/studio/adapt")
async def new_adaptation(
    visit: VisitDep,
    novel: Annotated[UploadFile, File()],
    episodes: Annotated[int, Form(ge=1, le=300)] = 10,
    engine: Annotated[str, Form()] = "offline",
    title: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Queue a novel -> micro-drama adaptation through the API's job endpoint."""
    raw = await novel.read(MAX_NOVEL_BYTES + 1)
    if len(raw) > MAX_NOVEL_BYTES:
        raise InvalidInput(
            f"the novel file is larger than {MAX_NOVEL_BYTES} bytes",
            field="novel",
            limit=MAX_NOVEL_BYTES,
        )
    params = {
        "novel_text": decode(raw),
        "episodes": episodes,
        "engine": engine,
        "title": title,
    }
    body = build(studio_api.JobCreate, {"kind": "adapt", "params": params})
    job = await call_api(studio_api.submit_job, visit.request, visit.principal, body=body)
    return RedirectResponse(f"/studio/jobs/{job.id}", status_code=303)


def _outputs(visit: Visit, job: JobView) -> list[Path]:
    """The job's output files that lie under the data dir (never anything else on disk)."""
    raw = output_paths(job.result or {})
    home = visit.request.app.state.services.settings.home.resolve()
    paths = []
    for value in raw:
        if isinstance(value, str) and value:
            path = Path(value).resolve()
            if path.is_relative_to(home) and path.is_file():
                paths.append(path)
    return paths


@router.get("/studio/jobs/{job_id}")
async def job_page(visit: VisitDep, job_id: str) -> Response:
    """A job's status with live progress, and its outputs once done."""
    job = await call_api(studio_api.get_job, visit.request, visit.principal, job_id=job_id)
    outputs = _outputs(visit, job)
    texts = [
        (i, p.name, p.read_text(encoding="utf-8", errors="replace")[:TEXT_PREVIEW_CHARS])
        for i, p in enumerate(outputs)
        if p.suffix.lower() in TEXT_SUFFIXES
    ]
    videos = [(i, p.name) for i, p in enumerate(outputs) if p.suffix.lower() == ".mp4"]
    return await visit.render("job.html", job=job, texts=texts, videos=videos)


@router.get("/studio/jobs/{job_id}/events")
async def job_events(visit: VisitDep, job_id: str) -> Response:
    """The API's server-sent progress stream of the job."""
    stream: Response = await call_api(
        studio_api.job_events, visit.request, visit.principal, job_id=job_id
    )
    return stream


@router.get("/studio/jobs/{job_id}/files/{index}")
async def job_file(visit: VisitDep, job_id: str, index: int) -> Response:
    """One output file of a job the visitor may read (videos support range requests)."""
    job = await call_api(studio_api.get_job, visit.request, visit.principal, job_id=job_id)
    outputs = _outputs(visit, job)
    if not 0 <= index < len(outputs):
        raise NotFound(f"job {job_id!r} has no output {index}", field="index")
    return FileResponse(outputs[index])
