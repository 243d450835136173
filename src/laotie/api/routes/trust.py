"""Trust: uploads screened on the way in, text checks, the review queue and decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from pydantic import BaseModel, Field, ValidationError

from laotie.api.deps import AdminKey, ReaderKey, ServicesDep, require_role, require_scope
from laotie.core.catalog import MAX_TEXT, ItemCreate
from laotie.core.contracts import TrustDecision
from laotie.core.errors import InvalidInput
from laotie.core.ids import new_id
from laotie.core.kinds import Role
from laotie.store.repos.access import Principal
from laotie.store.repos.trust import MAX_PAGE

router = APIRouter(tags=["trust"])
_CreatorOrAdmin = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.CREATOR))]
_CHUNK = 1 << 20


class TextCheck(BaseModel):
    """A text to screen without storing it."""

    text: str = Field(min_length=1, max_length=MAX_TEXT)
    declared_aigc: bool = False


class ReviewDecision(BaseModel):
    """A reviewer's decision on an item."""

    decision: TrustDecision
    note: str | None = Field(default=None, max_length=2000)


def _parse_item(raw: str) -> ItemCreate:
    try:
        return ItemCreate.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "item"
        raise InvalidInput(f"item.{where}: {first['msg']}", field=f"item.{where}") from exc


def _save(upload: UploadFile, target: Path, limit_bytes: int) -> None:
    written = 0
    with target.open("wb") as handle:
        while chunk := upload.file.read(_CHUNK):
            written += len(chunk)
            if written > limit_bytes:
                raise InvalidInput(
                    f"file is larger than {limit_bytes} bytes", field="file", limit=limit_bytes
                )
            handle.write(chunk)


@router.post("/v1/uploads", status_code=201)
def upload(
    services: ServicesDep,
    principal: _CreatorOrAdmin,
    item: Annotated[str, Form(description="the item as ItemCreate JSON")],
    file: Annotated[UploadFile | None, File(description="image or video")] = None,
    declared_aigc: Annotated[bool, Form(description="the uploader declares AIGC")] = False,
) -> dict[str, Any]:
    """Upload an item (and its media): labels verified, checks run, then the item is created."""
    parsed = _parse_item(item)
    require_scope(principal, parsed.creator_id)
    if file is None or not file.filename:
        public, screening = services.trust.screening.upload(parsed, declared=declared_aigc)
    else:
        suffix = Path(file.filename).suffix.lower()
        staging = services.settings.path("tmp", "uploads", f"{new_id('up_')}{suffix}")
        try:
            _save(file, staging, services.settings.trust_max_upload_mb * 1024 * 1024)
            public, screening = services.trust.screening.upload(
                parsed, media_source=staging, declared=declared_aigc
            )
        finally:
            staging.unlink(missing_ok=True)
    return {
        "item": public.model_dump(mode="json"),
        "notice": screening.label.notice,
        "trust": screening.as_dict(),
    }


@router.post("/v1/trust/check")
def check(body: TextCheck, services: ServicesDep, _: ReaderKey) -> dict[str, Any]:
    """Screen a text (spam checks, AIGC traces, near-duplicates) without storing anything."""
    return services.trust.screening.check_text(body.text, declared=body.declared_aigc).as_dict()


@router.get("/v1/trust/queue")
def queue(
    services: ServicesDep,
    _: AdminKey,
    state: Annotated[str, Query(description="pending, resolved or none")] = "pending",
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> dict[str, Any]:
    """The review queue, oldest first."""
    entries, next_cursor = services.trust.review.queue(state=state, cursor=cursor, limit=limit)
    return {"items": entries, "next_cursor": next_cursor}


@router.get("/v1/trust/items/{item_id}")
def record(item_id: str, services: ServicesDep, _: AdminKey) -> dict[str, Any]:
    """An item's trust record: decision, reasons, checks, AIGC status, original."""
    return services.trust.review.record(item_id)


@router.post("/v1/trust/items/{item_id}/decision")
def decide(
    item_id: str, body: ReviewDecision, services: ServicesDep, principal: AdminKey
) -> dict[str, Any]:
    """A reviewer's decision; it replaces the automatic one and is logged as an event."""
    return services.trust.review.decide(
        item_id, body.decision, reviewer=principal.key_id, note=body.note
    )


@router.post("/v1/trust/items/{item_id}/screen")
def rescreen(item_id: str, services: ServicesDep, _: AdminKey) -> dict[str, Any]:
    """Screen an existing catalog item again (e.g. one created before trust was enabled)."""
    return services.trust.screening.screen(item_id).as_dict()
