"""The commerce API per role: each key acts only within its role and scope; bad input is a
problem document naming the field."""

from __future__ import annotations

import pytest

from laotie.ads import AdvertiserCreate
from laotie.core.catalog import ContainerCreate, CreatorCreate, ItemCreate, UserCreate
from laotie.store.repos import catalog

pytestmark = pytest.mark.both_backends  # the same tests on a real PostgreSQL


def _world(services):
    with services.db.session() as session:
        catalog.create_user(session, user=UserCreate(id="u1"))
        for creator in ("c1", "c2"):
            catalog.create_creator(session, creator=CreatorCreate(id=creator, name=creator))
        catalog.create_series(session, series=ContainerCreate(id="s1", creator_id="c1", title="S"))
        catalog.create_item(
            session,
            item=ItemCreate(
                id="e2", kind="episode", creator_id="c1", parent_id="s1", position=2, title="E"
            ),
        )
    for merchant in ("m1", "m2"):
        services.ads.accounts.create_advertiser(AdvertiserCreate(id=merchant, name=merchant))


def test_each_role_acts_only_on_its_own(client, services, make_headers, admin_headers):
    _world(services)
    c1, c2 = make_headers("creator", "c1"), make_headers("creator", "c2")
    m1, m2 = make_headers("advertiser", "m1"), make_headers("advertiser", "m2")
    app = make_headers("app")
    base = "/v1/commerce"

    wall = {"free_episodes": 1, "episode_price_fen": 30, "series_price_fen": 90}
    assert client.put(f"{base}/series/s1/paywall", json=wall, headers=c2).status_code == 403
    assert client.put(f"{base}/series/s1/paywall", json=wall, headers=c1).status_code == 200
    room = {"id": "r1", "creator_id": "c1", "title": "Live"}
    assert client.post(f"{base}/rooms", json=room, headers=c2).status_code == 403
    assert client.post(f"{base}/rooms", json=room, headers=app).status_code == 403
    assert client.post(f"{base}/rooms", json=room, headers=c1).status_code == 201
    assert client.post(f"{base}/rooms/r1/end", headers=c2).status_code == 403

    shop = {"id": "shop1", "merchant_id": "m1", "name": "Shop"}
    assert client.post(f"{base}/shops", json=shop, headers=m2).status_code == 403
    assert client.post(f"{base}/shops", json=shop, headers=m1).status_code == 201
    product = {"id": "p1", "sku": "A", "title": "Tea", "price_fen": 500, "stock": 2}
    assert client.post(f"{base}/shops/shop1/products", json=product, headers=m2).status_code == 403
    assert client.post(f"{base}/shops/shop1/products", json=product, headers=m1).status_code == 201
    order = {"id": "o1", "user_id": "u1", "product_id": "p1", "source": "room:r1"}
    assert client.post(f"{base}/orders", json=order, headers=m1).status_code == 403
    assert client.post(f"{base}/orders", json=order, headers=app).status_code == 201
    assert client.get(f"{base}/orders?shop_id=shop1", headers=m2).status_code == 403
    assert client.get(f"{base}/orders?shop_id=shop1", headers=m1).json()[0]["id"] == "o1"
    assert client.post(f"{base}/orders/o1/refund", headers=m1).status_code == 403
    assert client.get(f"{base}/summary", headers=app).status_code == 403
    assert client.get(f"{base}/reconcile", headers=admin_headers).json()["ok"] is True
    assert client.get(f"{base}/creators/c1/earnings", headers=c2).status_code == 403
    assert client.get(f"{base}/creators/c1/earnings", headers=c1).json()["balance_fen"] == 0

    page = client.post(f"{base}/rooms/r1/viewers", json={"user_id": "u1"}, headers=app).json()
    assert page["viewers"] == 1
    offer = client.get(f"{base}/series/s1/next?user_id=u1&after=1", headers=app).json()
    assert offer["locked"] is True and offer["price_fen"] == 30


