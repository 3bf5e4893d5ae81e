"""/qa: 质检 of online chats — the etiquette warnings kept on chats, by period, agent, team, rule and queue (JSON or
CSV), their counts per rule and per agent, and a chat's transcript with the warnings marked (PII masked)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import Query, Response
from pydantic import BaseModel, Field

from kefu.chat import qa
from kefu.core.deps import Principal, SessionDep, require
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.schemas import Out, Page
from kefu.customers.schemas import CustomerPublic
from kefu.reports import export
from kefu.reports.service import period

router = Router(prefix="/qa", tags=["qa"])
Reviewer = Annotated[Principal, require(Perm.qa_read)]
CSV_COLUMNS = ("id", "created_at", "agent", "team", "queue_name", "rule", "words", "message", "suggestion",
               "contact_id", "chat_id")
CSV_ROWS = 10_000


class FindingPublic(Out):
    id: int
    contact_id: int
    chat_id: int | None
    message_id: int | None
    agent_id: int | None
    agent: str | None
    team: str | None
    queue: str | None
    queue_name: str | None
    rule: str
    severity: str
    words: str
    message: str
    suggestion: str | None
    created_at: datetime


class RuleCount(BaseModel):
    rule: str
    count: int


class AgentCount(BaseModel):
    agent_id: int | None
    agent: str | None
    count: int


class SummaryPublic(BaseModel):
    from_: date | None = Field(None, serialization_alias="from")
    to: date | None = None
    total: int
    by_rule: list[RuleCount]
    by_agent: list[AgentCount]


class MarkedViolation(BaseModel):
    id: int
    rule: str
    severity: str
    start: int
    end: int
    message: str
    suggestion: str | None


class TranscriptMessage(BaseModel):
    seq: int
    sender: str
    kind: str
    at: datetime
    text: str
    violations: list[MarkedViolation]


class TranscriptPublic(Out):
    contact_id: int
    chat_id: int
    queue: str
    agent: str | None
    customer: CustomerPublic
    offered_at: datetime
    status: str
    count: int
    messages: list[TranscriptMessage]


def violation_filter(from_: date | None = None, to: date | None = None, agent: int | None = None,
                     team: int | None = None, rule: str | None = None, queue: str | None = None) -> qa.ViolationFilter:
    """The filter from query values; the period is whole days in the center's time zone (``to`` inclusive)."""
    start = end = None
    if from_ is not None or to is not None:
        p = period(from_ or to, to or from_)
        start, end = p.start, p.end
    return qa.ViolationFilter(start=start, end=end, agent_id=agent, team_id=team, rule=rule or None,
                              queue=queue or None)


From = Annotated[date | None, Query(alias="from", description="first day, in the center's time zone")]
To = Annotated[date | None, Query(description="last day (inclusive)")]


@router.get("/violations", response_model=Page[FindingPublic], responses={200: {"content": {"text/csv": {}}}})
def list_violations(session: SessionDep, _: Reviewer, from_: From = None, to: To = None, agent: int | None = None,
                    team: int | None = None, rule: str | None = None, queue: str | None = None,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0)] = 0,
                    format: Literal["json", "csv"] = "json"):
    """Warnings matching every filter, newest first (``team``: the agent's team; ``queue``: its code). ``words``
    are the offending words, masked. ``format=csv``: every match (up to 10,000), not a page."""
    f = violation_filter(from_, to, agent, team, rule, queue)
    if format == "csv":
        rows, _count = qa.page_violations(session, f, limit=CSV_ROWS)
        return Response(export.to_csv([vars(r) for r in rows], CSV_COLUMNS), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="qa-violations.csv"'})
    rows, count = qa.page_violations(session, f, limit=limit, offset=offset)
    return {"data": rows, "count": count}


@router.get("/violations/summary", response_model=SummaryPublic)
def violations_summary(session: SessionDep, _: Reviewer, from_: From = None, to: To = None, agent: int | None = None,
                       team: int | None = None, rule: str | None = None, queue: str | None = None):
    """How many warnings match, per rule and per agent, most first."""
    f = violation_filter(from_, to, agent, team, rule, queue)
    return {"from_": from_, "to": to, **qa.summary(session, f)}


@router.get("/chats/{contact_id}", response_model=TranscriptPublic)
def chat_transcript(contact_id: int, session: SessionDep, _: Reviewer):
    """The chat of this contact: every message (phones, ID numbers, e-mails masked), each agent message with its
    warnings, their offsets in the masked text; the customer masked."""
    return qa.transcript(session, contact_id=contact_id)
