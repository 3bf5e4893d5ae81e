"""Fixtures of the channel tests: settings changed for one test, a running SMTP receiver."""

from __future__ import annotations

import smtplib
import socket
import threading

import pytest
from aiosmtpd.controller import Controller

from kefu.channels.email.smtp import controller
from kefu.core.settings import get_settings

KEFU = "kefu@kefu.example.cn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mail_settings(monkeypatch):
    def apply(**env):
        for key, value in env.items():
            monkeypatch.setenv(f"KEFU_{key.upper()}", str(value))
        get_settings.cache_clear()
        return get_settings()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def receiver(factory, clock, mail_settings):
    settings = mail_settings(mail_from=f"客服中心 <{KEFU}>", mail_max_bytes=200_000, max_attachment_bytes=50_000)
    port = free_port()
    server = controller(factory, clock, settings, host="127.0.0.1", port=port)
    server.start()
    yield port
    server.stop()


def send(port: int, raw: bytes, *, sender: str = "13812345678@example.cn", to=(KEFU,)) -> dict:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        return smtp.sendmail(sender, list(to), raw)


@pytest.fixture
def platform(mail_settings):
    """The imitation WeChat and Weibo APIs, running, with kefu configured to use them."""
    from channels.platforms import APPID, APPSECRET, WEIBO_TOKEN, PlatformServer

    server = PlatformServer()
    with server as api:
        mail_settings(wechat_token="kefu-wx-2026", wechat_app_id=APPID, wechat_secret=APPSECRET,
                      wechat_api_base=server.url, weibo_app_secret="kefu-weibo-secret",
                      weibo_access_token=WEIBO_TOKEN, weibo_api_base=server.url)
        yield api


class Inbox:
    """The customer's mail server: keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refuse = False
        self.answer = ""  # a permanent refusal of the data ("550 …")
        self.unknown: set[str] = set()  # mailboxes that do not exist (550 at RCPT TO)
        self.data_tries = 0
        self.got = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.unknown:
            return f"550 5.1.1 <{address}>: Recipient address rejected: 用户不存在"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_tries += 1
        if self.answer:
            return self.answer
        if self.refuse:
            return "451 4.3.2 try again later"
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        self.got.set()
        return "250 OK"


@pytest.fixture
def inbox(mail_settings):
    box = Inbox()
    port = free_port()
    server = Controller(box, hostname="127.0.0.1", port=port)
    server.start()
    mail_settings(smtp_host="127.0.0.1", smtp_port=port, mail_from="美团客服中心 <kefu@kefu.example.cn>")
    yield box
    server.stop()
