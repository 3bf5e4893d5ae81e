"""The outbox of the messaging channels (WeChat, Weibo): what kefu writes to a customer there, delivered
durably.

An agent's customer-visible reply on a WeChat or Weibo ticket (and a survey invitation) becomes an
``outbound_messages`` row in the reply's own transaction, with a ``channel_send`` timer due at once: a reply
that is saved is sent even if the process dies a moment later. The timer worker hands the text to the
channel's ``OutboundSender``; the row records each try. A temporary failure (network, 5xx, platform busy)
is tried again after 30 s, 1 min, 2 min… (at most an hour apart; a text longer than the platform takes goes
in pieces, and a retry sends only the pieces not yet out); a permanent one (the 48-hour window closed,
the customer unfollowed) or the last of ``KEFU_CHANNEL_SEND_ATTEMPTS`` tries marks it ``failed``, puts
消息发送失败 in the ticket's history and tells the agent who wrote the reply. A sent message puts a line in
the history too, and the ticket's messages show each reply's delivery state.

A crash between the platform taking a message and the commit sends it again on the retry (the platforms
have no idempotency key): a rare duplicate rather than a lost reply. Openids and texts are never logged.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.channels import wechat_api, weibo_api  # noqa: F401  (register their senders)
from kefu.channels.base import SENDERS, SendError
from kefu.channels.models import OutboundMessage
from kefu.core.context import Actor
from kefu.core.pii import scrub_text
from kefu.core.settings import get_settings
from kefu.customers.models import Customer
from kefu.notifications.service import notify
from kefu.tickets import service as tickets
from kefu.tickets.models import Ticket, TicketEvent, TicketMessage
from kefu.timers import service as timers
from kefu.timers.models import Timer

log = logging.getLogger("kefu.channels")
KIND = "channel_send"
MESSAGING = ("wechat", "weibo")
FIRST_BACKOFF = timedelta(seconds=30)
LONGEST_BACKOFF = timedelta(hours=1)


def recipient(customer: Customer | None, channel: str) -> str | None:
    """The customer's id on ``channel``: the WeChat openid, or ``weibo:<uid>`` (both kept in one column)."""
    openid = customer.wechat_openid if customer is not None else None
    if not openid:
        return None
    is_weibo = openid.startswith(weibo_api.PREFIX)
    return openid if is_weibo == (channel == "weibo") else None


