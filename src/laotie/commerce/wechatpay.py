"""WeChat Pay API v3 (微信支付 APIv3): request signing, notification verification, decryption.

Wire format, as documented by WeChat Pay (pay.weixin.qq.com, "签名生成", "签名验证",
"证书和回调报文解密", "支付通知", "退款结果通知"):

- A merchant request carries ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="..",
  nonce_str="..",signature="..",timestamp="..",serial_no=".."``; the signature is
  SHA256withRSA (PKCS#1 v1.5) by the merchant key over
  ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n``, base64.
- Responses and notifications carry ``Wechatpay-Timestamp``, ``Wechatpay-Nonce``,
  ``Wechatpay-Signature`` and ``Wechatpay-Serial``; the signature is SHA256withRSA by the
  platform key named by the serial over ``TIMESTAMP\\nNONCE\\nBODY\\n``.
- A notification body is JSON ``{id, create_time, event_type, resource_type, summary,
  resource: {algorithm: AEAD_AES_256_GCM, ciphertext, nonce, associated_data,
  original_type}}``; ``ciphertext`` is base64 of AES-256-GCM(ciphertext || 16-byte tag) under
  the 32-byte APIv3 key. Event types used here: ``TRANSACTION.SUCCESS`` (resource a
  transaction with ``out_trade_no``, ``transaction_id``, ``trade_state``, ``amount.total``)
  and ``REFUND.SUCCESS`` (resource a refund with ``out_trade_no``, ``out_refund_no``,
  ``refund_status``, ``amount.refund``).
- The merchant answers 200/204 to accept; any other status (with ``{"code": "FAIL",
  "message": ..}``) makes WeChat Pay deliver again later (15 s, 15 s, 30 s, 3 min, ... up to
  24 h), so a notification may arrive several times and must be handled once by its ``id``.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from laotie.core.errors import (
    InvalidInput,
    ProviderError,
    ProviderResponseError,
    ProviderTimeout,
    Unauthenticated,
)

PROVIDER = "wechatpay"
AUTH_SCHEME = "WECHATPAY2-SHA256-RSA2048"
ALGORITHM = "AEAD_AES_256_GCM"
APIV3_KEY_BYTES = 32
#: how far a notification's timestamp may be from our clock, seconds (replay window)
MAX_SKEW_S = 300


@dataclass(frozen=True)
class WechatPayConfig:
    """A merchant's WeChat Pay v3 credentials and the platform key that signs to it."""

    mchid: str
    appid: str
    apiv3_key: bytes
    merchant_serial: str
    merchant_key: rsa.RSAPrivateKey
    platform_serial: str
    platform_key: rsa.RSAPublicKey
    notify_url: str
    base_url: str = "https://api.mch.weixin.qq.com"

    def __post_init__(self) -> None:
        if len(self.apiv3_key) != APIV3_KEY_BYTES:
            raise InvalidInput(
                "the WeChat Pay APIv3 key must be 32 bytes",
                field="wechatpay_apiv3_key",
                limit=APIV3_KEY_BYTES,
            )


def load_private_key(path: Path) -> rsa.RSAPrivateKey:
    """An RSA private key from a PEM file (the merchant's ``apiclient_key.pem``)."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidInput(f"{path} is not an RSA private key", field="wechatpay_merchant_key")
    return key


def load_public_key(path: Path) -> rsa.RSAPublicKey:
    """The platform's RSA public key from a PEM public key or X.509 certificate file."""
    data = path.read_bytes()
    key: Any
    if b"CERTIFICATE" in data:
        key = x509.load_pem_x509_certificate(data).public_key()
    else:
        key = serialization.load_pem_public_key(data)
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidInput(f"{path} is not an RSA public key", field="wechatpay_platform_key")
    return key


