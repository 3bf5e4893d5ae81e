"""WeChat Official Account (微信公众号) message push: plain-text (明文模式), compatible (兼容模式) and
encrypted (安全模式) modes.

The account's 服务器配置 points at ``/api/v1/channels/wechat`` with the token ``KEFU_WECHAT_TOKEN``. Every
request carries ``signature`` = SHA-1 of the sorted token, ``timestamp`` and ``nonce``. Pushes are XML::

    <xml><ToUserName>…</ToUserName><FromUserName>openid</FromUserName><CreateTime>1348831860</CreateTime>
    <MsgType>text</MsgType><Content>…</Content><MsgId>1234567890123456</MsgId></xml>

Messages (text, image, voice, video, location, link) and menu clicks become contacts on the sender's open
WeChat ticket (a new one when none is open); follows, unfollows, menu links and location reports are
recorded once and open nothing. Media is not fetched (MediaId and PicUrl stay in the message text for an
agent to open in the WeChat back office).

In 安全模式 / 兼容模式 (``KEFU_WECHAT_ENCODING_AES_KEY`` and ``KEFU_WECHAT_APP_ID`` set) a push comes with
``encrypt_type=aes`` and ``msg_signature`` = SHA-1 of the sorted token, timestamp, nonce and the body's
``<Encrypt>``: a wrong one is 403, a ciphertext that does not open with the key and AppID is 400 (nothing
stored), and the decrypted message is taken as a plain one (also what a dead letter keeps). The URL check
with a ``msg_signature`` is answered with the decrypted ``echostr``. The passive answer stays ``success``,
which the platform accepts unencrypted. The cipher itself is in ``wechat_crypto``.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from kefu.channels import wechat_crypto
from kefu.channels.base import InboundItem, register
from kefu.channels.webhook import BadPayload, Skipped, WebhookAdapter, signature, utc_from_seconds, webhook_router
from kefu.core.errors import Forbidden
from kefu.core.settings import get_settings

log = logging.getLogger("kefu.channels")

# events that are an interaction with the service desk; the rest (subscribe, unsubscribe, VIEW, SCAN,
# LOCATION, template/mass-send reports) are recorded and skipped
CONTACT_EVENTS = {"CLICK"}
REQUIRED = ("ToUserName", "FromUserName", "CreateTime", "MsgType")


def xml_fields(raw: bytes) -> dict[str, str]:
    """The fields of a WeChat ``<xml>``; no DTD, no entities, no external references (defusedxml)."""
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise BadPayload(f"malformed XML: {type(exc).__name__}", field="body") from None
    if root.tag != "xml":
        raise BadPayload("the push is not a WeChat <xml> message", field="body")
    return {child.tag: (child.text or "").strip() for child in root}


def parse_xml(raw: bytes) -> dict[str, str]:
    """The push's fields, the required ones present."""
    fields = xml_fields(raw)
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

    # -- encrypted mode (安全模式 / 兼容模式) -----------------------------------------------------------
    @staticmethod
    def encrypted(params: Mapping[str, str]) -> bool:
        return params.get("encrypt_type", "").lower() == "aes"

    def cipher(self) -> tuple[bytes, str]:
        """The AES key and AppID; an account without them refuses encrypted requests (403)."""
        settings = get_settings()
        if not (self.secret() and settings.wechat_encoding_aes_key and settings.wechat_app_id):
            log.warning("encrypted WeChat request refused: KEFU_WECHAT_ENCODING_AES_KEY / _APP_ID not set")
            raise Forbidden("the WeChat channel is not configured for encrypted mode", field="msg_signature")
        return wechat_crypto.aes_key(settings.wechat_encoding_aes_key), settings.wechat_app_id

    def check_msg_signature(self, params: Mapping[str, str], ciphertext: str) -> None:
        sig, timestamp = params.get("msg_signature", ""), params.get("timestamp", "")
        want = signature(self.secret() or "", timestamp, params.get("nonce", ""), ciphertext)
        if not sig or not timestamp or not hmac.compare_digest(want, sig.lower()):
            raise Forbidden("bad signature", field="msg_signature")

    def decrypt(self, ciphertext: str, key: bytes, app_id: str) -> bytes:
        try:
            return wechat_crypto.decrypt(ciphertext, key=key, app_id=app_id)
        except wechat_crypto.DecryptError as exc:
            raise BadPayload(f"the encrypted message does not open: {exc}", field="Encrypt") from None

    def url_check(self, params: Mapping[str, str]) -> str:
        if not params.get("msg_signature"):
            return super().url_check(params)
        key, app_id = self.cipher()
        self.check_msg_signature(params, params.get("echostr", ""))
        return self.decrypt(params.get("echostr", ""), key, app_id).decode("utf-8", errors="replace")

    def check_push(self, params: Mapping[str, str]) -> None:
        if not self.encrypted(params):
            return super().check_push(params)
        self.cipher()
        if not params.get("msg_signature"):
            raise Forbidden("bad signature", field="msg_signature")

    def open(self, raw: bytes, params: Mapping[str, str]) -> bytes:
        if not self.encrypted(params):
            return raw
        key, app_id = self.cipher()
        ciphertext = xml_fields(raw).get("Encrypt", "")
        self.check_msg_signature(params, ciphertext)
        if not ciphertext:
            raise BadPayload("the push has no Encrypt", field="Encrypt")
        return self.decrypt(ciphertext, key, app_id)

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
