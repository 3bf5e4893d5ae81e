"""The SMTP receiver (``kefu mail serve``): customers' mail delivered straight to kefu (aiosmtpd).

Mail is accepted for the configured domains and addresses only (``KEFU_MAIL_DOMAINS``), up to
``KEFU_MAIL_MAX_BYTES`` (bigger: 552 before the data is read). Each message is taken in its own
transaction; once it is committed — as a ticket, an ignored auto-reply or a dead letter — the answer is
250. When it cannot be stored at all (the database is down or locked) the answer is 451 and the sending
server keeps the message and retries later, so nothing is lost either way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.orm import sessionmaker

from kefu.channels.email.adapter import take
from kefu.core.clock import Clock
from kefu.core.pii import scrub_text
from kefu.core.settings import Settings

log = logging.getLogger("kefu.mail")


def accepted_recipients(settings: Settings) -> tuple[set[str], set[str]]:
    """(domains, addresses) mail is accepted for."""
    entries = [e.strip().lower() for e in (settings.mail_domains or "").split(",") if e.strip()]
    if not entries:
        from email.utils import parseaddr

        address = parseaddr(settings.mail_from)[1].lower()
        entries = [address.partition("@")[2]] if "@" in address else []
    return ({e for e in entries if "@" not in e}, {e for e in entries if "@" in e})


class KefuHandler:
    """aiosmtpd handler: RCPT checks the recipient, DATA takes the message in a worker thread."""

    def __init__(self, factory: sessionmaker, clock: Clock, settings: Settings,
                 on_taken: Callable[[object], None] | None = None) -> None:
        self.factory, self.clock, self.on_taken = factory, clock, on_taken
        self.domains, self.addresses = accepted_recipients(settings)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        address_l = address.lower()
        if address_l not in self.addresses and address_l.rpartition("@")[2] not in self.domains:
            return "550 5.7.1 Relaying denied: not a mailbox of this service desk"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        bounce = envelope.mail_from in ("", "<>")
        try:
            taken = await asyncio.get_running_loop().run_in_executor(None, self._store, raw, bounce)
        except Exception as exc:  # not stored at all: the sender must keep it and retry
            log.error("could not store a message, answered 451: %s", scrub_text(f"{type(exc).__name__}: {exc}"))
            return "451 4.3.0 Temporary failure storing the message, try again later"
        if self.on_taken:
            self.on_taken(taken)
        log.info("mail %s: %s", taken.message_id, taken.status)
        return "250 2.0.0 OK"

    def _store(self, raw: bytes, bounce: bool):
        with self.factory() as session, session.begin():
            return take(session, raw, now=self.clock.now(), bounce=bounce)


def controller(factory: sessionmaker, clock: Clock, settings: Settings, *, host: str, port: int,
               on_taken: Callable[[object], None] | None = None) -> Controller:
    """A started-on-demand SMTP server (``.start()`` / ``.stop()``) taking mail into kefu."""
    handler = KefuHandler(factory, clock, settings, on_taken)
    return Controller(handler, hostname=host, port=port, data_size_limit=settings.mail_max_bytes,
                      enable_SMTPUTF8=True, ident="kefu mail")
