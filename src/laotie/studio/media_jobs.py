"""Studio media as jobs: requests, the work each does, and publishing results to the catalog.

Each ``run_*`` takes the services (settings + database), a validated request, a job id and
a progress callback; it renders under ``$LAOTIE_HOME/media/studio/<job id>/`` and, unless the
request says not to, creates a catalog item of kind ``video`` with ``aigc_status`` confirmed
and the implicit label the file carries. Ad videos are also registered as ad creatives (with
``aigc`` true and their labels) when the request names a campaign and the ads area is wired.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, HttpUrl
from sqlalchemy.exc import IntegrityError

from laotie.core.aigc import EXPLICIT_NOTICE_SHORT, METADATA_FIELD, new_label
from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.contracts import CatalogDoor
from laotie.core.errors import Conflict, InvalidInput, NotFound
from laotie.core.ids import new_id
from laotie.core.kinds import AigcStatus, ItemKind
from laotie.core.settings import Settings
from laotie.media import probe, read_label
from laotie.store.objects import ObjectStore
from laotie.studio.ad import llm_copies, make_ads, parse_brief, template_copies
from laotie.studio.ad.make import VOICES, AdVoice
from laotie.studio.files import studio_files
from laotie.studio.jobs import (
    STUDIO_CREATOR,
    JobContext,
    JobRunner,
)
from laotie.studio.make.job import MakeRequest, run_make
from laotie.studio.media_requests import (
    FILE_FIELDS,
    MEDIA_ROLES,
    AdRequest,
    KlingRequest,
    MediaContext,
    NarrateRequest,
    PresenterRequest,
)
from laotie.studio.media_validation import (
    check_creative_target,
    input_path,
    make_validator,
    map_files,
    media_validator,
)
from laotie.studio.outputs import keep_outputs
from laotie.studio.presenter import PresenterOptions, present
from laotie.studio.providers.kling import KlingClient
from laotie.studio.render import NarrateOptions, narrate, parse_format
from laotie.studio.render.script import load_script, script_from_text
from laotie.studio.render.visuals import check_visual
from laotie.studio.tts.base import TtsEngine
from laotie.studio.tts.factory import engine_for_voice, engine_from_settings

Progress = Callable[[float, str], None]


def _output_dir(settings: Settings, job_id: str) -> Path:
    return settings.path("media", "studio", job_id, "x").parent


def publish_video(
    services: MediaContext,
    *,
    path: Path,
    title: str,
    caption: str,
    duration_s: float,
    creator_id: str = STUDIO_CREATOR,
) -> str:
    """Create a catalog item (kind video, AIGC confirmed) for a labelled studio video."""
    found = read_label(path)
    if found.label is None:
        raise InvalidInput(f"{path} carries no AIGC label; refusing to publish", field="path")
    from laotie.store.repos import catalog

    item_id = new_id("vid_")
    home = services.settings.home.resolve()
    media_path = (
        str(path.resolve().relative_to(home)) if path.resolve().is_relative_to(home) else str(path)
    )
    with services.db.session() as session:
        try:
            catalog.get_creator(session, external_id=creator_id)
        except NotFound:
            if creator_id != STUDIO_CREATOR:
                raise
            try:  # two jobs may publish their first videos at once: one creates the creator
                with session.begin_nested():
                    catalog.create_creator(
                        session, creator=CreatorCreate(id=STUDIO_CREATOR, name="laotie studio")
                    )
            except (Conflict, IntegrityError):
                pass
    services.catalog.add_item(
        ItemCreate(
            id=item_id,
            kind=ItemKind.VIDEO,
            creator_id=creator_id,
            title=(title or path.stem)[:200],
            caption=caption[:2000],
            tags=["AIGC", "studio"],
            duration_ms=round(duration_s * 1000),
            media_path=media_path,
            aigc_status=AigcStatus.CONFIRMED,
            aigc_label=found.label.to_dict(),
        )
    )
    return item_id


def run_narrate(
    services: MediaContext, request: NarrateRequest, *, job_id: str, progress: Progress
) -> dict[str, Any]:
    """Render a narrated video; returns its path, SRT, duration, label and catalog item id."""
    settings = services.settings
    limit = settings.studio_max_script_chars
    if request.script_path:
        script = load_script(
            Path(request.script_path), episode=request.episode, max_chars=limit, title=request.title
        )
    elif request.text is not None:
        script = script_from_text(request.text, title=request.title, max_chars=limit)
    else:
        raise InvalidInput("give text or script_path", field="text")
    out = _output_dir(settings, job_id) / "video.mp4"
    result = narrate(
        script,
        out=out,
        engine=engine_from_settings(settings),
        options=NarrateOptions(
            video=parse_format(request.size),
            images=tuple(Path(p) for p in request.images),
            music=Path(request.music) if request.music else None,
        ),
        progress=lambda f, m: progress(f * 0.95, m),
    )
    item_id = None
    if request.publish:
        item_id = publish_video(
            services,
            path=result.path,
            title=script.title,
            caption="".join(script.sentences)[:500],
            duration_s=result.duration_s,
            creator_id=request.creator_id,
        )
    progress(1.0, "done")
    return {
        "path": str(result.path),
        "srt_path": str(result.srt_path),
        "duration_s": round(result.duration_s, 3),
        "item_id": item_id,
        "aigc": result.label.to_dict(),
    }


def run_ad(
    services: MediaContext,
    request: AdRequest,
    *,
    job_id: str,
    progress: Progress,
    llm: Any = None,
) -> dict[str, Any]:
    """Render ad variants; publish them and register them as creatives when asked."""
    settings = services.settings
    brief = parse_brief(request.brief)
    if request.campaign_id:
        check_creative_target(services, request)
    if request.music:
        brief = brief.model_copy(update={"music": Path(request.music)})
    if request.use_llm:
        if llm is None:
            from laotie.studio.providers.llm import OpenAICompatibleClient

            llm = OpenAICompatibleClient.from_settings(settings)
        copies = llm_copies(brief, llm)
    else:
        copies = template_copies(brief)

    def engine_for(voice: AdVoice) -> TtsEngine:
        return engine_for_voice(
            settings,
            index=VOICES.index(voice) if voice in VOICES else 0,
            speed=voice.speed,
            pitch=voice.pitch,
        )

    ads = make_ads(
        brief,
        copies,
        out_dir=_output_dir(settings, job_id),
        count=request.variants,
        video=parse_format(request.size),
        engine_for=engine_for,
        progress=lambda f, m: progress(f * 0.9, m),
    )
    videos = []
    for ad in ads:
        item_id = None
        if request.publish:
            item_id = publish_video(
                services,
                path=ad.result.path,
                title=ad.copy.title,
                caption=" ".join(ad.copy.sentences),
                duration_s=ad.result.duration_s,
                creator_id=request.creator_id,
            )
        videos.append(
            {
                "path": str(ad.result.path),
                "duration_s": round(ad.result.duration_s, 3),
                "title": ad.copy.title,
                "variant": ad.variant.as_dict(),
                "template": ad.template,
                "cover": ad.cover,
                "voice": ad.voice.name,
                "item_id": item_id,
                "aigc": ad.result.label.to_dict(),
            }
        )
    creatives = register_creatives(services, request, videos) if request.campaign_id else []
    progress(1.0, "done")
    return {"videos": videos, "creatives": creatives}


def register_creatives(
    services: MediaContext, request: AdRequest, videos: list[dict[str, Any]]
) -> list[str]:
    """Add rendered ads to a campaign as AIGC creatives via the ads service, when wired."""
    check_creative_target(services, request)
    from laotie.ads import CreativeCreate

    landing = HttpUrl(str(request.landing_url or request.brief.get("landing_url")))
    creatives = [
        CreativeCreate(
            id=f"{Path(v['path']).parent.name}-{Path(v['path']).stem}".replace("_", "-"),
            title=v["title"] or "ad",
            assets={
                "video": v["path"],
                "cover": v["cover"],
                "template": v["template"],
                "voice": v["voice"],
            },
            landing_url=landing,
            aigc=True,
            aigc_labels={METADATA_FIELD: v["aigc"], "explicit": EXPLICIT_NOTICE_SHORT},
        )
        for v in videos
    ]
    created = services.ads.add_creatives(
        request.campaign_id, creatives, scope=request.advertiser_scope
    )
    return [c.id for c in created]


def run_presenter(
    services: MediaContext, request: PresenterRequest, *, job_id: str, progress: Progress
) -> dict[str, Any]:
    """Render a presenter video (offline 2D, or Kling's avatar when ``provider`` is kling)."""
    settings = services.settings
    script = script_from_text(request.text, max_chars=settings.studio_max_script_chars)
    kling = KlingClient.from_settings(settings) if request.provider == "kling" else None
    result = present(
        script,
        out=_output_dir(settings, job_id) / "presenter.mp4",
        engine=engine_from_settings(settings),
        options=PresenterOptions(
            video=parse_format(request.size),
            avatar=Path(request.avatar) if request.avatar else None,
            backgrounds=tuple(Path(p) for p in request.backgrounds),
            music=Path(request.music) if request.music else None,
            provider=request.provider,
        ),
        kling=kling,
        progress=lambda f, m: progress(f * 0.95, m),
    )
    item_id = None
    if request.publish:
        item_id = publish_video(
            services,
            path=result.path,
            title=script.title,
            caption=request.text[:500],
            duration_s=result.duration_s,
            creator_id=request.creator_id,
        )
    progress(1.0, "done")
    return {
        "path": str(result.path),
        "srt_path": str(result.srt_path),
        "duration_s": round(result.duration_s, 3),
        "item_id": item_id,
        "aigc": result.label.to_dict(),
    }


def run_make_job(
    services: MediaContext, request: MakeRequest, *, job_id: str, progress: Progress
) -> dict[str, Any]:
    """Make the request's videos; publish each to the catalog unless told not to."""
    videos = run_make(
        services.settings,
        request,
        out_dir=_output_dir(services.settings, job_id),
        progress=lambda f, m: progress(f * 0.95, m),
    )
    for video in videos:
        video["item_id"] = None
        if request.publish:
            video["item_id"] = publish_video(
                services,
                path=Path(video["path"]),
                title=video["title"],
                caption="".join(video["sentences"])[:500],
                duration_s=video["duration_s"],
                creator_id=request.creator_id,
            )
    progress(1.0, "done")
    return {"videos": videos}


def run_kling(
    services: MediaContext, request: KlingRequest, *, job_id: str, progress: Progress
) -> dict[str, Any]:
    """Generate a labelled Kling clip under the job's folder."""
    out_dir = _output_dir(services.settings, job_id)
    params: dict[str, Any] = {"prompt": request.prompt, "duration_s": request.duration}
    if request.mode == "image2video":
        if not request.image_base64:
            raise InvalidInput("image2video needs image_base64", field="image_base64")
        still = out_dir / "still.img"
        out_dir.mkdir(parents=True, exist_ok=True)
        try:
            still.write_bytes(base64.b64decode(request.image_base64, validate=True))
        except binascii.Error as exc:
            raise InvalidInput("image_base64 is not base64", field="image_base64") from exc
        params["image"] = check_visual(still, field="image_base64")
    else:
        if not request.prompt.strip():
            raise InvalidInput("text2video needs a prompt", field="prompt")
        params["aspect_ratio"] = request.aspect
    progress(0.1, f"waiting for Kling {request.mode}")
    path = KlingClient.from_settings(services.settings).generate(
        request.mode, out=out_dir / "kling.mp4", label=new_label(), **params
    )
    item_id = None
    if request.publish:
        item_id = publish_video(
            services,
            path=path,
            title=request.prompt[:60] or "Kling",
            caption=request.prompt,
            duration_s=probe(path).duration_s,
            creator_id=request.creator_id,
        )
    progress(1.0, "done")
    return {"path": str(path), "mode": request.mode, "item_id": item_id}


#: job kind -> (request model, runner), for the studio job registry
MEDIA_JOBS: dict[str, tuple[type[BaseModel], Callable[..., dict[str, Any]]]] = {
    "narrate": (NarrateRequest, run_narrate),
    "ad": (AdRequest, run_ad),
    "presenter": (PresenterRequest, run_presenter),
    "kling": (KlingRequest, run_kling),
}


def register_media_jobs(
    runner: JobRunner,
    settings: Settings,
    *,
    catalog: CatalogDoor,
    ads: Any = None,
    media: ObjectStore | None = None,
) -> None:
    """Register the ``narrate``, ``ad``, ``presenter``, ``kling`` and ``make`` job kinds;
    with ``media``, each job's outputs are kept there too (``outputs.keep_outputs``)."""
    files = studio_files(settings)
    context = MediaContext(settings=settings, db=runner.db, catalog=catalog, ads=ads)
    for kind, (model, run) in MEDIA_JOBS.items():

        def handler(
            ctx: JobContext, kind: str = kind, model: type[BaseModel] = model, run: Any = run
        ) -> dict[str, Any]:
            params = map_files(ctx.params, FILE_FIELDS[kind], lambda v, _f: input_path(files, v))
            result = run(
                context, model.model_validate(params), job_id=ctx.job_id, progress=ctx.progress
            )
            return result if media is None else keep_outputs(media, result, job_id=ctx.job_id)

        runner.register(
            kind, handler, validate=media_validator(kind, model, context), roles=MEDIA_ROLES[kind]
        )

    def make_handler(ctx: JobContext) -> dict[str, Any]:
        result = run_make_job(
            context,
            MakeRequest.model_validate(ctx.params),
            job_id=ctx.job_id,
            progress=ctx.progress,
        )
        return result if media is None else keep_outputs(media, result, job_id=ctx.job_id)

    runner.register("make", make_handler, validate=make_validator)
