"""``laotie commerce``: coins, paid episodes, live rooms and gifts, shops and orders, revenue.

Roles as in the API: a user tops up, unlocks, gifts and buys; a creator puts paywalls,
starts rooms and reads earnings; a merchant manages shops, products and shipping; the
operator refunds and reads the figures. The CLI acts with the operator's full rights.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.table import Table

from laotie.cli._common import console, emit_json, services
from laotie.commerce import (
    CardCreate,
    GiftCreate,
    OrderCreate,
    PayoutCreate,
    PaywallSet,
    ProductCreate,
    RoomCreate,
    ShopCreate,
    TopUpCreate,
    UnlockCreate,
)
from laotie.core.money import format_fen, yuan_to_fen

app = typer.Typer(help="Commerce: coins, paid episodes, live rooms, gifts, shops, orders.")
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _show(rows: Sequence[BaseModel | dict[str, Any]], *, as_json: bool, title: str = "") -> None:
    data = [r.model_dump(mode="json") if isinstance(r, BaseModel) else r for r in rows]
    if as_json:
        emit_json(data)
        return
    if not data:
        console.print("none")
        return
    table = Table(*data[0].keys(), title=title or None)
    for row in data:
        table.add_row(*(_cell(k, v) for k, v in row.items()))
    console.print(table)


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column.endswith("_fen") and isinstance(value, int):
        return format_fen(value)
    return str(value)


# --- users -----------------------------------------------------------------------------------


@app.command("top-up")
def top_up(
    user_id: Annotated[str, typer.Argument(help="the user's id")],
    yuan: Annotated[str, typer.Option(help="amount in yuan, e.g. 68 or 6.80")],
    as_json: JsonOpt = False,
) -> None:
    """Start a coin top-up; coins arrive when the provider settles it.
    Example: laotie commerce top-up u1 --yuan 68"""
    fen = yuan_to_fen(yuan, field="yuan")
    _show(
        [services().commerce.payments.start_top_up(TopUpCreate(user_id=user_id, amount_fen=fen))],
        as_json=as_json,
    )


@app.command("wallet")
def wallet(user_id: Annotated[str, typer.Argument(help="the user's id")]) -> None:
    """A user's coin balance. Example: laotie commerce wallet u1"""
    console.print(format_fen(services().commerce.wallet_fen(user_id)))


