"""质检 pages: /qa lists the etiquette warnings kept on chats (filters: period, agent, team, rule, queue), their
counts per rule and per agent, pages of 50 and a CSV export (the API's, same cookie); /qa/chats/{contact_id} is a
chat's transcript with the offending words marked and the suggested wording beside them, PII masked. The guard is
the API's (``kefu.chat.qa_api``)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Request

from kefu.chat import qa
from kefu.chat.qa_api import violation_filter
from kefu.core.deps import ClockDep, Principal, SessionDep
from kefu.core.errors import Invalid
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.web.pages import render, web_user
from kefu.web.reports import _dates

router = Router(prefix="/qa")
Reviewer = Annotated[Principal, web_user(Perm.qa_read)]
PAGE_SIZE = 50


def _id(name: str, value: str) -> int | None:
    if not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        raise Invalid(f"{name} must be a whole number", field=name) from None


@router.get("")
def violations_page(request: Request, session: SessionDep, clock: ClockDep, me: Reviewer, first: str | None = None,
                    last: str | None = None, agent: str = "", team: str = "", rule: str = "", queue: str = "",
                    page: int = 1):
    fr, to = _dates(clock, first, last)
    f = violation_filter(fr, to, _id("agent", agent), _id("team", team), rule or None, queue or None)
    page = max(page, 1)
    rows, count = qa.page_violations(session, f, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    query = {"first": fr.isoformat(), "last": to.isoformat(), "agent": agent, "team": team, "rule": rule,
             "queue": queue}
    api = {"from": fr.isoformat(), "to": to.isoformat(), **{k: v for k, v in query.items() if v and k in
                                                           ("agent", "team", "rule", "queue")}}
    return render(request, "qa/list.html", me, rows=rows, count=count, summary=qa.summary(session, f),
                  options=qa.filter_options(session), first=fr, last=to, agent=agent, team=team, rule=rule,
                  queue=queue, page=page, pages=max(1, -(-count // PAGE_SIZE)), query=urlencode(query),
                  export_csv=f"/api/v1/qa/violations?{urlencode(api | {'format': 'csv'})}")


@router.get("/chats/{contact_id}")
def transcript_page(contact_id: int, request: Request, session: SessionDep, me: Reviewer, v: int | None = None):
    """``v``: the warning the reviewer came from, shown first."""
    return render(request, "qa/transcript.html", me, chat=qa.transcript(session, contact_id=contact_id), focus=v)