def sign(private_key: rsa.RSAPrivateKey, message: bytes) -> str:
    """SHA256withRSA (PKCS#1 v1.5) signature of ``message``, base64."""
    return base64.b64encode(private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(public_key: rsa.RSAPublicKey, message: bytes, signature: str) -> bool:
    """Whether ``signature`` (base64) is a valid SHA256withRSA signature of ``message``."""
    try:
        public_key.verify(base64.b64decode(signature), message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def signed_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    """The bytes a response or notification signature covers."""
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


def request_message(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """The bytes a merchant request signature covers (``path`` includes the query)."""
    return f"{method}\n{path}\n{timestamp}\n{nonce}\n".encode() + body + b"\n"


def authorization(
    config: WechatPayConfig, method: str, path: str, body: bytes, *, timestamp: str, nonce: str
) -> str:
    """The ``Authorization`` header value of a merchant request."""
    signature = sign(config.merchant_key, request_message(method, path, timestamp, nonce, body))
    return (
        f'{AUTH_SCHEME} mchid="{config.mchid}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{config.merchant_serial}"'
    )


def parse_authorization(header: str) -> dict[str, str]:
    """The fields of a ``WECHATPAY2-SHA256-RSA2048`` Authorization header."""
    scheme, _, rest = header.partition(" ")
    if scheme != AUTH_SCHEME:
        raise Unauthenticated(f"authorization scheme must be {AUTH_SCHEME}")
    fields = {}
    for part in rest.split(","):
        name, _, value = part.strip().partition("=")
        fields[name] = value.strip('"')
    return fields


def encrypt_resource(
    key: bytes, resource: Mapping[str, Any], *, original_type: str, associated_data: str
) -> dict[str, str]:
    """A resource as WeChat Pay encrypts it into a notification (AES-256-GCM, base64)."""
    nonce = secrets.token_hex(6)
    sealed = AESGCM(key).encrypt(
        nonce.encode(), json.dumps(resource).encode(), associated_data.encode()
    )
    return {
        "original_type": original_type,
        "algorithm": ALGORITHM,
        "ciphertext": base64.b64encode(sealed).decode(),
        "associated_data": associated_data,
        "nonce": nonce,
    }


def decrypt_resource(key: bytes, resource: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON object inside a notification's encrypted ``resource``."""
    if resource.get("algorithm") != ALGORITHM:
        raise InvalidInput(
            f"resource.algorithm must be {ALGORITHM}", field="resource.algorithm", limit=ALGORITHM
        )
    try:
        plain = AESGCM(key).decrypt(
            str(resource["nonce"]).encode(),
            base64.b64decode(str(resource["ciphertext"])),
            str(resource.get("associated_data") or "").encode(),
        )
    except KeyError as exc:
        raise InvalidInput(f"resource.{exc.args[0]} is missing", field="resource") from exc
    except (InvalidTag, ValueError) as exc:
        raise Unauthenticated("notification resource does not decrypt under the APIv3 key") from exc
    decoded: dict[str, Any] = json.loads(plain)
    return decoded


@dataclass(frozen=True)
class Notification:
    """A verified, decrypted notification."""

    id: str
    event_type: str
    resource: dict[str, Any]


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    raise Unauthenticated(f"notification header {name} is missing")


def verify_signed(
    config: WechatPayConfig, headers: Mapping[str, str], body: bytes, *, now_s: int
) -> None:
    """Refuse a response or notification not signed by the platform key within the window."""
    serial = _header(headers, "Wechatpay-Serial")
    if serial != config.platform_serial:
        raise Unauthenticated(f"Wechatpay-Serial {serial!r} is not the platform key we know")
    timestamp = _header(headers, "Wechatpay-Timestamp")
    if not timestamp.isdigit() or abs(int(timestamp) - now_s) > MAX_SKEW_S:
        raise Unauthenticated(
            f"Wechatpay-Timestamp {timestamp!r} is more than {MAX_SKEW_S} s from now"
        )
    nonce = _header(headers, "Wechatpay-Nonce")
    signature = _header(headers, "Wechatpay-Signature")
    if not verify(config.platform_key, signed_message(timestamp, nonce, body), signature):
        raise Unauthenticated("Wechatpay-Signature does not verify")


def parse_notification(
    config: WechatPayConfig, headers: Mapping[str, str], body: bytes, *, now_s: int
) -> Notification:
    """Verify a notification's signature, then decrypt its resource."""
    verify_signed(config, headers, body, now_s=now_s)
    try:
        envelope = json.loads(body)
        return Notification(
            id=str(envelope["id"]),
            event_type=str(envelope["event_type"]),
            resource=decrypt_resource(config.apiv3_key, envelope["resource"]),
        )
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"notification body is not a WeChat Pay notification: {exc}") from exc


class WechatPayClient:
    """The merchant side of WeChat Pay v3: Native orders and refunds, responses verified."""

    def __init__(
        self, config: WechatPayConfig, *, timeout_s: float = 10.0, http: httpx.Client | None = None
    ) -> None:
        self.config = config
        self.http = http or httpx.Client(base_url=config.base_url, timeout=timeout_s)

    def _call(self, method: str, path: str, payload: Mapping[str, Any] | None) -> dict[str, Any]:
        body = json.dumps(payload).encode() if payload is not None else b""
        header = authorization(
            self.config,
            method,
            path,
            body,
            timestamp=str(int(time.time())),
            nonce=secrets.token_hex(16),
        )
        try:
            response = self.http.request(
                method,
                path,
                content=body,
                headers={
                    "Authorization": header,
                    "Accept": "application/json",
                    "Content-Type": "application/json",
                },
            )
        except httpx.TimeoutException as exc:
            raise ProviderTimeout(f"WeChat Pay {method} {path} timed out") from exc
        except httpx.HTTPError as exc:
            raise ProviderError(f"WeChat Pay {method} {path} failed: {exc}") from exc
        if response.status_code >= 400:
            raise ProviderError(
                f"WeChat Pay {method} {path} answered {response.status_code}: {response.text}",
                provider_status=response.status_code,
            )
        try:
            verify_signed(self.config, response.headers, response.content, now_s=int(time.time()))
        except Unauthenticated as exc:
            raise ProviderResponseError(f"WeChat Pay response is not signed: {exc}") from exc
        data: dict[str, Any] = response.json() if response.content else {}
        return data

    def create_native(self, *, out_trade_no: str, description: str, amount_fen: int) -> str:
        """Create a Native (QR code) payment; the ``code_url`` the payer scans."""
        data = self._call(
            "POST",
            "/v3/pay/transactions/native",
            {
                "appid": self.config.appid,
                "mchid": self.config.mchid,
                "description": description[:127],
                "out_trade_no": out_trade_no,
                "notify_url": self.config.notify_url,
                "amount": {"total": amount_fen, "currency": "CNY"},
            },
        )
        if "code_url" not in data:
            raise ProviderResponseError(f"WeChat Pay Native order has no code_url: {data}")
        return str(data["code_url"])

    def refund(
        self, *, out_trade_no: str, out_refund_no: str, refund_fen: int, total_fen: int, reason: str
    ) -> dict[str, Any]:
        """Ask for a refund; the outcome arrives later as a ``REFUND.SUCCESS`` notification."""
        return self._call(
            "POST",
            "/v3/refund/domestic/refunds",
            {
                "out_trade_no": out_trade_no,
                "out_refund_no": out_refund_no,
                "reason": reason[:80],
                "notify_url": self.config.notify_url,
                "amount": {"refund": refund_fen, "total": total_fen, "currency": "CNY"},
            },
        )

    def close_order(self, *, out_trade_no: str) -> None:
        """Close an unpaid order so it can no longer be paid (answered 204); WeChat Pay
        refuses with ``ORDERPAID`` (a ``ProviderError``) when the payer has paid already."""
        self._call(
            "POST",
            f"/v3/pay/transactions/out-trade-no/{out_trade_no}/close",
            {"mchid": self.config.mchid},
        )

    def close(self) -> None:
        """Close the HTTP connections."""
        self.http.close()
