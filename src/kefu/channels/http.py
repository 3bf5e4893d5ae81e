"""The HTTP calls of the outbound channel APIs (WeChat, Weibo): JSON back, every failure a ``SendError``.

The URLs carry access tokens in their query string, so neither they nor the request bodies (openids,
customers' text) go into an error message or a log line.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from kefu.channels.base import SendError

TIMEOUT = 15  # seconds


def call_json(url: str, *, label: str, data: bytes | None = None, content_type: str | None = None) -> dict:
    """GET (or POST ``data``) ``url`` and return the JSON object it answers. A network error, a 5xx or 429
    answer, or a body that is not JSON is a temporary ``SendError``; another 4xx answer with a JSON body is
    returned for the caller to read its error code."""
    headers = {"Content-Type": content_type} if content_type else {}
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 (the configured API)
            body = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code == 429:
            raise SendError(f"{label} answered HTTP {exc.code}") from None
        body = exc.read()
        try:
            answer = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise SendError(f"{label} answered HTTP {exc.code}") from None
        if not isinstance(answer, dict):
            raise SendError(f"{label} answered HTTP {exc.code}") from None
        return answer
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or type(exc).__name__
        raise SendError(f"{label} unreachable: {reason}") from None
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SendError(f"{label} answered something that is not JSON") from None
    if not isinstance(answer, dict):
        raise SendError(f"{label} answered something that is not a JSON object")
    return answer
