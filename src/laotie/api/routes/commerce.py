"""Commerce API: coins and top-ups, the WeChat Pay notification webhook, paid episodes, live
rooms and gifts, shops, products and orders, revenue figures.

Roles: an ``app`` key acts for its users (top up, unlock, gift, join rooms, buy); a
``creator`` key manages its own paywalls and rooms and reads its earnings; an ``advertiser``
key is a merchant managing its own shops, products and shipping; ``admin`` (the operator)
refunds and reads the figures. The webhook carries no key: WeChat Pay's signature is its
authentication.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as FastPath
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from laotie.api.deps import (
    AdminKey,
    AppKey,
    ReaderKey,
    ServicesDep,
    person_of,
    require_role,
    require_scope,
    require_user,
)
from laotie.api.problems import INSUFFICIENT_BALANCE, OWN_ERRORS
from laotie.api.routes.studio import IdempotencyKey, submit
from laotie.commerce import (
    CardCreate,
    EpisodeOffer,
    GiftCreate,
    GiftPublic,
    OrderCreate,
    OrderPublic,
    PaymentPublic,
    PayoutCreate,
    PayoutPublic,
    PaywallSet,
    ProductCreate,
    ProductPublic,
    RoomCreate,
    RoomPublic,
    ShopCreate,
    ShopPublic,
    TopUpCreate,
    UnlockCreate,
    UnlockPublic,
)
from laotie.core.errors import LaotieError, PermissionDenied
from laotie.core.ids import MAX_ROW_ID
from laotie.core.kinds import Role
from laotie.store.repos.access import Principal
from laotie.studio import JobView, host_dir, live_playlist, load_stream

router = APIRouter(prefix="/v1/commerce", tags=["commerce"])
CreatorKey = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.CREATOR))]
MerchantKey = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.ADVERTISER))]


def _scope(principal: Principal) -> str | None:
    """The creator or merchant a scoped key acts for (None for admins and apps)."""
    if principal.role in (Role.ADMIN, Role.APP):
        return None
    if not principal.scope:
        raise PermissionDenied(
            f"this {principal.role} key is not bound to an account", field="scope"
        )
    return principal.scope


class Presence(BaseModel):
    """A viewer joins (present) or leaves a room."""

    model_config = ConfigDict(extra="forbid")
    user_id: str = Field(min_length=1, max_length=128)
    present: bool = True


class Restock(BaseModel):
    """Units to add to a product's stock."""

    model_config = ConfigDict(extra="forbid")
    quantity: int = Field(ge=1, le=10_000_000)


class RoomPage(BaseModel):
    """A room with its audience and latest gifts."""

    room: RoomPublic
    gifts: list[GiftPublic]


class Balance(BaseModel):
    """An account's balance in fen."""

    id: str
    balance_fen: int


# --- coins and payments ----------------------------------------------------------------------


@router.post("/topups", status_code=201)
def start_top_up(body: TopUpCreate, services: ServicesDep, key: AppKey) -> PaymentPublic:
    """Start a coin top-up; coins arrive when the provider's notification settles it."""
    require_user(key, body.user_id)
    return services.commerce.payments.start_top_up(body)


@router.get("/payments/{out_trade_no}")
def get_payment(out_trade_no: str, services: ServicesDep, key: AppKey) -> PaymentPublic:
    """A payment's status."""
    payment = services.commerce.payments.payment(out_trade_no)
    require_user(key, payment.user_id)
    return payment


@router.get("/wallets/{user_id}")
def get_wallet(user_id: str, services: ServicesDep, key: AppKey) -> Balance:
    """A user's coin balance."""
    require_user(key, user_id)
    return Balance(id=user_id, balance_fen=services.commerce.wallet_fen(user_id))


#: the answer WeChat Pay expects when a notification was not applied (it retries later)
_WECHATPAY_FAIL = {
    "description": "not applied; WeChat Pay retries the notification",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"const": "FAIL"}, "message": {"type": "string"}},
            }
        }
    },
}


