"""WeChat Official Account (微信公众号) message push, plain-text mode (明文模式).

The account's 服务器配置 points at ``/api/v1/channels/wechat`` with the token ``KEFU_WECHAT_TOKEN``. Every
request carries ``signature`` = SHA-1 of the sorted token, ``timestamp`` and ``nonce``. Pushes are XML::

    <xml><ToUserName>…</ToUserName><FromUserName>openid</FromUserName><CreateTime>1348831860</CreateTime>
    <MsgType>text</MsgType><Content>…</Content><MsgId>1234567890123456</MsgId></xml>

Messages (text, image, voice, video, location, link) and menu clicks become contacts on the sender's open
WeChat ticket (a new one when none is open); follows, unfollows, menu links and location reports are
recorded once and open nothing. Media is not fetched (MediaId and PicUrl stay in the message text for an
agent to open in the WeChat back office). Encrypted mode (安全模式, AES) is not supported: configure the
account in plain-text mode behind HTTPS.
"""

from __future__ import annotations

from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from kefu.channels.base import InboundItem, register
from kefu.channels.webhook import BadPayload, Skipped, WebhookAdapter, utc_from_seconds, webhook_router
from kefu.core.settings import get_settings

# events that are an interaction with the service desk; the rest (subscribe, unsubscribe, VIEW, SCAN,
# LOCATION, template/mass-send reports) are recorded and skipped
CONTACT_EVENTS = {"CLICK"}
REQUIRED = ("ToUserName", "FromUserName", "CreateTime", "MsgType")


def parse_xml(raw: bytes) -> dict[str, str]:
    """The push's fields; no DTD, no entities, no external references (defusedxml)."""
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise BadPayload(f"malformed XML: {type(exc).__name__}", field="body") from None
    if root.tag != "xml":
        raise BadPayload("the push is not a WeChat <xml> message", field="body")
    fields = {child.tag: (child.text or "").strip() for child in root}
    for name in REQUIRED:
        if not fields.get(name):
            raise BadPayload(f"the push has no {name}", field=name)
    return fields


def _body(f: dict[str, str]) -> str:
    kind = f["MsgType"]
    if kind == "text":
        return f.get("Content", "")
    if kind == "image":
        return f"[图片] PicUrl: {f.get('PicUrl', '')} MediaId: {f.get('MediaId', '')}"
    if kind == "voice":
        said = f.get("Recognition")
        media = f"MediaId: {f.get('MediaId', '')} 格式: {f.get('Format', '')}"
        return f"[语音] {said} ({media})" if said else f"[语音] {media}"
    if kind in ("video", "shortvideo"):
        return f"[视频] MediaId: {f.get('MediaId', '')} ThumbMediaId: {f.get('ThumbMediaId', '')}"
    if kind == "location":
        return f"[位置] {f.get('Label', '')} ({f.get('Location_X', '')}, {f.get('Location_Y', '')})"
    if kind == "link":
        return f"[链接] {f.get('Title', '')} {f.get('Description', '')} {f.get('Url', '')}".strip()
    if kind == "event":
        return f"[菜单点击] {f.get('EventKey', '')}"
    return f"[{kind} 消息]"


class WeChatAdapter(WebhookAdapter):
    channel = "wechat"
    ack = "success"
    label = "WeChat"

    def secret(self) -> str | None:
        return get_settings().wechat_token

    def parse(self, raw: bytes) -> list[InboundItem | Skipped]:
        f = parse_xml(raw)
        received = utc_from_seconds(f["CreateTime"], "CreateTime")
        openid = f["FromUserName"]
        if f["MsgType"] == "event":
            event = f.get("Event", "")
            # events carry no MsgId: the platform's own advice is FromUserName + CreateTime
            external_id = f"{openid}:{f['CreateTime']}:{event}"
            if event not in CONTACT_EVENTS:
                return [Skipped(external_id=external_id, reason=f"event {event or '(none)'}")]
        else:
            external_id = f.get("MsgId") or f"{openid}:{f['CreateTime']}"
        return [InboundItem(channel=self.channel, external_id=external_id, received_at=received, body=_body(f),
                            openid=openid, join_open_ticket=True)]


adapter = register(WeChatAdapter())
router = webhook_router(adapter)
