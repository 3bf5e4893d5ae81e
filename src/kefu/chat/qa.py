"""质检 (QA) of online chats: the etiquette checker's warnings kept on each chat's contact (``ContactViolation``),
listed by period, agent, team, rule and queue, counted per rule and per agent, and each chat's transcript with
the offending words marked and the suggested wording beside them.

What QA reads of the conversation is masked: phones, ID numbers and e-mail addresses in the messages
(``kefu.core.pii.mask_text``), the customer as everywhere else (``masked_view``). A warning's offsets are the stored
message's; the transcript gives them again in the masked text it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kefu.accounts.models import Team, User
from kefu.chat.models import Chat, ChatMessage, ChatQueue, ContactViolation
from kefu.compliance.checker import RULES
from kefu.contacts.models import Contact
from kefu.core.errors import Invalid, NotFound
from kefu.core.pii import mask_text
from kefu.customers.models import Customer
from kefu.customers.service import masked_view

EXCERPT_CHARS = 60  # of the offending words shown in a list row


@dataclass(frozen=True)
class ViolationFilter:
    """``start``/``end``: when the message was sent, [start, end); the rest match exactly."""

    start: datetime | None = None
    end: datetime | None = None
    agent_id: int | None = None
    team_id: int | None = None
    rule: str | None = None
    queue: str | None = None

    def __post_init__(self) -> None:
        if self.rule is not None and self.rule not in RULES:
            raise Invalid(f"rule must be one of {', '.join(RULES)}", field="rule")


def _filtered(stmt: Select, f: ViolationFilter) -> Select:
    v = ContactViolation
    stmt = stmt.join(Contact, Contact.id == v.contact_id).outerjoin(User, User.id == v.agent_id)
    if f.start is not None:
        stmt = stmt.where(v.created_at >= f.start)
    if f.end is not None:
        stmt = stmt.where(v.created_at < f.end)
    if f.agent_id is not None:
        stmt = stmt.where(v.agent_id == f.agent_id)
    if f.team_id is not None:
        stmt = stmt.where(User.team_id == f.team_id)
    if f.rule is not None:
        stmt = stmt.where(v.rule == f.rule)
    if f.queue is not None:
        stmt = stmt.where(Contact.queue == f.queue)
    return stmt


@dataclass
class Finding:
    id: int
    contact_id: int
    chat_id: int | None
    message_id: int | None
    agent_id: int | None
    agent: str | None
    team: str | None
    queue: str | None  # the queue's code (the filter's)
    queue_name: str | None
    rule: str
    severity: str
    words: str  # the offending words, masked
    message: str
    suggestion: str | None
    created_at: datetime


def page_violations(session: Session, f: ViolationFilter, *, limit: int = 50,
                    offset: int = 0) -> tuple[list[Finding], int]:
    """The warnings matching ``f``, newest first, and how many match in all."""
    v = ContactViolation
    total = session.scalar(_filtered(select(func.count(v.id)), f)) or 0
    stmt = _filtered(select(v, Contact.queue, ChatQueue.name, Chat.id, ChatMessage.body, User.display_name,
                            User.username, Team.name), f)
    stmt = (stmt.outerjoin(Chat, Chat.contact_id == v.contact_id).outerjoin(ChatMessage, ChatMessage.id == v.message_id)
            .outerjoin(ChatQueue, ChatQueue.code == Contact.queue).outerjoin(Team, Team.id == User.team_id)
            .order_by(v.created_at.desc(), v.id.desc()).limit(limit).offset(offset))
    rows = [Finding(id=row.id, contact_id=row.contact_id, chat_id=chat_id, message_id=row.message_id,
                    agent_id=row.agent_id, agent=display or username, team=team, queue=queue,
                    queue_name=queue_name, rule=row.rule,
                    severity=row.severity, words=mask_text((body or "")[row.start:row.end][:EXCERPT_CHARS]),
                    message=row.message, suggestion=row.suggestion, created_at=row.created_at)
            for row, queue, queue_name, chat_id, body, display, username, team in session.execute(stmt)]
    return rows, total


def summary(session: Session, f: ViolationFilter) -> dict:
    """``{total, by_rule: [{rule, count}], by_agent: [{agent_id, agent, count}]}``, most first."""
    v = ContactViolation
    n = func.count(v.id).label("n")
    by_rule = session.execute(_filtered(select(v.rule, n), f).group_by(v.rule).order_by(n.desc(), v.rule)).all()
    by_agent = session.execute(_filtered(select(v.agent_id, User.display_name, User.username, n), f)
                               .group_by(v.agent_id, User.display_name, User.username)
                               .order_by(n.desc(), v.agent_id)).all()
    return {"total": sum(r.n for r in by_rule),
            "by_rule": [{"rule": r.rule, "count": r.n} for r in by_rule],
            "by_agent": [{"agent_id": r.agent_id, "agent": r.display_name or r.username, "count": r.n}
                         for r in by_agent]}


# -- one chat's transcript, for the drill-down -------------------------------------------------------------------
def mark(text: str, spans: list[tuple[int, int, int]]) -> tuple[str, list[dict], dict[int, tuple[int, int]]]:
    """``text`` masked and cut into pieces ``{text, ids}``, ``ids`` being the spans ``(id, start, end)`` (offsets
    in ``text``) that cover the piece; and each span's offsets in the masked text. Each piece is masked on its
    own, so masking never moves a span's boundary."""
    n = len(text)
    cuts = sorted({0, n} | {min(max(p, 0), n) for _, s, e in spans for p in (s, e)})
    pieces, pos, at = [], {0: 0}, 0
    for a, b in zip(cuts, cuts[1:], strict=False):
        masked = mask_text(text[a:b])
        pieces.append({"text": masked, "ids": [i for i, s, e in spans if s <= a and b <= e]})
        at += len(masked)
        pos[b] = at
    where = {}
    for i, s, e in spans:
        first = pos[min(max(s, 0), n)]
        where[i] = (first, max(first, pos[min(max(e, 0), n)]))
    return "".join(p["text"] for p in pieces), pieces, where


