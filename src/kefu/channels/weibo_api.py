"""Writing back to a Weibo fan: the 粉丝服务平台's private-message reply API (发送客服消息). The whole request
shape is here.

    POST {base}/2/messages/reply.json?access_token=TOKEN
    Content-Type: application/x-www-form-urlencoded
    receiver_id=UID&type=text&data=<URL-encoded JSON {"text": "…"}>

The token is the one the account's 高级功能 → 开发模式 page shows (``KEFU_WEIBO_ACCESS_TOKEN``); the sender is
the account it belongs to. A fan who wrote, followed or clicked the menu can be answered for 48 hours, a text
is at most 300 characters (the outbox sends a longer one in several messages), and an unfollowed fan cannot be
written to. An error is JSON ``{"error_code": 21327, "error": "expired_token", "request": "…"}``: codes
20xxx (the fan, the content, the quota) are permanent, 10xxx (system busy) and 21xxx (the token: an admin
renews it) are retried.
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import quote, urlencode

from sqlalchemy.orm import Session

from kefu.channels.base import SendError, register_sender
from kefu.channels.http import call_json
from kefu.core.settings import get_settings

LABEL = "the Weibo API"
TEXT_LIMIT = 300
PREFIX = "weibo:"  # how a Weibo uid is kept in the customer's openid


def request(token: str, uid: str, text: str) -> tuple[str, bytes]:
    """The reply request: its URL and form body."""
    url = f"{get_settings().weibo_api_base.rstrip('/')}/2/messages/reply.json?access_token={quote(token, safe='')}"
    form = urlencode({"receiver_id": uid, "type": "text",
                      "data": json.dumps({"text": text}, ensure_ascii=False)})
    return url, form.encode("ascii")


class WeiboSender:
    channel = "weibo"
    text_limit = TEXT_LIMIT

    def configured(self) -> bool:
        return bool(get_settings().weibo_access_token)

    def send_text(self, session: Session, *, recipient: str, text: str, now: datetime) -> None:
        url, form = request(get_settings().weibo_access_token or "", recipient.removeprefix(PREFIX), text)
        answer = call_json(url, label=LABEL, data=form, content_type="application/x-www-form-urlencoded")
        if answer.get("error_code") in (None, "", 0):
            return
        try:
            code = int(answer["error_code"])
        except (TypeError, ValueError):
            code = 0
        raise SendError(f"Weibo error {code}: {str(answer.get('error', ''))[:100]}", permanent=20000 <= code < 21000)


sender = register_sender(WeiboSender())
