"""Local imitations of the WeChat Official Account API and the Weibo 粉丝服务 API: real HTTP servers on
127.0.0.1 (stdlib ``http.server`` in a thread) that answer as the platforms document, keep what they were sent,
and can be told to fail (an expired token, a 5xx, a closed 48-hour window)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

APPID, APPSECRET = "wx5e2a7c90f1d3b846", "9c4e1f7a2b8d3e6f0a5c7b9d1e3f5a7c"
WEIBO_TOKEN = "2.00kefuWeiboFanService"


class Platform:
    """Both APIs in one server (they live on different paths)."""

    def __init__(self) -> None:
        self.wechat: list[dict] = []  # the custom/send bodies taken
        self.weibo: list[dict] = []  # {"receiver_id", "type", "text"} taken
        self.token_requests: list[dict] = []
        self.valid_tokens: set[str] = set()
        self.fail_sends: list[int] = []  # HTTP statuses to answer the next sends with (5xx)
        self.errcodes: list[int] = []  # WeChat errcodes to answer the next sends with
        # the next replies' answers: (HTTP status, error_code, error), or None for a normal answer
        self.weibo_errors: list[tuple[int, int, str] | None] = []
        self.send_tries = 0
        self._issued = 0
        self.lock = threading.Lock()

    def expire_tokens(self) -> None:
        """What the platform does after 7200 s or when another fetch replaced the token."""
        with self.lock:
            self.valid_tokens.clear()


def _handler(platform: Platform):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path != "/cgi-bin/token":
                return self._answer(404, {"errcode": 404, "errmsg": "not found"})
            with platform.lock:
                platform.token_requests.append(query)
                if query.get("grant_type") != "client_credential" or query.get("appid") != APPID:
                    return self._answer(200, {"errcode": 40013, "errmsg": "invalid appid"})
                if query.get("secret") != APPSECRET:
                    return self._answer(200, {"errcode": 40125, "errmsg": "invalid appsecret"})
                platform._issued += 1
                token = f"ACCESS_TOKEN_{platform._issued}"
                platform.valid_tokens.add(token)
            self._answer(200, {"access_token": token, "expires_in": 7200})

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if url.path == "/cgi-bin/message/custom/send":
                return self._wechat_send(query, body)
            if url.path == "/2/messages/reply.json":
                return self._weibo_reply(query, body)
            self._answer(404, {"errcode": 404, "errmsg": "not found"})

        def _wechat_send(self, query: dict, body: bytes) -> None:
            with platform.lock:
                platform.send_tries += 1
                if platform.fail_sends:
                    status = platform.fail_sends.pop(0)
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if query.get("access_token") not in platform.valid_tokens:
                    return self._answer(200, {"errcode": 42001, "errmsg": "access_token expired"})
                if platform.errcodes:
                    code = platform.errcodes.pop(0)
                    return self._answer(200, {"errcode": code, "errmsg": "response out of time limit"})
                message = json.loads(body.decode("utf-8"))
                if message.get("msgtype") != "text" or not message.get("touser"):
                    return self._answer(200, {"errcode": 40008, "errmsg": "invalid message type"})
                platform.wechat.append(message)
            self._answer(200, {"errcode": 0, "errmsg": "ok"})

        def _weibo_reply(self, query: dict, body: bytes) -> None:
            form = {k: v[0] for k, v in parse_qs(body.decode("ascii")).items()}
            with platform.lock:
                platform.send_tries += 1
                if query.get("access_token") != WEIBO_TOKEN:
                    return self._answer(403, {"error_code": 21332, "error": "invalid_access_token",
                                              "request": "/2/messages/reply.json"})
                failure = platform.weibo_errors.pop(0) if platform.weibo_errors else None
                if failure is not None:
                    status, code, error = failure
                    return self._answer(status, {"error_code": code, "error": error,
                                                 "request": "/2/messages/reply.json"})
                text = json.loads(form["data"])["text"]
                if len(text) > 300:
                    return self._answer(400, {"error_code": 20012, "error": "text too long"})
                platform.weibo.append({"receiver_id": form["receiver_id"], "type": form["type"], "text": text})
            self._answer(200, {"result": True, "receiver_id": int(form["receiver_id"])})

    return Handler


class PlatformServer:
    def __init__(self) -> None:
        self.platform = Platform()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.platform))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Platform:
        self.thread.start()
        return self.platform

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