@dataclass
class Transcript:
    contact_id: int
    chat_id: int
    queue: str
    agent: str | None
    customer: dict  # masked
    offered_at: datetime
    status: str
    messages: list[dict]  # {seq, sender, kind, at, text (masked), pieces, violations}
    count: int  # the chat's warnings


def transcript(session: Session, *, contact_id: int) -> Transcript:
    """The chat of this contact, every message masked, each agent message with its warnings marked."""
    chat = session.scalar(select(Chat).where(Chat.contact_id == contact_id))
    if chat is None:
        raise NotFound(f"no chat for contact {contact_id}", field="contact_id")
    found: dict[int, list[ContactViolation]] = {}
    for row in session.scalars(select(ContactViolation).where(ContactViolation.contact_id == contact_id)
                               .order_by(ContactViolation.id)):
        found.setdefault(row.message_id, []).append(row)
    messages = []
    for m in session.scalars(select(ChatMessage).where(ChatMessage.chat_id == chat.id).order_by(ChatMessage.seq)):
        rows = found.get(m.id, [])
        text, pieces, where = mark(m.body, [(r.id, r.start, r.end) for r in rows])
        messages.append({"seq": m.seq, "sender": m.sender, "kind": m.kind, "at": m.created_at, "text": text,
                         "pieces": pieces,
                         "violations": [{"id": r.id, "rule": r.rule, "severity": r.severity,
                                         "start": where[r.id][0], "end": where[r.id][1], "message": r.message,
                                         "suggestion": r.suggestion} for r in rows]})
    agent = session.get(User, chat.agent_id) if chat.agent_id else None
    return Transcript(contact_id=contact_id, chat_id=chat.id, queue=session.get(ChatQueue, chat.queue_id).name,
                      agent=(agent.display_name or agent.username) if agent else None,
                      customer=masked_view(session.get(Customer, chat.customer_id)), offered_at=chat.offered_at,
                      status=chat.status, messages=messages, count=sum(len(r) for r in found.values()))


def filter_options(session: Session) -> dict:
    """What the page's filters offer: agents who have warnings, teams, queues, rules."""
    agents = session.execute(select(User.id, User.display_name, User.username)
                             .where(User.id.in_(select(ContactViolation.agent_id).distinct()))
                             .order_by(User.display_name, User.id)).all()
    return {"agents": [(a.id, a.display_name or a.username) for a in agents],
            "teams": [(t.id, t.name) for t in session.scalars(select(Team).order_by(Team.name))],
            "queues": [(q.code, q.name) for q in session.scalars(select(ChatQueue).order_by(ChatQueue.name))],
            "rules": list(RULES)}