def parts(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at a line break in the second half of a piece
    where there is one; nothing lost but the line breaks cut at."""
    out, rest = [], text.strip()
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        out.append(rest[:cut])
        rest = rest[cut:].removeprefix("\n")
    return [*out, rest] if rest else out


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: 30 s, 1 min, 2 min, … at most an hour."""
    return min(FIRST_BACKOFF * 2 ** max(attempts - 1, 0), LONGEST_BACKOFF)


def enqueue(session: Session, *, ticket: Ticket, body: str, purpose: str, now: datetime,
            message: TicketMessage | None = None) -> OutboundMessage | None:
    """Queue ``body`` for the ticket's customer on the ticket's channel; None (and a failure in the history)
    when kefu does not know them there."""
    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    to = recipient(customer, ticket.channel)
    if to is None:
        _event(session, ticket.id, now, "channel_failed", channel=ticket.channel, purpose=purpose,
               message_id=message.id if message else None, error="客户没有该渠道的账号 (no openid)")
        return None
    row = OutboundMessage(channel=ticket.channel, purpose=purpose, ticket_id=ticket.id,
                          ticket_message_id=message.id if message else None, recipient=to, body=body,
                          state="pending", attempts=0, parts_sent=0, created_at=now)
    session.add(row)
    session.flush()
    timers.schedule(session, kind=KIND, ref_id=row.id, due_at=now)
    return row


def queue_reply(session: Session, ticket: Ticket, message: TicketMessage) -> None:
    """The reply hook: a WeChat or Weibo ticket's customer-visible reply goes to the customer there."""
    if ticket.channel not in MESSAGING or message.internal:
        return
    enqueue(session, ticket=ticket, body=message.body, purpose="reply", now=message.created_at, message=message)


tickets.REPLY_HOOKS.append(queue_reply)


def _event(session: Session, ticket_id: int, now: datetime, kind: str, **data) -> None:
    session.add(TicketEvent(ticket_id=ticket_id, at=now, actor_id=None, actor_name="系统", kind=kind,
                            data={k: v for k, v in data.items() if v is not None}))


@timers.handler(KIND)
def deliver(session: Session, timer: Timer, now: datetime) -> None:
    """One try at sending an outbox row. Failures are recorded on the row, not raised."""
    row = session.get(OutboundMessage, timer.ref_id)
    if row is None or row.state != "pending":
        return
    row.attempts += 1
    sender = SENDERS.get(row.channel)
    try:
        if sender is None or not sender.configured():
            raise SendError(f"the {row.channel} channel is not configured for sending (see the README)")
        pieces = parts(row.body, sender.text_limit)
        for piece in pieces[row.parts_sent:]:
            sender.send_text(session, recipient=row.recipient, text=piece, now=now)
            row.parts_sent += 1  # kept when a later piece fails: the retry sends only the rest
    except SendError as exc:
        row.last_error = scrub_text(str(exc))[:500]
        log.warning("%s message %s on ticket %s not sent (try %s): %s", row.channel, row.id, row.ticket_id,
                    row.attempts, row.last_error)
        if exc.permanent or row.attempts >= get_settings().channel_send_attempts:
            _failed(session, row, now, permanent=exc.permanent)
        else:
            timers.schedule(session, kind=KIND, ref_id=row.id, due_at=now + backoff(row.attempts))
        return
    row.state, row.sent_at, row.last_error = "sent", now, None
    _event(session, row.ticket_id, now, "channel_sent", channel=row.channel, purpose=row.purpose,
           message_id=row.ticket_message_id, outbound_id=row.id)
    log.info("%s message %s on ticket %s sent", row.channel, row.id, row.ticket_id)


def _failed(session: Session, row: OutboundMessage, now: datetime, *, permanent: bool) -> None:
    row.state = "failed"
    attempts = None if permanent else row.attempts
    _event(session, row.ticket_id, now, "channel_failed", channel=row.channel, purpose=row.purpose,
           message_id=row.ticket_message_id, outbound_id=row.id, error=row.last_error, attempts=attempts)
    message = session.get(TicketMessage, row.ticket_message_id) if row.ticket_message_id else None
    if message is not None and message.author_id:
        label = "微信" if row.channel == "wechat" else "微博"
        notify(session, actor=Actor.system(now), user_ids=[message.author_id], kind="channel.failed",
               title=f"工单 #{row.ticket_id} 的回复未能通过{label}发给客户", body=row.last_error or "",
               ticket_id=row.ticket_id, dedupe=f"channel_failed:{row.id}")


@timers.on_give_up(KIND)
def deliver_given_up(session: Session, timer: Timer, now: datetime) -> None:
    """The try itself kept crashing (not a platform's refusal, which ``deliver`` records): failed, and said."""
    row = session.get(OutboundMessage, timer.ref_id)
    if row is not None and row.state == "pending":
        row.last_error = scrub_text(timer.last_error or "")[:500]
        _failed(session, row, now, permanent=False)


def deliveries(session: Session, message_ids: list[int]) -> dict[int, dict]:
    """Delivery state of replies by ticket-message id: channel, state, attempts, last error."""
    if not message_ids:
        return {}
    rows = session.scalars(select(OutboundMessage).where(OutboundMessage.ticket_message_id.in_(message_ids)))
    return {r.ticket_message_id: {"channel": r.channel, "state": r.state, "attempts": r.attempts,
                                  "error": r.last_error, "sent_at": r.sent_at} for r in rows}
