"""Online chat pages: the agent workspace (/chat/workspace) and the customer widget (/widget.js, one ``<script>``
tag any page embeds) with a demo host page (/chat/demo).

The workspace page is a shell: ``static/chat-workspace.js`` talks to ``/ws/chat/agent`` (docs/chat-protocol.md)
and asks this module for the HTML fragments beside each chat — the customer in context, the ticket form — and,
for leads, the list of open chats to observe. Each fragment has the guard of its API twin (``kefu.chat.api``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import FileResponse, HTMLResponse

from kefu.chat import workspace
from kefu.chat.models import AgentPresence, ChatQueue
from kefu.core.deps import Principal, SessionDep
from kefu.core.errors import DomainError, Invalid
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.scripts import service as scripts
from kefu.web.errors import error_text
from kefu.web.i18n import STRINGS, translate
from kefu.web.pages import language, render, web_user
from kefu.web.tickets import active_categories

router = Router()
Seat = Annotated[Principal, web_user(Perm.chat_serve)]
Observer = Annotated[Principal, web_user(Perm.chat_observe)]
STATIC = Path(__file__).parent / "static"
# the widget runs inside other sites' pages: its files may be fetched from any origin, and are cached briefly
WIDGET_HEADERS = {"Cross-Origin-Resource-Policy": "cross-origin", "Access-Control-Allow-Origin": "*",
                  "Cache-Control": "public, max-age=300"}


@router.get("/chat/workspace", response_class=HTMLResponse)
def workspace_page(request: Request, session: SessionDep, me: Seat):
    seats, teams = workspace.transfer_targets(session, exclude_user_id=me.user.id)
    lang = language(request, me)
    strings = {key.removeprefix("chat.js."): translate(key, lang) for key in STRINGS if key.startswith("chat.js.")}
    seat = session.get(AgentPresence, me.user.id)
    return render(request, "chat/workspace.html", me, scripts=scripts.list_scripts(session)
                  if me.can(Perm.scripts_read) else [], seats=seats, teams=teams,
                  can_observe=me.can(Perm.chat_observe), strings=strings,
                  presence=seat.status if seat is not None else "offline",
                  concurrency=seat.concurrency if seat is not None and seat.concurrency else "")


@router.get("/chat/workspace/transfer-targets", response_class=HTMLResponse)
def transfer_targets(request: Request, session: SessionDep, me: Seat):
    """The transfer list's options with each colleague's presence now: fetched when the agent opens the list."""
    seats, teams = workspace.transfer_targets(session, exclude_user_id=me.user.id)
    return render(request, "chat/_transfer_options.html", me, seats=seats, teams=teams)


def _context(request: Request, session, me: Principal, chat_id: int, *, error: str | None = None):
    """The customer beside the chat; a refused ticket form comes back in it (200: htmx swaps only 2xx)."""
    chat = workspace.visible_chat(session, chat_id=chat_id, user_id=me.user.id, role=me.user.role)
    return render(request, "chat/_context.html", me, ctx=workspace.context(session, chat=chat),
                  categories=active_categories(session), error=error, can_file=me.can(Perm.tickets_write))


@router.get("/chat/workspace/chats/{chat_id}/context", response_class=HTMLResponse)
def chat_context(chat_id: int, request: Request, session: SessionDep, me: Seat):
    return _context(request, session, me, chat_id)


@router.post("/chat/workspace/chats/{chat_id}/ticket", response_class=HTMLResponse)
def chat_ticket(chat_id: int, request: Request, session: SessionDep, me: Seat,
                mode: Annotated[str, Form()] = "create", subject: Annotated[str, Form()] = "",
                ticket_id: Annotated[str, Form()] = "", category_id: Annotated[str, Form()] = ""):
    """Create a ticket for the chat or link one; the context fragment comes back (with the refusal, if any)."""
    chat = workspace.visible_chat(session, chat_id=chat_id, user_id=me.user.id, role=me.user.role)
    try:
        with session.begin_nested():
            if mode == "link":
                workspace.attach_ticket(session, chat=chat, actor=me.actor, ticket_id=_ticket_number(ticket_id))
            else:
                workspace.attach_ticket(session, chat=chat, actor=me.actor, subject=subject,
                                        category_id=_category(category_id))
    except DomainError as exc:
        session.expire_all()
        return _context(request, session, me, chat_id, error=error_text(exc, language(request, me)))
    return _context(request, session, me, chat_id)


def _number(value: str) -> int | None:
    try:
        return int(value.strip().lstrip("#"))
    except ValueError:
        return None


def _ticket_number(value: str) -> int:
    if (number := _number(value)) is None:
        raise Invalid("ticket_id must be a whole number", field="ticket_id")
    return number


def _category(value: str) -> int | None:
    if not value.strip():
        return None
    if (number := _number(value)) is None:
        raise Invalid("category_id must be a whole number", field="category_id")
    return number


@router.get("/chat/workspace/observe", response_class=HTMLResponse)
def observe_list(request: Request, session: SessionDep, me: Observer):
    rows, count = workspace.open_chats(session)
    return render(request, "chat/_observe.html", me, rows=rows, count=count)


# -- the customer's side: public ----------------------------------------------------------------------------------
@router.get("/chat/demo", response_class=HTMLResponse)
def demo_page(request: Request, session: SessionDep, queue: str | None = None, bot: bool = False):
    """A host page that embeds the widget with one tag, as a customer's site would (``bot``: with the
    self-service bot first, ``data-bot="on"``)."""
    from sqlalchemy import select

    queues = list(session.scalars(select(ChatQueue).where(ChatQueue.is_active.is_(True)).order_by(ChatQueue.id)))
    chosen = queue if any(q.code == queue for q in queues) else (queues[0].code if queues else "")
    return render(request, "chat/demo.html", None, queues=queues, queue=chosen, bot=bot,
                  base=str(request.base_url).rstrip("/"))


@router.get("/widget.js")
def widget_script():
    return FileResponse(STATIC / "widget.js", media_type="text/javascript; charset=utf-8", headers=WIDGET_HEADERS)


@router.get("/widget.css")
def widget_style():
    return FileResponse(STATIC / "widget.css", media_type="text/css; charset=utf-8", headers=WIDGET_HEADERS)
