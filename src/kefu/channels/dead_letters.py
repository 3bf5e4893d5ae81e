"""Dead letters (every channel): messages kept raw because they could not be taken, for admins to look at
and re-process once the cause is fixed (``/api/v1/channels/dead-letters`` and ``/admin/dead-letters``).

What is shown is safe to show: an e-mail's headers decoded to text (never rendered as HTML), other raw
messages as a text preview, with e-mail addresses, phone and ID numbers masked — a customer's details are
seen only through the audited reveal on the customer. Re-processing is audited, successful or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.parser import BytesHeaderParser
from typing import Annotated

from fastapi import Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.audit.service import record
from kefu.channels import intake
from kefu.channels.email.adapter import TRANSIENT
from kefu.channels.email.parse import decode_header_value
from kefu.channels.models import InboundMessage
from kefu.core.context import Actor
from kefu.core.deps import Principal, SessionDep, require
from kefu.core.errors import NotFound
from kefu.core.paging import page_count
from kefu.core.pii import mask_text, scrub_text
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.schemas import Out, Page

HEADERS = 60
COUNT_CAP = 1_000  # as the ticket and contact lists: counting stops here ("1000+")
VALUE_CHARS = 500
PREVIEW_CHARS = 2000
_ID_HEADERS = {"message-id", "in-reply-to", "references"}
mask = mask_text  # e-mail addresses, mobile and ID numbers in ``text`` masked


def headers_of(raw: bytes) -> list[tuple[str, str]]:
    """The headers as text; addresses masked except in Message-IDs (ids, not mailboxes)."""
    msg = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    shown = []
    for name, value in msg.items()[:HEADERS]:
        text = decode_header_value(value)
        text = scrub_text(text) if name.lower() in _ID_HEADERS else mask(text)
        shown.append((name, text[:VALUE_CHARS]))
    return shown


def preview_of(raw: bytes) -> str:
    text = raw[: PREVIEW_CHARS * 4].decode("utf-8", errors="replace")
    return mask(text)[:PREVIEW_CHARS]


@dataclass
class DeadPage:
    rows: list[InboundMessage]
    count: int  # exact unless capped
    capped: bool  # more than ``count`` match (counting stopped at COUNT_CAP, or offset + limit if larger)


def list_dead(session: Session, *, channel: str | None, limit: int, offset: int) -> DeadPage:
    """One page of dead letters, newest first (the status + received_at index), with a capped count."""
    stmt = select(InboundMessage).where(InboundMessage.status == "dead")
    if channel:
        stmt = stmt.where(InboundMessage.channel == channel)
    rows = list(session.scalars(stmt.order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
                                .limit(limit).offset(offset)))
    count, capped = page_count(session, stmt.with_only_columns(InboundMessage.id), found=len(rows), limit=limit,
                               offset=offset, cap=COUNT_CAP)
    return DeadPage(rows=rows, count=count, capped=capped)


def get_dead(session: Session, inbound_id: int) -> InboundMessage:
    row = session.get(InboundMessage, inbound_id)
    if row is None or row.status != "dead":
        raise NotFound(f"no dead letter {inbound_id}")
    return row


def reprocess(session: Session, *, actor: Actor, inbound_id: int) -> dict:
    """Take the dead letter again through its channel's adapter. A failure leaves it dead with the new
    error and one more attempt; either way the attempt is audited."""
    row = get_dead(session, inbound_id)
    try:
        with session.begin_nested():
            results = intake.reprocess(session, inbound_id=inbound_id, now=actor.now)
    except TRANSIENT:
        raise
    except NotFound:
        raise
    except Exception as exc:
        row.attempts += 1
        row.error = scrub_text(f"{type(exc).__name__}: {exc}")[:2000]
        outcome = {"status": "dead", "error": mask(row.error), "ticket_ids": []}
    else:
        ticket_ids = [r.ticket_id for r in results if r.ticket_id]
        if row.status == "dead":  # taken under another id than it was kept under, or nothing to take
            row.status = "processed" if results else "ignored"
            row.error = None if results else "nothing to take (an auto-reply or a bounce)"
            row.raw, row.processed_at = None, actor.now
            row.ticket_id = ticket_ids[0] if ticket_ids else None
        outcome = {"status": row.status, "error": None, "ticket_ids": ticket_ids}
    record(session, actor=actor, action="dead_letter.reprocess", target_type="inbound_message",
           target_id=row.id, detail={"channel": row.channel, "status": outcome["status"]})
    return {"id": row.id, **outcome}


# -- API ---------------------------------------------------------------------------
router = Router(prefix="/channels/dead-letters", tags=["channels"])
Admin = Annotated[Principal, require(Perm.channels_dead_letters)]


class DeadLetterPublic(Out):
    id: int
    channel: str
    external_id: str
    received_at: datetime
    attempts: int
    error: str | None


class DeadLetterDetail(DeadLetterPublic):
    headers: list[tuple[str, str]]  # an e-mail's headers, decoded and masked
    preview: str | None  # other channels: the start of the raw message, masked
    size: int


class DeadLetterPage(Page[DeadLetterPublic]):
    count_capped: bool = False  # ``count`` stopped at 1,000 (or offset + limit if larger): more match


class ReprocessResult(Out):
    id: int
    status: str  # processed | ignored | dead (still failing)
    error: str | None
    ticket_ids: list[int]


def public(row: InboundMessage) -> dict:
    return {"id": row.id, "channel": row.channel, "external_id": scrub_text(row.external_id),
            "received_at": row.received_at, "attempts": row.attempts, "error": mask(row.error or "") or None}


def detail(row: InboundMessage) -> dict:
    raw = row.raw or b""
    is_mail = row.channel == "email"
    return {**public(row), "headers": headers_of(raw) if is_mail else [], "size": len(raw),
            "preview": None if is_mail else preview_of(raw)}


@router.get("", response_model=DeadLetterPage)
def list_dead_letters(session: SessionDep, _: Admin, channel: str | None = None,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0)] = 0):
    """Dead letters, newest first, ``channel`` (email, wechat, weibo…) to filter; ``count`` counts up to
    1,000 (or offset + limit if larger), then stops there with ``count_capped: true``."""
    page = list_dead(session, channel=channel, limit=limit, offset=offset)
    return {"data": [public(r) for r in page.rows], "count": page.count, "count_capped": page.capped}


@router.get("/{inbound_id}", response_model=DeadLetterDetail)
def get_dead_letter(inbound_id: int, session: SessionDep, _: Admin):
    return detail(get_dead(session, inbound_id))


@router.post("/{inbound_id}/reprocess", response_model=ReprocessResult)
def reprocess_dead_letter(inbound_id: int, session: SessionDep, me: Admin):
    return reprocess(session, actor=me.actor, inbound_id=inbound_id)
