"""Signed webhooks (WeChat Official Account, Weibo 粉丝服务平台, a future Douyin…): one route pair per channel.

A channel that pushes messages over HTTP is a ``WebhookAdapter`` subclass: its name, the secret it is
signed with, how to parse a push into ``InboundItem``s (or ``Skipped`` events such as an unsubscribe) and
what to answer. ``webhook_router(adapter)`` gives it the routes ``/channels/{channel}``:

* ``GET``: the platform's URL verification, ``signature`` = SHA-1 of the sorted secret, ``timestamp`` and
  ``nonce``; the ``echostr`` is echoed as plain text, a bad signature is 403.
* ``POST``: a push. Signature checked (403), then the signed timestamp (a push older or newer than
  ``KEFU_WEBHOOK_MAX_SKEW_SECONDS`` is refused as a replay: 403), the body read up to
  ``KEFU_WEBHOOK_MAX_BYTES`` (413, from ``Content-Length`` before reading and while reading), parsed
  (400 when malformed), and each item given to ``intake.receive`` in its own SAVEPOINT: a re-delivered
  message is stored once, one that fails is kept as a dead letter (re-processed later through
  ``parse_raw``) and the platform still gets its acknowledgement, so it does not retry forever.

A platform that signs or wraps its requests otherwise (WeChat's encrypted mode) overrides the hooks
``url_check``, ``check_push`` (before the body is read) and ``open`` (the body unwrapped).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from kefu.channels import intake
from kefu.channels.base import InboundItem
from kefu.core.deps import ClockDep, SessionDep
from kefu.core.errors import DomainError, Forbidden
from kefu.core.pii import scrub_text
from kefu.core.routing import Router
from kefu.core.settings import get_settings

log = logging.getLogger("kefu.channels")


class BadPayload(DomainError):
    """The push is not what the platform sends (malformed XML / JSON, a required field missing)."""

    status_code = 400


class TooLarge(DomainError):
    status_code = 413


@dataclass
class Skipped:
    """A push deliberately not taken as a contact (a follow or unsubscribe event): recorded once, no ticket."""

    external_id: str
    reason: str


def signature(*parts: str) -> str:
    """The WeChat / Weibo signature: SHA-1 hex of the parts sorted lexicographically and concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


class WebhookAdapter:
    """One pushed channel. Subclasses set ``channel``, ``ack`` and implement ``secret`` and ``parse``."""

    channel: str = ""
    ack: str = "success"  # answered to every accepted push
    label: str = ""  # the platform's name in error messages

    def secret(self) -> str | None:
        raise NotImplementedError

    def parse(self, raw: bytes) -> list[InboundItem | Skipped]:
        """The items of one push; raises ``BadPayload``."""
        raise NotImplementedError

    def parse_raw(self, raw: bytes) -> list[InboundItem]:
        """``ChannelAdapter.parse_raw``: a dead letter re-processed."""
        return [x for x in self.parse(raw) if isinstance(x, InboundItem)]

    # -- hooks of the routes: a channel with another scheme (WeChat's encrypted mode) overrides them ----
    def url_check(self, params: Mapping[str, str]) -> str:
        """``GET``: what to answer the platform's URL verification (raises ``Forbidden``)."""
        self.check_signature(params.get("signature", ""), params.get("timestamp", ""), params.get("nonce", ""))
        return params.get("echostr", "")

    def check_push(self, params: Mapping[str, str]) -> None:
        """``POST``, before the body is read: the request is signed with the channel's secret."""
        self.check_signature(params.get("signature", ""), params.get("timestamp", ""), params.get("nonce", ""))

    def open(self, raw: bytes, params: Mapping[str, str]) -> bytes:
        """``POST``, once the body is read: the message itself (an encrypted push is checked and decrypted)."""
        return raw

    # -- checks shared by every signed channel ---------------------------------------------------------
    def check_signature(self, sig: str, timestamp: str, nonce: str) -> None:
        secret = self.secret()
        if not secret:
            log.warning("%s push refused: the channel has no secret configured", self.channel)
            raise Forbidden(f"the {self.label or self.channel} channel is not configured", field="signature")
        if not sig or not timestamp or not hmac.compare_digest(signature(secret, timestamp, nonce), sig.lower()):
            raise Forbidden("bad signature", field="signature")

    def check_fresh(self, timestamp: str, now: datetime) -> None:
        """A signed timestamp far from the clock is a replayed (or forged-late) request."""
        try:
            value = int(timestamp)
        except ValueError:
            raise Forbidden("the timestamp is not a number", field="timestamp") from None
        seconds = value / 1000 if value > 10**11 else value  # Weibo signs milliseconds, WeChat seconds
        if abs(now.timestamp() - seconds) > get_settings().webhook_max_skew_seconds:
            raise Forbidden("stale timestamp: refused as a replay", field="timestamp")


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed ``limit`` (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.strip().isdigit() or int(declared) > limit):
        raise TooLarge(f"the body is larger than {limit} bytes", field="body")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the body is larger than {limit} bytes", field="body")
        chunks.append(chunk)
    return b"".join(chunks)


