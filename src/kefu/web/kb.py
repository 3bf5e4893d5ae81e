"""The knowledge base pages: /kb for staff (list, search, write with a live preview, review and publish), the
suggestions panel of the ticket page, and /help — the customers' help center (published, never internal)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from sqlalchemy import select

from kefu.catalog.models import BusinessLine
from kefu.chat.models import ChatQueue
from kefu.core.deps import ClockDep, Principal, SessionDep
from kefu.core.errors import DomainError, Invalid
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.kb import markdown, search, service
from kefu.kb.models import PLATFORM_LABELS, PLATFORMS, STATUSES
from kefu.kb.suggest import suggestion_text
from kefu.web.pages import render, web_user
from kefu.web.tickets import active_categories

router = Router()
Reader = Annotated[Principal, web_user(Perm.kb_read)]
Writer = Annotated[Principal, web_user(Perm.kb_write)]
Text = Annotated[str, Form()]


def _md(text: str) -> Markup:
    return Markup(markdown.render(text))  # escaped by the renderer


@router.get("/kb", response_class=HTMLResponse)
def kb_page(request: Request, session: SessionDep, me: Reader, q: str = "", status: str = "",
            platform: str = ""):
    hits = search.search(session, q, limit=20, platform=platform or None) if q.strip() else None
    rows, total = ([], 0) if hits is not None else service.list_articles(
        session, status=status or None, platform=platform or None, limit=100)
    return render(request, "kb/list.html", me, q=q, status=status, platform=platform, hits=hits,
                  rows=rows, total=total, statuses=STATUSES, platforms=PLATFORMS, labels=PLATFORM_LABELS,
                  snippet=Markup, counts=service.counts_by_status(session))


def _form_data(title, body, product, platforms, tags, internal_only, client_versions, business_line,
               category_ids) -> dict:
    return {"title": title.strip(), "body": body, "product": product.strip() or None, "platforms": platforms,
            "tags": [t for t in tags.replace(",", ",").split(",") if t.strip()],
            "internal_only": internal_only == "1", "client_versions": client_versions.strip() or None,
            "business_line": business_line.strip() or None,
            "category_ids": [int(c) for c in category_ids if c.strip().isdigit()]}


def _edit(request, session, me, article, errors=None, status_code=200, values=None):
    versions = service.versions(session, article) if article else []
    lines = session.execute(select(BusinessLine.code, BusinessLine.name).where(BusinessLine.is_active.is_(True))
                            .order_by(BusinessLine.code)).all()
    return render(request, "kb/edit.html", me, status_code=status_code, article=article, versions=versions,
                  errors=errors or {}, values=values or {}, platforms=PLATFORMS, labels=PLATFORM_LABELS,
                  business_lines=lines, categories=active_categories(session),
                  preview=_md((values or {}).get("body") or (article.body if article else "")))


@router.get("/kb/new", response_class=HTMLResponse)
def new_article(request: Request, session: SessionDep, me: Writer):
    return _edit(request, session, me, None)


@router.get("/kb/{article_id}", response_class=HTMLResponse)
def article_page(article_id: int, request: Request, session: SessionDep, me: Reader):
    return _edit(request, session, me, service.get_article(session, article_id))


@router.post("/kb/preview", response_class=HTMLResponse)
def preview(me: Reader, body: Text = ""):
    return HTMLResponse(markdown.render(body))


@router.post("/kb/save", response_class=HTMLResponse)
def save_article(request: Request, session: SessionDep, me: Writer, article_id: Text = "", title: Text = "",
                 body: Text = "", product: Text = "", tags: Text = "", internal_only: Text = "0",
                 client_versions: Text = "", business_line: Text = "",
                 platforms: Annotated[list[str] | None, Form()] = None,
                 category_ids: Annotated[list[str] | None, Form()] = None):
    data = _form_data(title, body, product, platforms or [], tags, internal_only, client_versions, business_line,
                      category_ids or [])
    article = service.get_article(session, int(article_id)) if article_id.isdigit() else None
    try:
        if article is None:
            article = service.create_article(session, actor=me.actor, data=data)
        else:
            service.update_article(session, actor=me.actor, article=article, changes=data)
    except DomainError as exc:
        session.rollback()
        article = service.get_article(session, int(article_id)) if article_id.isdigit() else None
        return _edit(request, session, me, article, {"form": exc.message, "field": exc.field},
                     exc.status_code, {**data, "tags": tags})
    session.commit()
    return RedirectResponse(f"/kb/{article.id}", status_code=303)


@router.post("/kb/{article_id}/action", response_class=HTMLResponse)
def article_action(article_id: int, request: Request, session: SessionDep, me: Writer, action: Text = "",
                   note: Text = ""):
    article = service.get_article(session, article_id)
    try:
        service.transition(session, actor=me.actor, article=article, action=action, note=note.strip() or None)
    except DomainError as exc:
        session.rollback()
        return _edit(request, session, me, service.get_article(session, article_id),
                     {"form": exc.message, "field": exc.field}, exc.status_code)
    session.commit()
    return RedirectResponse(f"/kb/{article_id}", status_code=303)


@router.get("/kb-suggestions", response_class=HTMLResponse)
def suggestions_panel(request: Request, session: SessionDep, me: Reader, ticket_id: int | None = None,
                      chat_id: int | None = None):
    """The ticket page's (and the chat workspace's) panel of suggested articles, loaded by htmx; a chat with
    nothing from the customer yet has none."""
    try:
        text = suggestion_text(session, ticket_id=ticket_id, chat_id=chat_id)
    except Invalid:
        text = ""
    hits = search.search(session, text, limit=5) if text else []
    return render(request, "kb/_suggestions.html", me, hits=hits, snippet=Markup)


# -- the help center (anyone) ----------------------------------------------------------------------------------
@router.get("/help", response_class=HTMLResponse)
def help_center(request: Request, session: SessionDep, q: Annotated[str, Query(max_length=200)] = "",
                platform: str = ""):
    platform = platform if platform in PLATFORMS else ""
    hits = search.search(session, q, limit=10, audience="customer", platform=platform or None) if q.strip() \
        else None
    popular = [] if hits is not None else [a for a in service.list_articles(session, status="published",
                                                                            limit=200)[0]
                                           if not a.internal_only][:12]
    queue = session.scalar(select(ChatQueue.code).where(ChatQueue.is_active.is_(True)).order_by(ChatQueue.id)
                           .limit(1))  # where the bot hands over; no chat queue, no bot
    return render(request, "kb/help.html", None, q=q, hits=hits, popular=popular, platform=platform,
                  platforms=PLATFORMS, labels=PLATFORM_LABELS, snippet=Markup, queue=queue)


@router.get("/help/articles/{article_id}", response_class=HTMLResponse)
def help_article(article_id: int, request: Request, session: SessionDep):
    article = service.public_article(session, article_id)
    service.add_view(session, article)
    return render(request, "kb/help_article.html", None, article=article, body=_md(article.body), voted=None)


@router.post("/help/articles/{article_id}/feedback", response_class=HTMLResponse)
def help_feedback(article_id: int, request: Request, session: SessionDep, clock: ClockDep, helpful: Text = "1"):
    article = service.public_article(session, article_id)
    service.add_feedback(session, article=article, helpful=helpful == "1", source="help_center", now=clock.now())
    return render(request, "kb/help_article.html", None, article=article, body=_md(article.body),
                  voted=helpful == "1")
