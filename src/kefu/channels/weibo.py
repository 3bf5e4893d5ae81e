"""Weibo 粉丝服务平台 message push (私信 and 留言 to the center's verified account), JSON format.

In 管理中心 → 粉丝服务 → 高级功能 → 开发模式 the account names the URL ``/api/v1/channels/weibo`` and an app
whose secret (``KEFU_WEIBO_APP_SECRET``) signs every request: ``signature`` = SHA-1 of the sorted app
secret, ``timestamp`` (milliseconds) and ``nonce``; the first GET echoes ``echostr``. A push is::

    {"type": "text", "receiver_id": 1902538057, "sender_id": 2489518277,
     "created_at": "Mon Jul 16 18:09:20 +0800 2012", "text": "…", "data": {}}

with ``type`` text, position, voice, image (``data.vfid`` / ``data.tovfid``: media stays on Weibo, not
fetched), mention (被@) or event (``data.subtype``: follow, unfollow, subscribe, unsubscribe, scan,
scan_follow, click…). Weibo messages have no id; the platform retries a push three times within seconds
and advises deduplicating by sender and creation time, to which kefu adds a digest of the content (two
messages in one second stay two). Unknown types are recorded and skipped, as the platform asks. The
answer is an empty body: Weibo sends nothing back to the fan and does not retry.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from kefu.channels.base import InboundItem, register
from kefu.channels.webhook import BadPayload, Skipped, WebhookAdapter, webhook_router
from kefu.core.settings import get_settings

MESSAGE_TYPES = ("text", "position", "voice", "image", "mention", "event")
CONTACT_EVENTS = {"click"}
TIME_FORMAT = "%a %b %d %H:%M:%S %z %Y"  # Mon Jul 16 18:09:20 +0800 2012


def parse_json(raw: bytes) -> dict:
    try:
        push = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadPayload(f"malformed JSON: {type(exc).__name__}", field="body") from None
    if not isinstance(push, dict):
        raise BadPayload("the push is not a JSON object", field="body")
    for name in ("type", "sender_id", "receiver_id", "created_at"):
        if push.get(name) in (None, ""):
            raise BadPayload(f"the push has no {name}", field=name)
    if not isinstance(push.get("data") or {}, dict):
        raise BadPayload("data is not an object", field="data")
    return push


def _created(value) -> datetime:
    try:
        return datetime.strptime(str(value), TIME_FORMAT).astimezone(UTC)
    except ValueError:
        raise BadPayload("created_at is not a Weibo time ('Mon Jul 16 18:09:20 +0800 2012')",
                         field="created_at") from None


def _body(kind: str, text: str, data: dict) -> str:
    if kind == "text":
        return text
    if kind == "position":
        return f"[位置] {text} ({data.get('latitude', '')}, {data.get('longitude', '')})"
    if kind in ("voice", "image"):
        label = "语音" if kind == "voice" else "图片"
        return f"[{label}] {text} vfid: {data.get('vfid', '')} tovfid: {data.get('tovfid', '')}"
    if kind == "mention":
        return f"[被@] {text}"
    return f"[菜单点击] {data.get('key', '')}"


class WeiboAdapter(WebhookAdapter):
    channel = "weibo"
    ack = ""
    label = "Weibo"

    def secret(self) -> str | None:
        return get_settings().weibo_app_secret

    def parse(self, raw: bytes) -> list[InboundItem | Skipped]:
        push = parse_json(raw)
        kind, data, text = str(push["type"]), push.get("data") or {}, str(push.get("text") or "")
        received = _created(push["created_at"])
        sender = str(push["sender_id"])
        digest = hashlib.sha1(json.dumps([kind, text, data], sort_keys=True, ensure_ascii=False).encode())
        external_id = f"{sender}:{int(received.timestamp())}:{digest.hexdigest()[:16]}"
        if kind not in MESSAGE_TYPES:
            return [Skipped(external_id=external_id, reason=f"unknown type {kind}")]
        if kind == "event" and str(data.get("subtype", "")).lower() not in CONTACT_EVENTS:
            return [Skipped(external_id=external_id, reason=f"event {data.get('subtype') or '(none)'}")]
        # a Weibo uid, kept apart from WeChat openids in the customer's one openid key
        return [InboundItem(channel=self.channel, external_id=external_id, received_at=received,
                            body=_body(kind, text, data), openid=f"weibo:{sender}", join_open_ticket=True)]


adapter = register(WeiboAdapter())
router = webhook_router(adapter)
