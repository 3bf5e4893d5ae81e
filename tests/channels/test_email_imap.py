"""The IMAP poller against a real IMAP server (pymap, started by the test): mail appended with imaplib is
taken once, UIDVALIDITY changes are survived, and a poller killed with SIGKILL mid-run and started again
ends with every message exactly once."""

from __future__ import annotations

import imaplib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from channels.conftest import free_port
from channels.mail import chinese_mail
from kefu.channels.email.imap import poll_once
from kefu.channels.models import InboundMessage, MailboxState
from kefu.contacts.models import Contact
from kefu.core.db import make_engine, make_sessionmaker
from kefu.tickets.models import Ticket

BIN = Path(sys.executable).parent
USER, PASSWORD, MAILBOX = "kefu", "imap-pass-2026", "Support"
PG_URL = os.environ.get("KEFU_TEST_POSTGRES_URL")


class ImapServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [str(BIN / "pymap"), "--host", "127.0.0.1", "--port", str(self.port), "--no-service", "admin",
             "dict", "--demo-data", "--demo-user", USER, "--demo-password", PASSWORD],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.client = self._connect()
        self.client.login(USER, PASSWORD)
        self.client.create(MAILBOX)

    def _connect(self) -> imaplib.IMAP4:
        for _ in range(600):  # the server takes a moment to listen (up to a minute on a busy machine)
            try:
                return imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("pymap exited") from None
                time.sleep(0.1)
        raise RuntimeError("pymap did not start listening")

    def append(self, raw: bytes) -> None:
        typ, data = self.client.append(MAILBOX, None, None, raw)
        assert typ == "OK", data

    def stop(self) -> None:
        try:
            self.client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def imap_server():
    server = ImapServer()
    yield server
    server.stop()


def imap_env(server: ImapServer) -> dict:
    return {"imap_host": "127.0.0.1", "imap_port": server.port, "imap_user": USER, "imap_password": PASSWORD,
            "imap_mailbox": MAILBOX, "imap_ssl": "false"}


def _mail(n: int) -> bytes:
    return chinese_mail(subject=f"第{n}号投诉:外卖超时", body=f"第{n}封邮件,等了两个小时还没送到。",
                        charset_name=("gb2312", "gbk", "utf-8", "gb18030")[n % 4],
                        sender=(f"顾客{n}", f"customer{n}@example.cn"), message_id=f"<imap-{n}@mail.example.cn>")


def test_poller_takes_new_mail_once_and_remembers_where_it_stopped(db, world, factory, clock, imap_server,
                                                                    mail_settings):
    settings = mail_settings(**imap_env(imap_server))
    for n in range(1, 4):
        imap_server.append(_mail(n))
    first = poll_once(factory, clock, settings)
    assert first.taken == 3
    subjects = db.scalars(select(Ticket.subject).where(Ticket.channel == "email").order_by(Ticket.id)).all()
    assert subjects == ["第1号投诉:外卖超时", "第2号投诉:外卖超时", "第3号投诉:外卖超时"]
    assert poll_once(factory, clock, settings).taken == 0
    imap_server.append(_mail(4))
    imap_server.append(chinese_mail(subject="自动回复", body="休假中", message_id="<ooo-9@mail.example.cn>",
                                    extra={"Auto-Submitted": "auto-replied"}))
    again = poll_once(factory, clock, settings)
    assert again.taken == 2
    state = db.scalar(select(MailboxState))
    assert (state.account, state.mailbox, state.last_uid, state.uidvalidity) == (
        f"{USER}@127.0.0.1", MAILBOX, again.last_uid, again.uidvalidity)
    assert db.scalar(select(func.count()).select_from(Ticket).where(Ticket.channel == "email")) == 4
    assert db.scalar(select(InboundMessage.status).where(
        InboundMessage.external_id == "<ooo-9@mail.example.cn>")) == "ignored"


def test_a_changed_uidvalidity_reads_the_mailbox_again_without_doubling_anything(db, world, factory, clock,
                                                                                 imap_server,
                                                                                 mail_settings):
    settings = mail_settings(**imap_env(imap_server))
    for n in range(1, 3):
        imap_server.append(_mail(n))
    done = poll_once(factory, clock, settings)
    state = db.scalar(select(MailboxState))
    state.uidvalidity, state.last_uid = 1, 999_999  # what we knew belonged to a mailbox since recreated
    db.commit()
    again = poll_once(factory, clock, settings)
    assert again.taken == 2 and again.last_uid == done.last_uid
    db.refresh(state)
    assert (state.uidvalidity, state.last_uid) == (done.uidvalidity, done.last_uid)
    assert db.scalar(select(func.count()).select_from(Ticket).where(Ticket.channel == "email")) == 2


# -- kill -9 ------------------------------------------------------------------------
@pytest.fixture(params=["sqlite"] + (["postgresql"] if PG_URL else []))
def store_url(request, tmp_path):
    """A database of its own, committed for real: the poller runs in another process."""
    from kefu.migrate import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/kefu-mail.db"
    else:
        base = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
        admin = make_engine(base)
        with admin.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS kefu_mailkill CASCADE"))
            conn.execute(text("CREATE SCHEMA kefu_mailkill"))
        admin.dispose()
        url = f"{base}?options=-csearch_path%3Dkefu_mailkill"
    upgrade(url)
    return url


def _poller(url: str, server: ImapServer) -> subprocess.Popen:
    env = {**os.environ, "KEFU_DATABASE_URL": url, "KEFU_LOG_LEVEL": "WARNING",
           **{f"KEFU_{k.upper()}": str(v) for k, v in imap_env(server).items()}}
    return subprocess.Popen([str(BIN / "kefu"), "mail", "poll"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_a_poller_killed_mid_run_and_restarted_takes_every_message_exactly_once(store_url, imap_server):
    total = 60
    for n in range(1, total + 1):
        imap_server.append(_mail(n))
    first = _poller(store_url, imap_server)
    seen = []
    for line in first.stdout:  # wait until it has taken a few, then kill it without warning
        seen.append(line)
        if len(seen) == 5:
            break
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert len(seen) == 5 and first.returncode == -signal.SIGKILL
    engine = make_engine(store_url)
    with engine.connect() as conn:  # what it reported taken was committed, with its place in the mailbox
        kept = conn.scalar(select(func.count()).select_from(InboundMessage))
        assert kept >= 5 and conn.scalar(select(MailboxState.last_uid)) >= 5
    engine.dispose()
    second = _poller(store_url, imap_server)
    _out, errors = second.communicate(timeout=600)
    assert second.returncode == 0, errors
    engine = make_engine(store_url)
    try:
        with make_sessionmaker(engine)() as s:
            ids = s.scalars(select(InboundMessage.external_id).where(InboundMessage.status == "processed")).all()
            assert sorted(ids) == sorted(f"<imap-{n}@mail.example.cn>" for n in range(1, total + 1))
            assert s.scalar(select(func.count()).select_from(Ticket)) == total
            assert s.scalar(select(func.count()).select_from(Contact)) == total
            subjects = set(s.scalars(select(Ticket.subject)))
            assert subjects == {f"第{n}号投诉:外卖超时" for n in range(1, total + 1)}
            imap_server.client.select(MAILBOX, readonly=True)
            newest = max(int(uid) for uid in imap_server.client.uid("SEARCH", None, "ALL")[1][0].split())
            assert s.scalar(select(MailboxState.last_uid)) == newest
    finally:
        engine.dispose()