def take(session: Session, adapter: WebhookAdapter, raw: bytes, items: list[InboundItem | Skipped],
         now: datetime) -> list[str]:
    """Give each item to the intake (each in a SAVEPOINT) and commit; returns each item's outcome."""
    outcomes = []
    for item in items:
        if isinstance(item, Skipped):
            outcomes.append("ignored" if intake.ignore(session, channel=adapter.channel, external_id=item.external_id,
                                                       reason=item.reason, now=now) else "duplicate")
            continue
        item.raw = raw
        try:
            with session.begin_nested():
                outcomes.append(intake.receive(session, item, now=now).status)
        except Exception as exc:  # kept raw for an admin to look at and re-process; the platform is answered
            intake.dead_letter(session, channel=adapter.channel, external_id=item.external_id, raw=raw,
                               error=f"{type(exc).__name__}: {exc}", now=now)
            outcomes.append("dead")
    session.commit()
    return outcomes


def webhook_router(adapter: WebhookAdapter):
    """``GET`` (URL verification) and ``POST`` (pushes) at ``/channels/{adapter.channel}``."""
    router = Router(prefix=f"/channels/{adapter.channel}", tags=["channels"])
    name = adapter.label or adapter.channel

    async def verify(request: Request, signature: str = "", timestamp: str = "", nonce: str = "", echostr: str = ""):
        return PlainTextResponse(adapter.url_check(request.query_params))

    async def push(request: Request, session: SessionDep, clock: ClockDep, signature: str = "",
                   timestamp: str = "", nonce: str = ""):
        adapter.check_push(request.query_params)
        now = clock.now()
        adapter.check_fresh(timestamp, now)
        raw = adapter.open(await read_limited(request, get_settings().webhook_max_bytes), request.query_params)
        items = adapter.parse(raw)
        outcomes = await run_in_threadpool(take, session, adapter, raw, items, now)
        log.info("%s push: %s", adapter.channel, scrub_text(",".join(outcomes)) or "empty")
        return PlainTextResponse(adapter.ack)

    verify.__doc__ = f"{name}: the platform's URL verification (echoes `echostr` when the signature is right)."
    push.__doc__ = f"{name}: a signed message push, taken once through the shared intake."
    router.add_api_route("", verify, methods=["GET"], response_class=PlainTextResponse,
                         name=f"{adapter.channel}_verify")
    router.add_api_route("", push, methods=["POST"], response_class=PlainTextResponse, name=f"{adapter.channel}_push")
    return router


def utc_from_seconds(value: str, field: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (ValueError, OverflowError, OSError):
        raise BadPayload(f"{field} is not a time in seconds", field=field) from None
