"""What every channel adapter hands to the intake, and the small interface an adapter implements.

A channel (e-mail, WeChat, Weibo, the regulator form, a future Douyin or in-app SDK) is one module: it
checks the platform's signature, turns what arrived into ``InboundItem``s and gives them to
``kefu.channels.intake.receive``, which does the rest the same way for every channel (stored once, the
customer matched or created, the ticket joined or opened, a contact recorded, a dead letter kept).

A channel that can write back to the customer (WeChat, Weibo) also registers an ``OutboundSender``: the
outbox (``kefu.channels.outbox``) keeps every outbound message as a row and hands its text to the sender,
which raises ``SendError`` when the platform did not take it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session


@dataclass
class InboundAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class InboundItem:
    channel: str  # contacts.CONTACT_CHANNELS
    external_id: str  # the platform's own id for this message (Message-ID, MsgId…): replays are stored once
    received_at: datetime  # aware
    body: str  # plain text (adapters sanitise HTML before)
    subject: str = ""
    sender_name: str | None = None
    phone: str | None = None
    email: str | None = None
    openid: str | None = None  # WeChat openid / Weibo uid
    customer_role: str | None = None
    # threading: ids this message answers (In-Reply-To, References); a ticket number the sender quoted
    thread_ids: list[str] = field(default_factory=list)
    ticket_hint: int | None = None
    # chat-like channels (WeChat, Weibo) join the sender's open ticket on the same channel
    join_open_ticket: bool = False
    attachments: list[InboundAttachment] = field(default_factory=list)
    complaint_type: str = "none"  # none | internal | external (regulators)
    category_code: str | None = None
    priority: str = "normal"
    raw: bytes | None = None  # the message as received, kept if it ends as a dead letter


class ChannelAdapter(Protocol):
    """One channel. ``parse_raw`` turns stored raw bytes back into items, so a dead letter can be
    re-processed after a fix."""

    channel: str

    def parse_raw(self, raw: bytes) -> list[InboundItem]: ...


ADAPTERS: dict[str, ChannelAdapter] = {}


def register(adapter: ChannelAdapter) -> ChannelAdapter:
    ADAPTERS[adapter.channel] = adapter
    return adapter


class SendError(Exception):
    """The platform did not take an outbound message. ``permanent``: no retry can help (the customer
    unfollowed, the platform's reply window closed, the recipient does not exist); otherwise the outbox
    tries again later. The text is shown to agents: no token, URL or customer id in it."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class OutboundSender(Protocol):
    """Sends a text to one customer of a channel (``recipient``: the platform's id for them)."""

    channel: str
    text_limit: int  # characters the platform takes in one message: a longer text goes in several

    def configured(self) -> bool: ...

    def send_text(self, session: Session, *, recipient: str, text: str, now: datetime) -> None: ...


SENDERS: dict[str, OutboundSender] = {}


def register_sender(sender: OutboundSender) -> OutboundSender:
    SENDERS[sender.channel] = sender
    return sender