@app.command("unlock")
def unlock(
    user_id: Annotated[str, typer.Argument(help="the user's id")],
    item: Annotated[str | None, typer.Option(help="episode to unlock")] = None,
    series: Annotated[str | None, typer.Option(help="series to unlock whole")] = None,
    ad_impression: Annotated[
        str | None, typer.Option(help="rewarded ad impression id (unlock by ad)")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Unlock an episode or a series with coins, or an episode with a rewarded ad.
    Example: laotie commerce unlock u1 --item s1-e3"""
    request = UnlockCreate(
        user_id=user_id,
        item_id=item,
        series_id=series,
        method="ad" if ad_impression else "coins",
        ad_impression_id=ad_impression,
    )
    _show([services().commerce.content.unlock(request)], as_json=as_json)


@app.command("next")
def next_episode(
    user_id: Annotated[str, typer.Argument(help="the user's id")],
    series_id: Annotated[str, typer.Argument(help="the series")],
    after: Annotated[int, typer.Option(help="position watched last")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """The next episode for a user, with its price if locked.
    Example: laotie commerce next u1 s1 --after 2"""
    offer = services().commerce.content.next_episode(user_id, series_id, after_position=after)
    _show([offer] if offer else [], as_json=as_json)


@app.command("gift")
def gift(
    room_id: Annotated[str, typer.Argument(help="the live room")],
    user: Annotated[str, typer.Option(help="the sender")],
    fen: Annotated[int, typer.Option(help="the gift's price in fen of coins")],
    key: Annotated[str, typer.Option(help="idempotency key: the same key never pays twice")],
    name: Annotated[str, typer.Option(help="the gift's name")] = "heart",
    as_json: JsonOpt = False,
) -> None:
    """Send a gift in a live room. Example: laotie commerce gift r1 --user u1 --fen 100 --key g1"""
    request = GiftCreate(user_id=user, gift=name, price_fen=fen, idempotency_key=key)
    _show([services().commerce.live.send_gift(room_id, request)], as_json=as_json)


@app.command("order")
def order(
    order_id: Annotated[str, typer.Argument(help="the order's id")],
    user: Annotated[str, typer.Option(help="the buyer")],
    product: Annotated[str, typer.Option(help="the product")],
    quantity: Annotated[int, typer.Option(help="units")] = 1,
    source: Annotated[str, typer.Option(help="direct | item:<id> | room:<id> | ad:<imp>")] = (
        "direct"
    ),
    as_json: JsonOpt = False,
) -> None:
    """Order a product (stock is taken, a payment started).
    Example: laotie commerce order o1 --user u1 --product p1 --source room:r1"""
    request = OrderCreate(
        id=order_id, user_id=user, product_id=product, quantity=quantity, source=source
    )
    _show([services().commerce.orders.create_order(request)], as_json=as_json)


# --- creators --------------------------------------------------------------------------------


@app.command("paywall")
def paywall(
    series_id: Annotated[str, typer.Argument(help="the series")],
    free: Annotated[int, typer.Option(help="episodes free before the paywall")],
    episode_fen: Annotated[int, typer.Option(help="price of one episode, fen")],
    series_fen: Annotated[int, typer.Option(help="price of the whole series, fen")],
) -> None:
    """Put a series' paywall. Example: laotie commerce paywall s1 --free 10 --episode-fen 30
    --series-fen 990"""
    services().commerce.content.set_paywall(
        series_id,
        PaywallSet(free_episodes=free, episode_price_fen=episode_fen, series_price_fen=series_fen),
    )
    console.print(f"paywall on {series_id}: episodes after {free} locked")


@app.command("room-start")
def room_start(
    room_id: Annotated[str, typer.Argument(help="the room's id")],
    creator: Annotated[str, typer.Option(help="the creator going live")],
    title: Annotated[str, typer.Option(help="the room's title")],
    category: Annotated[str, typer.Option(help="category path, e.g. 美食")] = "",
    ai_host: Annotated[bool, typer.Option(help="a digital-human host (declared AIGC)")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Go live. Example: laotie commerce room-start r1 --creator c1 --title 直播"""
    room = RoomCreate(
        id=room_id, creator_id=creator, title=title, category=category, ai_host=ai_host
    )
    _show([services().commerce.live.start(room)], as_json=as_json)


@app.command("room-host")
def room_host(
    room_id: Annotated[str, typer.Argument(help="a live room that declared an AI host")],
    text: Annotated[str, typer.Option(help="the product script the host reads in a loop")],
    size: Annotated[str, typer.Option(help="vertical, vertical-720, ... or WxH")] = "vertical-720",
    segment_s: Annotated[float, typer.Option(help="HLS segment length, seconds")] = 2.0,
    as_json: JsonOpt = False,
) -> None:
    """Render the AI host's labelled HLS loop for a room (served at
    /v1/commerce/rooms/<id>/hls/live.m3u8). Example: laotie commerce room-host r1 --text 家人们好"""
    runner = services().studio_jobs
    job = runner.submit(
        "live_host", {"room_id": room_id, "text": text, "size": size, "segment_s": segment_s}
    )
    done = runner.wait(job.id)
    if done.status != "succeeded":
        console.print(f"[red]AI-host stream failed:[/red] {done.error}")
        raise typer.Exit(1)
    if as_json:
        emit_json(done.result)
        return
    result = done.result or {}
    console.print(
        f"room {room_id}: {result.get('segments')} segments, {result.get('loop_s')} s a loop, "
        f"AIGC label {result.get('aigc', {}).get('ProduceID')}"
    )


@app.command("payout")
def payout(
    kind: Annotated[str, typer.Argument(help="creator or merchant")],
    account_id: Annotated[str, typer.Argument(help="the creator's or merchant's id")],
    yuan: Annotated[str, typer.Argument(help="amount to pay out in yuan, e.g. 12.50")],
    key: Annotated[str, typer.Option(help="idempotency key (pays at most once)")],
    as_json: JsonOpt = False,
) -> None:
    """Pay a creator or merchant what they are owed. Example: laotie commerce payout creator
    c1 12.50 --key 2026-12-c1"""
    request = PayoutCreate.model_validate(
        {"kind": kind, "account_id": account_id, "amount_fen": yuan_to_fen(yuan, field="yuan"),
         "idempotency_key": key}
    )  # fmt: skip
    _show([services().commerce.payouts.pay_out(request)], as_json=as_json)


@app.command("room-end")
def room_end(room_id: Annotated[str, typer.Argument(help="the room")]) -> None:
    """End a live room. Example: laotie commerce room-end r1"""
    services().commerce.live.end(room_id)
    console.print(f"room {room_id} ended")


@app.command("room")
def room(
    room_id: Annotated[str, typer.Argument(help="the room")], as_json: JsonOpt = False
) -> None:
    """A room's viewers and latest gifts. Example: laotie commerce room r1"""
    page, gifts = services().commerce.live.room(room_id)
    _show([page], as_json=as_json, title="room")
    if not as_json:
        _show(gifts, as_json=False, title="gifts")


@app.command("live")
def live(
    interest: Annotated[list[str], typer.Option(help="the user's interest (repeat)")] = [],  # noqa: B006
    n: Annotated[int, typer.Option(help="rooms to return (the feed's quota)")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Rooms live now, best first. Example: laotie commerce live --interest 美食"""
    _show(services().commerce.live.live_now(interests=interest, n=n), as_json=as_json)


@app.command("earnings")
def earnings(creator_id: Annotated[str, typer.Argument(help="the creator")]) -> None:
    """What the platform owes a creator from gifts and paid content.
    Example: laotie commerce earnings c1"""
    console.print(format_fen(services().commerce.creator_earnings_fen(creator_id)))


# --- merchants -------------------------------------------------------------------------------


@app.command("shop-create")
def shop_create(
    shop_id: Annotated[str, typer.Argument(help="the shop's id")],
    merchant: Annotated[str, typer.Option(help="the merchant's advertiser account")],
    name: Annotated[str, typer.Option(help="display name")],
    commission_bp: Annotated[int, typer.Option(help="platform commission, basis points")] = 500,
    as_json: JsonOpt = False,
) -> None:
    """Open a shop. Example: laotie commerce shop-create shop1 --merchant m1 --name 茶铺"""
    shop = ShopCreate(id=shop_id, merchant_id=merchant, name=name, commission_bp=commission_bp)
    _show([services().commerce.shops.create_shop(shop)], as_json=as_json)


@app.command("product-add")
def product_add(
    shop_id: Annotated[str, typer.Argument(help="the shop")],
    product_id: Annotated[str, typer.Argument(help="the product's id")],
    sku: Annotated[str, typer.Option(help="stock-keeping unit")],
    title: Annotated[str, typer.Option(help="display title")],
    price_fen: Annotated[int, typer.Option(help="unit price, fen")],
    stock: Annotated[int, typer.Option(help="units in stock")],
    as_json: JsonOpt = False,
) -> None:
    """Add a product. Example: laotie commerce product-add shop1 p1 --sku A --title 茶
    --price-fen 1999 --stock 100"""
    product = ProductCreate(id=product_id, sku=sku, title=title, price_fen=price_fen, stock=stock)
    _show([services().commerce.shops.add_product(shop_id, product)], as_json=as_json)


@app.command("restock")
def restock(
    product_id: Annotated[str, typer.Argument(help="the product")],
    quantity: Annotated[int, typer.Option(help="units to add")],
) -> None:
    """Add stock. Example: laotie commerce restock p1 --quantity 50"""
    product = services().commerce.shops.restock(product_id, quantity)
    console.print(f"{product.id}: {product.stock} in stock")


@app.command("card")
def card(
    product_id: Annotated[str, typer.Argument(help="the product")],
    target: Annotated[str, typer.Option(help="item:<video id> or room:<room id>")],
) -> None:
    """Show a product on a video or a live room.
    Example: laotie commerce card p1 --target room:r1"""
    services().commerce.shops.add_card(product_id, CardCreate(target=target))
    console.print(f"{product_id} shown on {target}")


@app.command("products")
def products(
    shop_id: Annotated[str, typer.Argument(help="the shop")], as_json: JsonOpt = False
) -> None:
    """A shop's products and stock. Example: laotie commerce products shop1"""
    _show(services().commerce.shops.products(shop_id), as_json=as_json)


@app.command("ship")
def ship(order_id: Annotated[str, typer.Argument(help="the order")]) -> None:
    """Ship a paid order. Example: laotie commerce ship o1"""
    console.print(f"{order_id}: {services().commerce.orders.ship(order_id).status}")


@app.command("orders")
def orders(
    shop: Annotated[str | None, typer.Option(help="only this shop's")] = None,
    user: Annotated[str | None, typer.Option(help="only this user's")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Orders, newest first. Example: laotie commerce orders --shop shop1"""
    _show(services().commerce.orders.orders(shop_id=shop, user_id=user), as_json=as_json)


# --- operator --------------------------------------------------------------------------------


@app.command("expire-orders")
def expire_orders(
    older_than_min: Annotated[int, typer.Option(help="minutes an order may stay unpaid")] = 30,
) -> None:
    """Expire unpaid orders and release their stock (the provider closes each payment
    first). Example: laotie commerce expire-orders --older-than-min 30"""
    expired = services().commerce.orders.expire_unpaid(older_than_ms=older_than_min * 60_000)
    console.print(f"{expired} unpaid orders expired")


@app.command("refund-order")
def refund_order(order_id: Annotated[str, typer.Argument(help="the order")]) -> None:
    """Refund an order through the provider. Example: laotie commerce refund-order o1"""
    console.print(f"{order_id}: {services().commerce.orders.refund(order_id).status}")


@app.command("refund-gift")
def refund_gift(gift_id: Annotated[int, typer.Argument(help="the gift's number")]) -> None:
    """Reverse a gift exactly. Example: laotie commerce refund-gift 12"""
    console.print(f"gift {gift_id}: {services().commerce.live.refund_gift(gift_id).status}")


@app.command("summary")
def summary(as_json: JsonOpt = False) -> None:
    """Revenue by line, GMV, paying users, ARPPU, funnel. Example: laotie commerce summary"""
    figures = services().commerce.summary()
    if as_json:
        emit_json(figures)
        return
    lines = [{"line": k, "revenue_fen": v} for k, v in figures["revenue_fen"].items()]
    _show(lines, as_json=False, title="revenue by line")
    console.print(
        f"GMV {format_fen(figures['gmv_fen'])} · paying users {figures['paying_users']} · "
        f"ARPPU {format_fen(figures['arppu_fen'])} · orders {figures['order_funnel']}"
    )


@app.command("reconcile")
def reconcile(as_json: JsonOpt = False) -> None:
    """Check the ledger: balanced journals, zero trial balance, wallets equal the ledger.
    Example: laotie commerce reconcile"""
    check = services().commerce.reconcile()
    if as_json:
        emit_json(check)
        return
    console.print("ledger ok" if check["ok"] else f"ledger NOT ok: {check}")
    if not check["ok"]:
        raise typer.Exit(1)