def test_bad_input_names_the_field(client, services, make_headers):
    _world(services)
    app = make_headers("app")
    too_big = client.post(
        "/v1/commerce/topups", json={"user_id": "u1", "amount_fen": 10**9}, headers=app
    )
    assert too_big.status_code == 422 and too_big.json()["field"] == "amount_fen"
    short = client.post(
        "/v1/commerce/unlocks", json={"user_id": "u1", "item_id": "e2"}, headers=app
    )
    assert short.status_code == 404 and "paywall" in short.json()["detail"]
    broke = client.post(
        "/v1/commerce/rooms/nope/gifts",
        json={"user_id": "u1", "gift": "g", "price_fen": 10, "idempotency_key": "k"},
        headers=app,
    )
    assert broke.status_code == 404 and broke.json()["field"] == "room_id"


def test_money_movements_are_logged_as_purchase_events(client, services, make_headers):
    from sqlalchemy import select

    from laotie.commerce import GiftCreate, RoomCreate, TopUpCreate
    from laotie.core.events import EVENT_CODES
    from laotie.store.tables import Event

    _world(services)
    commerce = services.commerce
    payment = commerce.payments.start_top_up(TopUpCreate(user_id="u1", amount_fen=500))
    commerce.payments.settle(out_trade_no=payment.out_trade_no, transaction_id="T", amount_fen=500)
    commerce.live.start(RoomCreate(id="r1", creator_id="c1", title="Live"))
    commerce.live.send_gift(
        "r1", GiftCreate(user_id="u1", gift="g", price_fen=120, idempotency_key="k")
    )
    with services.db.session() as session:
        rows = session.execute(
            select(Event.amount_fen, Event.ref).where(Event.type == EVENT_CODES["purchase"])
        ).all()
    assert rows == [(120, "room:r1")]


def test_the_feed_serves_locked_episodes_with_their_price(client, services, make_headers):
    from laotie.commerce import PaywallSet, TopUpCreate, UnlockCreate

    _world(services)
    with services.db.session() as session:
        for position in (1, 3):
            catalog.create_item(
                session,
                item=ItemCreate(
                    id=f"e{position}",
                    kind="episode",
                    creator_id="c1",
                    parent_id="s1",
                    position=position,
                    title="E",
                ),
            )
    services.commerce.content.set_paywall(
        "s1", PaywallSet(free_episodes=1, episode_price_fen=30, series_price_fen=90)
    )
    app = make_headers("app")
    page = client.get("/v1/feed/u1?n=10&kind=episode", headers=app).json()
    served = {e["id"]: (e.get("locked"), e.get("price_fen")) for e in page["entries"]}
    assert served == {"e1": (None, None), "e2": (True, 30), "e3": (True, 30)}
    payment = services.commerce.payments.start_top_up(TopUpCreate(user_id="u1", amount_fen=100))
    services.commerce.payments.settle(
        out_trade_no=payment.out_trade_no, transaction_id="T", amount_fen=100
    )
    services.commerce.content.unlock(UnlockCreate(user_id="u1", item_id="e2"))
    prices = services.commerce.content.locked_prices("u1", ["e1", "e2", "e3"])
    assert prices == {"e3": 30}
    assert services.commerce.content.locked_prices("stranger", ["e2"]) == {"e2": 30}


def test_a_person_key_pays_and_reads_only_as_its_own_user(client, services, make_headers):
    _world(services)
    with services.db.session() as session:
        catalog.create_user(session, user=UserCreate(id="u2"))
    app, person = make_headers("app"), make_headers("app", "person:u2")
    base = "/v1/commerce"
    paid = client.post(f"{base}/topups", json={"user_id": "u1", "amount_fen": 600}, headers=app)
    assert paid.status_code == 201 and paid.json()["user_id"] == "u1"
    trade = paid.json()["out_trade_no"]
    assert client.get(f"{base}/payments/{trade}", headers=app).status_code == 200
    assert client.get(f"{base}/payments/{trade}", headers=person).status_code == 403
    assert client.get(f"{base}/wallets/u1", headers=person).status_code == 403
    as_other = {"user_id": "u1", "amount_fen": 600}
    assert client.post(f"{base}/topups", json=as_other, headers=person).status_code == 403
    own = client.post(f"{base}/topups", json={"user_id": "u2", "amount_fen": 600}, headers=person)
    assert own.status_code == 201
    mine = client.get(f"{base}/payments/{own.json()['out_trade_no']}", headers=person)
    assert mine.status_code == 200 and mine.json()["user_id"] == "u2"
