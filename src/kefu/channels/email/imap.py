"""The IMAP poller (``kefu mail poll``): mail from a mailbox kefu reads but does not own.

Messages are fetched by UID above ``MailboxState.last_uid`` (UIDs only mean something under one
UIDVALIDITY: when the server changes it, the poller starts again from the first message and the
Message-ID uniqueness of ``inbound_messages`` skips what it already took). Each message is taken and
``last_uid`` advanced in the same transaction, so a poller killed at any moment (kill -9 included) and
started again neither loses nor repeats a message. The mailbox is opened read-only (EXAMINE, BODY.PEEK):
kefu changes nothing on the server.
"""

from __future__ import annotations

import imaplib
import logging
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kefu.channels.email.adapter import Taken, take
from kefu.channels.models import MailboxState
from kefu.core.clock import Clock
from kefu.core.errors import Invalid
from kefu.core.settings import Settings

log = logging.getLogger("kefu.mail")
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")


@dataclass
class PollResult:
    taken: int
    last_uid: int
    uidvalidity: int


def connect(settings: Settings) -> imaplib.IMAP4:
    if not settings.imap_host:
        raise Invalid("KEFU_IMAP_HOST is not set", field="imap_host")
    if settings.imap_ssl:
        conn = imaplib.IMAP4_SSL(settings.imap_host, settings.imap_port, ssl_context=ssl.create_default_context())
    else:
        conn = imaplib.IMAP4(settings.imap_host, settings.imap_port)
    conn.login(settings.imap_user or "", settings.imap_password or "")
    return conn


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uidvalidity(conn: imaplib.IMAP4) -> int:
    _typ, data = conn.response("UIDVALIDITY")
    if data and data[0]:
        return int(data[0])
    _typ, data = conn.status(_quoted(conn_mailbox(conn)), "(UIDVALIDITY)")
    found = _UIDVALIDITY.search(data[0] or b"")
    if not found:
        raise imaplib.IMAP4.error("the server did not say the mailbox's UIDVALIDITY")
    return int(found.group(1))


def conn_mailbox(conn: imaplib.IMAP4) -> str:
    return getattr(conn, "_kefu_mailbox", "INBOX")


def _state(factory: sessionmaker[Session], clock: Clock, account: str, mailbox: str, uidvalidity: int) -> int:
    """The last UID taken under this UIDVALIDITY (0 after a change, or the first time)."""
    with factory() as session, session.begin():
        state = session.scalar(select(MailboxState).where(MailboxState.account == account,
                                                          MailboxState.mailbox == mailbox))
        if state is None:
            session.add(MailboxState(account=account, mailbox=mailbox, uidvalidity=uidvalidity, last_uid=0,
                                     updated_at=clock.now()))
            return 0
        if state.uidvalidity != uidvalidity:
            log.warning("UIDVALIDITY of %s changed (%s → %s): reading the mailbox again from the start",
                        mailbox, state.uidvalidity, uidvalidity)
            state.uidvalidity, state.last_uid, state.updated_at = uidvalidity, 0, clock.now()
        return state.last_uid


def _new_uids(conn: imaplib.IMAP4, after: int) -> list[int]:
    typ, data = conn.uid("SEARCH", None, f"UID {after + 1}:*")
    if typ != "OK":
        raise imaplib.IMAP4.error(f"UID SEARCH failed: {data!r}")
    return sorted(uid for uid in (int(x) for x in (data[0] or b"").split()) if uid > after)  # n:* includes max


def _fetch(conn: imaplib.IMAP4, uid: int) -> bytes | None:
    typ, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if typ != "OK":
        raise imaplib.IMAP4.error(f"UID FETCH {uid} failed: {data!r}")
    for item in data or ():
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None  # expunged in the meantime


def _take_one(factory: sessionmaker[Session], clock: Clock, account: str, mailbox: str, uidvalidity: int,
              uid: int, raw: bytes | None) -> Taken | None:
    """Take the message and move ``last_uid`` past it in one transaction."""
    with factory() as session, session.begin():
        state = session.scalar(select(MailboxState).where(MailboxState.account == account,
                                                          MailboxState.mailbox == mailbox).with_for_update())
        if state.uidvalidity != uidvalidity or state.last_uid >= uid:
            return None  # another poller took it
        taken = take(session, raw, now=clock.now()) if raw else None
        state.last_uid, state.updated_at = uid, clock.now()
        return taken


def poll_once(factory: sessionmaker[Session], clock: Clock, settings: Settings, *,
              on_taken: Callable[[int, Taken | None], None] | None = None) -> PollResult:
    """Take every message that arrived since the last poll."""
    account, mailbox = f"{settings.imap_user}@{settings.imap_host}", settings.imap_mailbox
    conn = connect(settings)
    try:
        conn._kefu_mailbox = mailbox  # type: ignore[attr-defined]
        typ, data = conn.select(_quoted(mailbox), readonly=True)
        if typ != "OK":
            raise imaplib.IMAP4.error(f"cannot open mailbox {mailbox!r}: {data!r}")
        uidvalidity = _uidvalidity(conn)
        last = _state(factory, clock, account, mailbox, uidvalidity)
        taken = 0
        for uid in _new_uids(conn, last):
            result = _take_one(factory, clock, account, mailbox, uidvalidity, uid, _fetch(conn, uid))
            last = uid
            taken += 1
            if on_taken:
                on_taken(uid, result)
        return PollResult(taken=taken, last_uid=last, uidvalidity=uidvalidity)
    finally:
        try:
            conn.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
