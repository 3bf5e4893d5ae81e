"""Cross-origin calls to the self-service bot: the chat widget runs on other sites' pages and talks to
``/api/v1/kb/bot`` from there. Those routes hold no cookie-based state (a bot conversation is its token), so any
origin may call them: the preflight (``OPTIONS``) is answered here and every answer carries
``Access-Control-Allow-Origin: *`` — never with credentials. Every other route stays same-origin."""

from __future__ import annotations

PREFIX = "/api/v1/kb/bot"
ALLOW = [(b"access-control-allow-origin", b"*")]
PREFLIGHT = ALLOW + [(b"access-control-allow-methods", b"GET, POST"),
                     (b"access-control-allow-headers", b"content-type"),
                     (b"access-control-max-age", b"600"), (b"vary", b"origin")]


def is_bot_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


class BotCors:
    """Pure ASGI middleware: CORS for the bot's routes only."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not is_bot_path(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            await send({"type": "http.response.start", "status": 204, "headers": PREFLIGHT})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_allowed(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + ALLOW
            await send(message)

        await self.app(scope, receive, send_allowed)
