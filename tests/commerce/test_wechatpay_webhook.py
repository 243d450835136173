"""WeChat Pay v3 end to end over real HTTP: laotie served by uvicorn on 127.0.0.1 talks to a
local server speaking WeChat Pay's wire format (``_wechatpay_server``). Top-ups and order
payments are created with signed requests, settled by signed, encrypted notifications that
are retried until acknowledged, and applied exactly once however often they arrive."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from laotie.api import create_app
from laotie.core.settings import load_settings
from laotie.store.repos import access, ledger
from laotie.wiring import Services, build_services

from ._wechatpay_server import FakeWechatPay

APIV3_KEY = "0123456789abcdef0123456789ABCDEF"
MCHID = "1900000109"
NOTIFY = "/v1/commerce/payments/wechatpay/notify"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pem_private(key: rsa.RSAPrivateKey, path: Path) -> str:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(path)


def _pem_public(key: rsa.RSAPublicKey, path: Path) -> str:
    path.write_bytes(
        key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return str(path)


class Laotie:
    """laotie's API served by uvicorn on a port chosen up front (it can start late)."""

    def __init__(self, services: Services, port: int) -> None:
        self.port = port
        config = uvicorn.Config(
            create_app(services),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            ws="none",
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def wired(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """laotie configured for WeChat Pay against the local WeChat Pay server."""
    for name in list(__import__("os").environ):
        if name.startswith("LAOTIE_"):
            monkeypatch.delenv(name)
    merchant = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    platform = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    fake = FakeWechatPay(
        mchid=MCHID,
        apiv3_key=APIV3_KEY.encode(),
        platform_key=platform,
        platform_serial="PUB_KEY_ID_0114232134912410000000000000",
        merchant_public_key=merchant.public_key(),
        merchant_serial="3775B6A45ACD588826D15E583A95F5DD********",
    )
    port = _free_port()
    settings = load_settings(
        home=tmp_path / "home",
        wechatpay_mchid=MCHID,
        wechatpay_appid="wxd678efh567hg6787",
        wechatpay_apiv3_key=APIV3_KEY,
        wechatpay_merchant_key_path=_pem_private(merchant, tmp_path / "apiclient_key.pem"),
        wechatpay_merchant_serial=fake.merchant_serial,
        wechatpay_platform_key_path=_pem_public(platform.public_key(), tmp_path / "pub_key.pem"),
        wechatpay_platform_serial=fake.platform_serial,
        wechatpay_base_url=fake.base_url,
        wechatpay_notify_url=f"http://127.0.0.1:{port}{NOTIFY}",
    )
    services = build_services(settings)
    with services.db.session() as session:
        app_key, _ = access.create_key(session, role="app")
        admin_key, _ = access.create_key(session, role="admin")
    laotie = Laotie(services, port)
    yield {
        "fake": fake,
        "services": services,
        "laotie": laotie,
        "app": {"Authorization": f"Bearer {app_key}"},
        "admin": {"Authorization": f"Bearer {admin_key}"},
    }
    if laotie.thread.is_alive():
        laotie.stop()
    fake.close()
    services.close()


def _world(services: Services) -> None:
    from laotie.ads import AdvertiserCreate
    from laotie.commerce import ProductCreate, ShopCreate
    from laotie.core.catalog import UserCreate
    from laotie.store.repos import catalog

    with services.db.session() as session:
        catalog.create_user(session, user=UserCreate(id="u1"))
    services.ads.accounts.create_advertiser(AdvertiserCreate(id="m1", name="Merchant"))
    services.commerce.shops.create_shop(ShopCreate(id="shop1", merchant_id="m1", name="Shop"))
    services.commerce.shops.add_product(
        "shop1", ProductCreate(id="p1", sku="A", title="Tea", price_fen=2500, stock=3)
    )


def _cash(services: Services) -> int:
    with services.db.session() as session:
        return ledger.account_balances(session).get("platform:cash", 0)


def test_a_top_up_is_settled_once_by_a_retried_then_duplicated_notification(wired):
    fake, services, laotie = wired["fake"], wired["services"], wired["laotie"]
    _world(services)
    laotie.start()
    created = httpx.post(
        f"{laotie.url}/v1/commerce/topups",
        json={"user_id": "u1", "amount_fen": 6800},
        headers=wired["app"],
    )
    assert created.status_code == 201, created.text
    payment = created.json()
    assert payment["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")
    order = fake.orders[payment["out_trade_no"]]
    assert order["amount"] == {"total": 6800, "currency": "CNY"}
    assert order["notify_url"].endswith(NOTIFY) and fake.rejected == []

    # laotie is down for the first deliveries: WeChat Pay retries until it answers
    laotie.stop()
    body = fake.paid(payment["out_trade_no"])
    result: list = []
    sender = threading.Thread(target=lambda: result.extend(fake.deliver(order["notify_url"], body)))
    sender.start()
    time.sleep(0.5)
    restarted = Laotie(services, laotie.port)
    wired["laotie"] = restarted
    restarted.start()
    sender.join(timeout=30)
    assert result[0].status is None and result[0].error  # refused while down
    assert result[-1].status == 204
    assert services.commerce.wallet_fen("u1") == 6800

    # the same notification again, and a second notification of the same transaction
    again = fake.deliver(order["notify_url"], body)
    other = fake.deliver(order["notify_url"], fake.paid(payment["out_trade_no"]))
    assert [a.status for a in again] == [204] and [a.status for a in other] == [204]
    assert services.commerce.wallet_fen("u1") == 6800
    assert _cash(services) == 6800
    status = httpx.get(
        f"{restarted.url}/v1/commerce/payments/{payment['out_trade_no']}", headers=wired["app"]
    )
    assert status.json()["status"] == "paid"
    assert services.commerce.reconcile()["ok"]
    restarted.stop()


def test_forged_stale_or_wrong_amount_notifications_move_no_money(wired):
    fake, services, laotie = wired["fake"], wired["services"], wired["laotie"]
    _world(services)
    laotie.start()
    fake.retry_delays_s = (0.1,)
    payment = httpx.post(
        f"{laotie.url}/v1/commerce/topups",
        json={"user_id": "u1", "amount_fen": 100},
        headers=wired["app"],
    ).json()
    url = fake.orders[payment["out_trade_no"]]["notify_url"]
    body = fake.paid(payment["out_trade_no"])

    forged = body.replace(b'"summary"', b'"summary" ', 1)  # signed bytes changed
    attempts = fake.deliver(url, forged, headers=fake.signed_headers(body))
    assert [a.status for a in attempts] == [401, 401]
    assert '"code":"FAIL"' in attempts[0].body and "does not verify" in attempts[0].body

    stale = fake.deliver(url, body, headers=fake.signed_headers(body, timestamp=1_000_000_000))
    assert stale[0].status == 401 and "Wechatpay-Timestamp" in stale[0].body

    wrong = fake.deliver(url, fake.paid(payment["out_trade_no"], total=10_000))
    assert wrong[0].status == 409 and "provider says 10000" in wrong[0].body

    missing = httpx.post(f"{laotie.url}{NOTIFY}", content=body)
    assert missing.status_code == 401 and missing.json()["code"] == "FAIL"
    assert services.commerce.wallet_fen("u1") == 0 and _cash(services) == 0


def test_an_order_is_paid_and_refunded_through_the_provider(wired):
    fake, services, laotie = wired["fake"], wired["services"], wired["laotie"]
    _world(services)
    laotie.start()
    order = httpx.post(
        f"{laotie.url}/v1/commerce/orders",
        json={"id": "o1", "user_id": "u1", "product_id": "p1", "quantity": 2},
        headers=wired["app"],
    )
    assert order.status_code == 201, order.text
    trade = order.json()["out_trade_no"]
    url = fake.orders[trade]["notify_url"]
    assert fake.deliver(url, fake.paid(trade))[-1].status == 204
    assert _cash(services) == 5000

    refund = httpx.post(f"{laotie.url}/v1/commerce/orders/o1/refund", headers=wired["admin"])
    assert refund.status_code == 200 and refund.json()["status"] == "paid"  # until notified
    (out_refund_no,) = fake.refunds
    assert fake.refunds[out_refund_no]["amount"] == {
        "refund": 5000,
        "total": 5000,
        "currency": "CNY",
    }
    body = fake.refunded(out_refund_no)
    assert fake.deliver(url, body)[-1].status == 204
    assert fake.deliver(url, body)[-1].status == 204
    assert _cash(services) == 0
    listed = httpx.get(f"{laotie.url}/v1/commerce/orders?user_id=u1", headers=wired["app"])
    assert listed.json()[0]["status"] == "refunded"
    assert services.commerce.shops.products("shop1")[0].stock == 3
    assert services.commerce.reconcile()["ok"]


def test_a_provider_failure_cancels_the_order_and_returns_its_stock(wired):
    fake, services, laotie = wired["fake"], wired["services"], wired["laotie"]
    _world(services)
    laotie.start()
    fake.fail_next = 2
    order = httpx.post(
        f"{laotie.url}/v1/commerce/orders",
        json={"id": "o1", "user_id": "u1", "product_id": "p1", "quantity": 3},
        headers=wired["app"],
    )
    assert order.status_code == 502 and "SYSTEM_ERROR" in order.json()["detail"]
    assert services.commerce.shops.products("shop1")[0].stock == 3
    assert services.commerce.orders.orders(user_id="u1")[0].status == "cancelled"
    topup = httpx.post(
        f"{laotie.url}/v1/commerce/topups",
        json={"user_id": "u1", "amount_fen": 100},
        headers=wired["app"],
    )
    assert topup.status_code == 502
    retried = httpx.post(
        f"{laotie.url}/v1/commerce/orders",
        json={"id": "o2", "user_id": "u1", "product_id": "p1", "quantity": 3},
        headers=wired["app"],
    )
    assert retried.status_code == 201 and retried.json()["code_url"].startswith("weixin://")


def test_unpaid_orders_expire_once_the_provider_has_closed_them(wired):
    fake, services, laotie = wired["fake"], wired["services"], wired["laotie"]
    _world(services)
    laotie.start()
    trades = {}
    for order_id in ("paid", "unpaid"):
        answer = httpx.post(
            f"{laotie.url}/v1/commerce/orders",
            json={"id": order_id, "user_id": "u1", "product_id": "p1"},
            headers=wired["app"],
            timeout=30,  # the machine may be busy: laotie calls the provider in between
        )
        trades[order_id] = answer.json()["out_trade_no"]
    paid_notice = fake.paid(trades["paid"])  # the payer paid; the notification is late
    assert services.commerce.shops.products("shop1")[0].stock == 1
    expired = httpx.post(
        f"{laotie.url}/v1/commerce/orders/expire?older_than_min=0",
        headers=wired["admin"],
        timeout=30,
    )
    assert expired.status_code == 200 and expired.json() == {"expired": 1}
    assert fake.closed == {trades["unpaid"]}  # the paid one was refused (ORDERPAID) and kept
    statuses = {o.id: o.status for o in services.commerce.orders.orders(user_id="u1")}
    assert statuses == {"paid": "created", "unpaid": "expired"}
    assert services.commerce.shops.products("shop1")[0].stock == 2
    url = fake.orders[trades["paid"]]["notify_url"]
    assert fake.deliver(url, paid_notice)[-1].status == 204
    assert _cash(services) == 2500
    assert services.commerce.reconcile()["ok"]
