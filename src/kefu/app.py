"""The application factory: ``create_app()`` builds the API, the web UI and the worker.

Nothing is built at import time; tests pass their own engine and clock.
"""

from __future__ import annotations

import time
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, func, select, text

import kefu.worker  # noqa: F401  (timer handlers)
from kefu import __version__
from kefu.api import router as api_router
from kefu.chat import wakes
from kefu.chat.hub import make_hub
from kefu.chat.ws import Limits
from kefu.chat.ws import Shortcut as ChatSocketShortcut
from kefu.chat.ws import router as chat_socket_router
from kefu.core.clock import Clock, SystemClock
from kefu.core.db import make_engine, make_sessionmaker
from kefu.core.errors import DomainError, TooManyRequests
from kefu.core.metrics import Metrics
from kefu.core.ratelimit import make_counter
from kefu.core.settings import Settings, get_settings
from kefu.kb.cors import BotCors
from kefu.tickets.models import Ticket
from kefu.timers.models import Timer
from kefu.web.errors import error_text
from kefu.web.i18n import LANGUAGES
from kefu.web.routes import router as web_router
from kefu.web.routes import web_error_response

STATIC = Path(__file__).parent / "web" / "static"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def route_template(scope) -> str:
    """'/api/v1/tickets/{ticket_id}' for '/api/v1/tickets/42' (routers nest, so rebuild the prefix)."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if template is None:
        return "unmatched"
    try:
        relative = template.format(**scope.get("path_params", {}))
    except (KeyError, IndexError, ValueError):
        return template
    path = scope.get("path", "")
    return path[: len(path) - len(relative)] + template if path.endswith(relative) else template


SECURITY_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"), (b"referrer-policy", b"same-origin")]


class HeadersAndMetrics:
    """Pure ASGI middleware (no per-request task or stream as with BaseHTTPMiddleware): security
    headers on every response, and request counts and latency by route template."""

    def __init__(self, app, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_with_headers(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in present]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            self.metrics.observe(scope["method"], route_template(scope), status, time.perf_counter() - start)


def max_request_bytes(settings: Settings) -> int:
    """The largest request body any route takes (413 above): an attachment plus its form, or 16 MiB."""
    return max(settings.max_attachment_bytes + 1024 * 1024, 16 * 1024 * 1024)


def create_app(*, settings: Settings | None = None, engine: Engine | None = None, clock: Clock | None = None,
               sessionmaker=None, run_worker: bool | None = None, tune_gc: bool = False) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)
    clock = clock or SystemClock()
    factory = sessionmaker or make_sessionmaker(engine)
    metrics = Metrics()
    run_worker = settings.worker_in_serve if run_worker is None else run_worker

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        stop = None
        if run_worker:
            from kefu.worker import start_thread

            def count(n: int) -> None:
                metrics.timers_fired += n

            def tell_sockets(session) -> None:  # the idle flow's messages, closings, requeues: through the hub
                app.state.chat_hub.threadsafe(wakes.taken(session))

            _thread, stop = start_thread(factory, clock, interval=settings.worker_interval_seconds,
                                         batch=settings.worker_batch, on_fired=count, after_commit=tell_sockets)
        app.state.chat_hub.start()
        if tune_gc:  # a server process (kefu.asgi): once started, freeze what start-up made (kefu.core.gc)
            from kefu.core.gc import tune

            tune(settings.gc_threshold)
        yield
        await app.state.chat_hub.stop()
        if stop is not None:
            stop.set()

    # no request reads an unbounded body: the largest legitimate one is an attachment upload (or a
    # 10,000-record contact batch, ~4 MB); routes with tighter limits (webhooks) set their own
    app = FastAPI(title="kefu 客服", version=__version__, lifespan=lifespan,
                  description="Contact-center platform: tickets, escalation, SLA, callbacks, compensation.",
                  max_body_size=max_request_bytes(settings))
    app.state.settings, app.state.engine, app.state.clock = settings, engine, clock
    app.state.sessionmaker, app.state.metrics = factory, metrics
    # live chat fan-out (kefu.chat.hub): in-process with a store poll, plus Redis when KEFU_REDIS_URL is set
    app.state.chat_limits = Limits()
    # requests to public routes counted per visitor and client IP (kefu.kb.api): across processes through Redis
    app.state.rate_counter = make_counter(settings.redis_url, prefix=settings.redis_prefix)
    app.state.chat_hub = make_hub(factory, redis_url=settings.redis_url, redis_prefix=settings.redis_prefix,
                                  serial_writes=engine.dialect.name == "sqlite", clock=clock)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError):
        if not request.url.path.startswith("/api/"):
            return web_error_response(request, exc)
        body = {"detail": exc.message}
        if exc.field:
            body["field"] = exc.field
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        if isinstance(exc, TooManyRequests):  # public callers (the widget) show it as it is: their language
            lang = request.query_params.get("lang")
            body.update(detail=error_text(exc, lang if lang in LANGUAGES else settings.default_language),
                        retry_after=exc.retry_after)
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        errors = []
        for err in exc.errors():
            loc = list(err.get("loc", ()))
            if loc and loc[0] in ("body", "query", "path", "form", "header", "cookie"):
                loc = loc[1:]  # only the location kind; a field may itself be called "body"
            loc = [str(p) for p in loc]
            errors.append({"field": ".".join(loc), "message": err.get("msg", "invalid"), "loc": err.get("loc")})
        fields = ", ".join(e["field"] for e in errors if e["field"]) or "request"
        return JSONResponse({"detail": f"invalid {fields}: " + "; ".join(
            f"{e['field']}: {e['message']}" for e in errors), "errors": errors}, status_code=422)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict:
        """Liveness and store readiness."""
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__, "database": engine.dialect.name}

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    def prometheus() -> str:
        with factory() as session:
            by_status = session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all()
            timers = session.execute(select(Timer.status, func.count()).group_by(Timer.status)).all()
            due = session.scalar(select(func.count()).where(Timer.status == "pending",
                                                            Timer.due_at <= clock.now()))
        return metrics.render({
            "kefu_tickets": ("Tickets by status.", [({"status": s}, n) for s, n in by_status]),
            "kefu_timers": ("Timers by status.", [({"status": s}, n) for s, n in timers]),
            "kefu_timers_overdue": ("Pending timers already due (worker lag).", [({}, due or 0)]),
        })

    app.add_middleware(BotCors)  # the widget on other sites' pages calls the self-service bot (kefu.kb.cors)
    app.add_middleware(HeadersAndMetrics, metrics=metrics)
    app.add_middleware(ChatSocketShortcut)  # outermost: chat sockets skip the layers above (kefu.chat.ws)
    app.include_router(api_router)
    app.include_router(web_router)
    app.include_router(chat_socket_router)  # /ws/chat/customer and /ws/chat/agent (docs/chat-protocol.md)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
