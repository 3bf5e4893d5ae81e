"""Signed survey links for e-mail and WeChat: ``/survey/<token>``, the token naming the contact and its expiry,
signed with KEFU_SECRET_KEY (HMAC-SHA256). Opening the link only shows the question; the vote is a POST, so a
mail scanner that follows links cannot vote."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from kefu.core.errors import Invalid
from kefu.core.settings import get_settings

PREFIX = "s1"


def _sig(payload: str) -> str:
    key = get_settings().secret_key.encode()
    mac = hmac.new(key, f"survey:{payload}".encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def make_token(contact_id: int, *, now: datetime, days: int | None = None) -> str:
    expires = int((now + timedelta(days=days or get_settings().survey_link_days)).timestamp())
    payload = f"{PREFIX}.{contact_id}.{expires}"
    return f"{payload}.{_sig(payload)}"


def read_token(token: str, *, now: datetime) -> int:
    """The contact id of a valid, unexpired token; Invalid otherwise (saying which)."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != PREFIX or not parts[1].isdigit() or not parts[2].isdigit():
        raise Invalid("this survey link is not valid", field="token")
    payload = ".".join(parts[:3])
    if not hmac.compare_digest(parts[3], _sig(payload)):
        raise Invalid("this survey link is not valid", field="token")
    if now.timestamp() > int(parts[2]):
        raise Invalid("this survey link has expired", field="token")
    return int(parts[1])
