"""/survey/<token>: the customer's satisfaction survey from an e-mail or WeChat link. No login: the signed
token names the contact. GET only shows the question (a link scanner that opens it votes nothing); the
customer's POST records the rating, once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from sqlalchemy import select

from kefu.core.deps import ClockDep, SessionDep
from kefu.core.errors import Conflict, DomainError
from kefu.core.routing import Router
from kefu.reports.kpis import LEVELS
from kefu.satisfaction import links, service
from kefu.satisfaction.models import SatisfactionRating
from kefu.web.pages import render

router = Router()
REASONS = ("问题已解决", "客服态度好", "响应及时", "问题未解决", "等待太久", "客服态度差", "其他")


def _page(request, status: int = 200, **ctx):
    return render(request, "survey.html", None, status_code=status, levels=sorted(LEVELS, reverse=True),
                  reasons=REASONS, **ctx)


@router.get("/survey/{token}")
def survey_page(token: str, request: Request, session: SessionDep, clock: ClockDep):
    try:
        contact = service.contact_for(session, contact_id=links.read_token(token, now=clock.now()))
    except DomainError as exc:
        return _page(request, status=exc.status_code, error=str(exc), token=None)
    done = contact.satisfaction is not None or session.scalar(
        select(SatisfactionRating.id).where(SatisfactionRating.contact_id == contact.id)) is not None
    return _page(request, token=token, done=done)


@router.post("/survey/{token}")
def survey_vote(token: str, request: Request, session: SessionDep, clock: ClockDep,
                level: Annotated[int, Form()], reason: Annotated[str, Form()] = "",
                comment: Annotated[str, Form(max_length=2000)] = ""):
    try:
        contact = service.contact_for(session, contact_id=links.read_token(token, now=clock.now()))
        service.rate(session, contact=contact, level=level, source="link", now=clock.now(),
                     reason=reason if reason in REASONS else None, comment=comment.strip() or None)
    except Conflict:
        return _page(request, token=token, done=True)
    except DomainError as exc:
        return _page(request, status=exc.status_code, error=str(exc), token=None)
    return _page(request, token=token, done=True, thanks=True)
