"""Server-rendered pages (Jinja2 + a little vendored htmx). zh-CN by default, English on request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from kefu.accounts import service as accounts
from kefu.core.context import Actor
from kefu.core.deps import SESSION_COOKIE, ClockDep, Principal, SessionDep, client_ip, optional_principal
from kefu.core.errors import DomainError
from kefu.core.routing import Router
from kefu.core.settings import get_settings
from kefu.web import (
    admin,
    alerts,
    callbacks,
    chat_pages,
    chat_queues_admin,
    complaints,
    customers,
    dead_letters,
    planning,
    qa,
    reports,
    scripts_admin,
    sla_admin,
    survey,
    ticket_page,
    tickets,
)
from kefu.web import kb as kb_pages
from kefu.web.errors import error_text
from kefu.web.i18n import LANGUAGES, translate
from kefu.web.pages import LANG_COOKIE, language, render

__all__ = ["render", "router", "web_error_response"]
router = Router(include_in_schema=False)
for _module in (tickets, ticket_page, customers, callbacks, admin, sla_admin, complaints, dead_letters,
                scripts_admin, alerts):
    router.include_router(_module.router)
# reports, wallboard (kefu.web.reports) and the customers' survey page (kefu.web.survey); the agent workspace,
# the customer widget and its demo page (kefu.web.chat_pages); /admin/chat-queues
for _module in (reports, survey, chat_pages, chat_queues_admin):
    router.include_router(_module.router)
router.include_router(planning.router)  # /wfm: the planning page
router.include_router(qa.router)  # /qa: 质检 of the etiquette warnings kept on chats
router.include_router(kb_pages.router)  # /kb (staff), /kb-suggestions (ticket page panel), /help (customers)
MaybeUser = Annotated[Principal | None, Depends(optional_principal)]


def web_error_response(request: Request, exc: DomainError):
    if exc.status_code == 401:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    principal = getattr(request.state, "principal", None)
    return render(request, "error.html", principal, status_code=exc.status_code,
                  message=error_text(exc, language(request, principal)), field=exc.field, status=exc.status_code)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, principal: MaybeUser, next: str = "/"):
    return render(request, "login.html", None, next=_safe_next(next), error=None)


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, session: SessionDep, clock: ClockDep, username: Annotated[str, Form()],
          password: Annotated[str, Form()], next: Annotated[str, Form()] = "/"):
    user = accounts.authenticate(session, username=username, password=password)
    if user is None:
        return render(request, "login.html", None, status_code=401, next=_safe_next(next),
                      error=translate("login.failed", language(request)), username=username)
    # a fresh token at every login: a session id planted before login is never reused
    if old := request.cookies.get(SESSION_COOKIE):
        if prior := accounts.resolve_token(session, token=old, now=clock.now(), touch=False):
            accounts.logout(session, auth=prior, now=clock.now())
    result = accounts.login(session, actor=Actor.system(clock.now()), user=user, kind="ui",
                            ip=client_ip(request), user_agent=request.headers.get("user-agent"),
                            hours=get_settings().session_hours)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, result.token, httponly=True, samesite="lax",
                        secure=get_settings().cookie_secure, max_age=get_settings().session_hours * 3600)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, clock: ClockDep, principal: MaybeUser,
           csrf_token: Annotated[str, Form()] = ""):
    from kefu.core.deps import check_csrf

    if principal is not None:
        check_csrf(request, principal, csrf_token)
        if principal.auth:
            accounts.logout(session, auth=principal.auth, now=clock.now())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{lang}")
def switch_language(lang: str, request: Request, next: str = "/"):
    response = RedirectResponse(_safe_next(next), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 86400)
    return response


@router.get("/", response_class=HTMLResponse)
def home(principal: MaybeUser):
    return RedirectResponse("/tickets" if principal else "/login", status_code=303)