@router.post(
    "/payments/wechatpay/notify",
    status_code=204,
    response_class=Response,
    responses={status: _WECHATPAY_FAIL for status in (400, 401, 403, 404, 409, 422, 500)},
    openapi_extra={OWN_ERRORS: True},
)
async def wechatpay_notify(request: Request, services: ServicesDep) -> Response:
    """WeChat Pay v3 notification (TRANSACTION.SUCCESS, REFUND.SUCCESS): 204 once applied
    or already applied; a FAIL document (so WeChat Pay retries) when it does not verify."""
    body = await request.body()
    try:
        await run_in_threadpool(
            services.commerce.payments.handle_wechatpay, dict(request.headers), body
        )
    except LaotieError as exc:
        status = exc.status if 400 <= exc.status < 600 else 500
        return JSONResponse({"code": "FAIL", "message": exc.message}, status_code=status)
    return Response(status_code=204)


# --- paid content ----------------------------------------------------------------------------


@router.put("/series/{series_id}/paywall")
def set_paywall(
    series_id: str, body: PaywallSet, services: ServicesDep, key: CreatorKey
) -> PaywallSet:
    """Put a series' paywall (its creator, or an admin)."""
    return services.commerce.content.set_paywall(series_id, body, scope=_scope(key))


@router.get("/series/{series_id}/next")
def next_episode(
    series_id: str,
    services: ServicesDep,
    key: AppKey,
    user_id: Annotated[str, Query(min_length=1, max_length=128)],
    after: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> EpisodeOffer | None:
    """The next episode after position ``after`` for a user, with its price if locked."""
    require_user(key, user_id)
    return services.commerce.content.next_episode(user_id, series_id, after_position=after)


@router.post("/unlocks", responses=INSUFFICIENT_BALANCE)
def unlock(body: UnlockCreate, services: ServicesDep, key: AppKey) -> UnlockPublic:
    """Unlock an episode or a series with coins or a rewarded ad (idempotent)."""
    require_user(key, body.user_id)
    return services.commerce.content.unlock(body)


# --- live rooms ------------------------------------------------------------------------------


@router.post("/rooms", status_code=201)
def start_room(body: RoomCreate, services: ServicesDep, key: CreatorKey) -> RoomPublic:
    """A creator goes live."""
    return services.commerce.live.start(body, scope=_scope(key))


@router.get("/rooms/live")
def live_rooms(
    services: ServicesDep,
    _: AppKey,
    interests: Annotated[list[str], Query(max_length=50)] = [],  # noqa: B006 - FastAPI default
    n: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[RoomPublic]:
    """Rooms live now, ranked by viewers, gifting and the user's interests (``n``: quota)."""
    return services.commerce.live.live_now(interests=interests, n=n)


@router.post("/rooms/{room_id}/end")
def end_room(room_id: str, services: ServicesDep, key: CreatorKey) -> RoomPublic:
    """End a live room."""
    return services.commerce.live.end(room_id, scope=_scope(key))


@router.get("/rooms/{room_id}")
def room_page(room_id: str, services: ServicesDep, _: ReaderKey) -> RoomPage:
    """A room's viewers and latest gifts."""
    room, gifts = services.commerce.live.room(room_id)
    return RoomPage(room=room, gifts=gifts)


class HostScript(BaseModel):
    """The product script an AI host reads in a loop."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, description="the product script (paragraphs = scenes)")
    size: str = Field(default="vertical-720", description="vertical, vertical-720, ... or WxH")
    segment_s: float = Field(default=2.0, ge=1.0, le=10.0, description="HLS segment length")


#: the HLS media types (RFC 8216 4: playlists; MPEG-TS segments)
_M3U8 = "application/vnd.apple.mpegurl"
_TS = "video/mp2t"


@router.post("/rooms/{room_id}/host", status_code=202)
async def host_room(
    room_id: str,
    body: HostScript,
    services: ServicesDep,
    key: CreatorKey,
    idempotency_key: IdempotencyKey = None,
) -> JobView:
    """Queue the AI host's stream for a room that declared one: the presenter reads the
    script in a loop, labelled (visible notice on every frame, AIGC label in the stream)."""
    params = {"room_id": room_id, **body.model_dump(mode="json")}
    return await submit(services, "live_host", params, key, idempotency_key)


@router.get(
    "/rooms/{room_id}/hls/live.m3u8",
    response_class=Response,
    responses={200: {"content": {_M3U8: {}}, "description": "the live HLS media playlist"}},
)
def room_playlist(room_id: str, services: ServicesDep, _: ReaderKey) -> Response:
    """The AI host's live HLS playlist at this moment (``EXT-X-ENDLIST`` once the room ended)."""
    room, _gifts = services.commerce.live.room(room_id)
    stream = load_stream(host_dir(services.settings, room_id))
    text = live_playlist(
        stream,
        started_ms=room.started_at_ms,
        now_ms=room.ended_at_ms or services.clock.now_ms(),
        ended=room.status != "live",
    )
    return Response(text, media_type=_M3U8, headers={"Cache-Control": "no-cache"})


@router.get(
    "/rooms/{room_id}/hls/{segment}",
    response_class=FileResponse,
    responses={200: {"content": {_TS: {}}, "description": "an MPEG-TS segment"}},
)
def room_segment(room_id: str, segment: str, services: ServicesDep, _: ReaderKey) -> FileResponse:
    """One labelled MPEG-TS segment of the AI host's stream."""
    services.commerce.live.room(room_id)
    stream = load_stream(host_dir(services.settings, room_id))
    return FileResponse(stream.segment_path(segment), media_type=_TS)


@router.post("/rooms/{room_id}/viewers")
def room_presence(room_id: str, body: Presence, services: ServicesDep, key: AppKey) -> RoomPublic:
    """A viewer joins or leaves a room."""
    require_user(key, body.user_id)
    return services.commerce.live.presence(room_id, body.user_id, present=body.present)


@router.post("/rooms/{room_id}/gifts", responses=INSUFFICIENT_BALANCE)
def send_gift(room_id: str, body: GiftCreate, services: ServicesDep, key: AppKey) -> GiftPublic:
    """Send a gift paid in coins (once per idempotency key)."""
    require_user(key, body.user_id)
    return services.commerce.live.send_gift(room_id, body)


@router.post("/gifts/{gift_id}/refund")
def refund_gift(
    gift_id: Annotated[int, FastPath(ge=1, le=MAX_ROW_ID, description="the gift's number")],
    services: ServicesDep,
    _: AdminKey,
) -> GiftPublic:
    """Reverse a gift exactly (operator)."""
    return services.commerce.live.refund_gift(gift_id)


@router.get("/creators/{creator_id}/earnings")
def creator_earnings(creator_id: str, services: ServicesDep, key: CreatorKey) -> Balance:
    """What the platform owes a creator from gifts and paid content, fen."""
    require_scope(key, creator_id)
    return Balance(id=creator_id, balance_fen=services.commerce.creator_earnings_fen(creator_id))


# --- shops and orders ------------------------------------------------------------------------


@router.post("/shops", status_code=201)
def create_shop(body: ShopCreate, services: ServicesDep, key: MerchantKey) -> ShopPublic:
    """A merchant (advertiser account) opens a shop."""
    return services.commerce.shops.create_shop(body, scope=_scope(key))


@router.post("/shops/{shop_id}/products", status_code=201)
def add_product(
    shop_id: str, body: ProductCreate, services: ServicesDep, key: MerchantKey
) -> ProductPublic:
    """Add a product (one SKU) to the merchant's shop."""
    return services.commerce.shops.add_product(shop_id, body, scope=_scope(key))


@router.get("/shops/{shop_id}/products")
def list_products(shop_id: str, services: ServicesDep, _: ReaderKey) -> list[ProductPublic]:
    """A shop's products with their stock."""
    return services.commerce.shops.products(shop_id)


@router.post("/products/{product_id}/restock")
def restock(
    product_id: str, body: Restock, services: ServicesDep, key: MerchantKey
) -> ProductPublic:
    """Add units to a product's stock."""
    return services.commerce.shops.restock(product_id, body.quantity, scope=_scope(key))


@router.post("/products/{product_id}/cards", status_code=204, response_class=Response)
def add_card(
    product_id: str, body: CardCreate, services: ServicesDep, key: MerchantKey
) -> Response:
    """Show a product on a video or a live room."""
    services.commerce.shops.add_card(product_id, body, scope=_scope(key))
    return Response(status_code=204)


@router.get("/cards")
def cards(
    services: ServicesDep,
    _: ReaderKey,
    target: Annotated[str, Query(pattern=r"^(item|room):.{1,128}$")],
) -> list[ProductPublic]:
    """Products shown on a video (``item:<id>``) or a room (``room:<id>``)."""
    return services.commerce.shops.cards(target)


@router.post("/orders", status_code=201)
def create_order(body: OrderCreate, services: ServicesDep, key: AppKey) -> OrderPublic:
    """A user orders a product: stock is taken, a payment started."""
    require_user(key, body.user_id)
    return services.commerce.orders.create_order(body)


@router.get("/orders")
def list_orders(
    services: ServicesDep,
    key: Annotated[Principal, Depends(require_role(Role.ADMIN, Role.APP, Role.ADVERTISER))],
    shop_id: Annotated[str | None, Query(max_length=128)] = None,
    user_id: Annotated[str | None, Query(max_length=128)] = None,
) -> list[OrderPublic]:
    """Orders of a shop (merchants: their own) or of a user."""
    own = person_of(key)
    if own is not None and (shop_id is not None or user_id != own):
        raise PermissionDenied(
            f"a person key lists only its own user's orders (user_id={own!r})", field="user_id"
        )
    return services.commerce.orders.orders(shop_id=shop_id, user_id=user_id, scope=_scope(key))


@router.post("/orders/expire")
def expire_orders(
    services: ServicesDep,
    _: AdminKey,
    older_than_min: Annotated[int, Query(ge=0, le=7 * 24 * 60)] = 30,
) -> dict[str, int]:
    """Expire orders unpaid for ``older_than_min`` minutes (operator): the provider closes
    each payment first, then its stock is released."""
    return {
        "expired": services.commerce.orders.expire_unpaid(older_than_ms=older_than_min * 60_000)
    }


@router.post("/orders/{order_id}/ship")
def ship_order(order_id: str, services: ServicesDep, key: MerchantKey) -> OrderPublic:
    """The merchant ships a paid order."""
    return services.commerce.orders.ship(order_id, scope=_scope(key))


@router.post("/orders/{order_id}/refund")
def refund_order(order_id: str, services: ServicesDep, _: AdminKey) -> OrderPublic:
    """Refund an order through the provider (operator)."""
    return services.commerce.orders.refund(order_id)


# --- figures ---------------------------------------------------------------------------------


@router.post("/payouts", status_code=201, responses=INSUFFICIENT_BALANCE)
def pay_out(body: PayoutCreate, services: ServicesDep, _: AdminKey) -> PayoutPublic:
    """Pay a creator or merchant (operator) at most what the ledger says they are owed."""
    return services.commerce.payouts.pay_out(body)


@router.get("/summary")
def summary(services: ServicesDep, _: AdminKey) -> dict[str, Any]:
    """Revenue by line, GMV, paying users, ARPPU, funnel, creators' earnings."""
    return services.commerce.summary()


@router.get("/reconcile")
def reconcile(services: ServicesDep, _: AdminKey) -> dict[str, Any]:
    """The ledger checked: balanced journals, zero trial balance, wallets equal the ledger."""
    return services.commerce.reconcile()
