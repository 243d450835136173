"""A local HTTP server on 127.0.0.1 speaking WeChat Pay API v3's documented wire format.

It plays WeChat Pay towards a merchant: it checks each request's ``WECHATPAY2-SHA256-RSA2048``
Authorization against the merchant's public key, answers Native orders with a ``code_url``
and refunds with a pending refund, signs every response with the platform key
(``Wechatpay-*`` headers), and delivers ``TRANSACTION.SUCCESS`` / ``REFUND.SUCCESS``
notifications (AES-256-GCM resource under the APIv3 key, RSA-signed) to the order's
``notify_url``, again on a schedule while the merchant does not answer 200/204, as WeChat
Pay does (15 s, 15 s, 30 s, 3 min, ... there; ``retry_delays_s`` here).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from laotie.commerce import wechatpay


@dataclass
class Delivery:
    """One attempt to deliver a notification: the merchant's status, or the network error."""

    status: int | None
    error: str = ""
    body: str = ""


@dataclass
class FakeWechatPay:
    """The server's state: keys, orders, refunds, and requests it refused."""

    mchid: str
    apiv3_key: bytes
    platform_key: rsa.RSAPrivateKey
    platform_serial: str
    merchant_public_key: rsa.RSAPublicKey
    merchant_serial: str
    retry_delays_s: tuple[float, ...] = (0.2, 0.2, 0.4, 0.8, 1.6)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: orders the payer has paid (``paid`` was built for them) and orders the merchant closed
    paid_trades: set[str] = field(default_factory=set)
    closed: set[str] = field(default_factory=set)
    rejected: list[str] = field(default_factory=list)
    #: answer the next merchant requests with 500 SYSTEM_ERROR, as WeChat Pay may
    fail_next: int = 0

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, answer = fake.handle(self.command, self.path, dict(self.headers), body)
                payload = b"" if status == 204 else json.dumps(answer).encode()
                self.send_response(status)
                for name, value in fake.signed_headers(payload).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        """Where the server listens."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()

    def signed_headers(self, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
        """The ``Wechatpay-*`` headers that sign ``body`` with the platform key."""
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        nonce = secrets.token_hex(16)
        return {
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": wechatpay.sign(
                self.platform_key, wechatpay.signed_message(stamp, nonce, body)
            ),
            "Wechatpay-Serial": self.platform_serial,
        }

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        """Answer a merchant request: (status, JSON answer)."""
        if self.fail_next > 0:
            self.fail_next -= 1
            return 500, {"code": "SYSTEM_ERROR", "message": "系统错误"}
        problem = self._check_signature(method, path, headers, body)
        if problem:
            self.rejected.append(problem)
            return 401, {"code": "SIGN_ERROR", "message": problem}
        data = json.loads(body)
        if path == "/v3/pay/transactions/native":
            total = data.get("amount", {}).get("total")
            if data.get("mchid") != self.mchid or not isinstance(total, int) or total <= 0:
                return 400, {"code": "PARAM_ERROR", "message": "mchid or amount.total"}
            self.orders[data["out_trade_no"]] = data
            return 200, {"code_url": f"weixin://wxpay/bizpayurl?pr={secrets.token_hex(4)}"}
        if path == "/v3/refund/domestic/refunds":
            if data.get("out_trade_no") not in self.orders:
                return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "no such order"}
            self.refunds[data["out_refund_no"]] = data
            return 200, {
                "refund_id": f"5030{secrets.token_hex(8)}",
                "out_refund_no": data["out_refund_no"],
                "status": "PROCESSING",
                "amount": data["amount"],
            }
        closing = re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)/close", path)
        if closing:  # 关闭订单: 204, or ORDERPAID once the payer has paid
            trade = closing.group(1)
            if data.get("mchid") != self.mchid or trade not in self.orders:
                return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
            if trade in self.paid_trades:
                return 400, {"code": "ORDERPAID", "message": "订单已支付"}
            self.closed.add(trade)
            return 204, {}
        return 404, {"code": "NOT_FOUND", "message": path}

    def _check_signature(self, method: str, path: str, headers: dict[str, str], body: bytes) -> str:
        header = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        try:
            fields = wechatpay.parse_authorization(header)
        except Exception as exc:
            return str(exc)
        if fields.get("mchid") != self.mchid or fields.get("serial_no") != self.merchant_serial:
            return "mchid or serial_no does not match"
        message = wechatpay.request_message(
            method, path, fields.get("timestamp", ""), fields.get("nonce_str", ""), body
        )
        if not wechatpay.verify(self.merchant_public_key, message, fields.get("signature", "")):
            return "signature does not verify"
        return ""

    # --- notifications ------------------------------------------------------------------------

    def notification(
        self, event_type: str, resource: dict[str, Any], *, original_type: str
    ) -> bytes:
        """A notification body with a new id and the resource encrypted."""
        envelope = {
            "id": f"EV-{secrets.token_hex(10)}",
            "create_time": time.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "支付成功" if event_type.startswith("TRANSACTION") else "退款成功",
            "resource": wechatpay.encrypt_resource(
                self.apiv3_key,
                resource,
                original_type=original_type,
                associated_data=original_type,
            ),
        }
        return json.dumps(envelope, ensure_ascii=False).encode()

    def paid(self, out_trade_no: str, *, total: int | None = None) -> bytes:
        """The TRANSACTION.SUCCESS notification of a Native order."""
        order = self.orders[out_trade_no]
        self.paid_trades.add(out_trade_no)
        return self.notification(
            "TRANSACTION.SUCCESS",
            {
                "mchid": self.mchid,
                "appid": order["appid"],
                "out_trade_no": out_trade_no,
                "transaction_id": f"4200{secrets.token_hex(8)}",
                "trade_type": "NATIVE",
                "trade_state": "SUCCESS",
                "trade_state_desc": "支付成功",
                "bank_type": "OTHERS",
                "success_time": time.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
                "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
                "amount": {
                    "total": order["amount"]["total"] if total is None else total,
                    "payer_total": order["amount"]["total"],
                    "currency": "CNY",
                    "payer_currency": "CNY",
                },
            },
            original_type="transaction",
        )

    def refunded(self, out_refund_no: str) -> bytes:
        """The REFUND.SUCCESS notification of a refund asked for earlier."""
        refund = self.refunds[out_refund_no]
        amount = refund["amount"]
        return self.notification(
            "REFUND.SUCCESS",
            {
                "mchid": self.mchid,
                "out_trade_no": refund["out_trade_no"],
                "transaction_id": f"4200{secrets.token_hex(8)}",
                "out_refund_no": out_refund_no,
                "refund_id": f"5030{secrets.token_hex(8)}",
                "refund_status": "SUCCESS",
                "success_time": time.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
                "user_received_account": "支付用户零钱",
                "amount": {
                    "total": amount["total"],
                    "refund": amount["refund"],
                    "payer_total": amount["total"],
                    "payer_refund": amount["refund"],
                },
            },
            original_type="refund",
        )

    def deliver(
        self, url: str, body: bytes, *, headers: dict[str, str] | None = None
    ) -> list[Delivery]:
        """POST a notification until the merchant answers 200/204 or the schedule runs out."""
        attempts: list[Delivery] = []
        for delay in (0.0, *self.retry_delays_s):
            time.sleep(delay)
            sent = headers or self.signed_headers(body)
            try:
                response = httpx.post(
                    url,
                    content=body,
                    headers={**sent, "Content-Type": "application/json"},
                    timeout=5.0,
                )
            except httpx.HTTPError as exc:
                attempts.append(Delivery(None, error=type(exc).__name__))
                continue
            attempts.append(Delivery(response.status_code, body=response.text))
            if response.status_code in (200, 204):
                break
        return attempts
