"""The weekly VOC report mailed to a line's subscribers on Monday 09:00 (center time), the PDF attached, sent by
the timer worker to a real SMTP server (aiosmtpd started by the test)."""

from __future__ import annotations

import io
from datetime import datetime
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader
from sqlalchemy import select

from channels.conftest import free_port, mail_settings  # noqa: F401 - the SMTP settings fixture
from conftest import SHANGHAI
from kefu.reports.mailing import MAIL, WEEKLY
from kefu.timers.models import Timer
from kefu.timers.service import run_due

from .test_satisfaction import _calls


class Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 4.3.2 try again later"
        self.received.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


@pytest.fixture
def inbox(mail_settings):  # noqa: F811
    box = Inbox()
    port = free_port()
    server = Controller(box, hostname="127.0.0.1", port=port)
    server.start()
    mail_settings(smtp_host="127.0.0.1", smtp_port=port, mail_from="美团客服中心 <kefu@kefu.example.cn>")
    yield box
    server.stop()


def _run(factory, clock) -> int:
    fired = total = run_due(factory, clock)
    while fired:
        fired = run_due(factory, clock)
        total += fired
    return total


def test_subscribers_get_last_weeks_report_on_monday_morning(client, db, world, factory, clock, inbox):
    from kefu.satisfaction import service as satisfaction
    from web.helpers import login

    calls = _calls(db, clock, 2)
    satisfaction.rate(db, contact=calls[0], level=1, source="ivr", now=clock.now(), comment="汤洒了,打13812345678")
    world.users["supervisor"].email = "chen@kefu.example.cn"
    db.commit()
    line = world.lines["waimai"].id
    csrf = login(client, "analyst")
    for form in ({"email": "pm@waimai.example.cn"}, {"username": "supervisor"}):
        r = client.post("/reports/voc/subscriptions", data={"csrf_token": csrf, "line": str(line), **form},
                        follow_redirects=False)
        assert r.status_code == 303, r.text
    page = client.get("/reports/voc", params={"line": line}).text
    listed = page[page.index('id="voc-subscriptions"'):]
    assert "pm@waimai.example.cn" in listed and "陈督导" in listed
    again = client.post("/reports/voc/subscriptions", data={"csrf_token": csrf, "line": str(line),
                                                            "email": "不是邮箱"}, follow_redirects=False)
    assert again.status_code == 422 and 'role="alert"' in again.text

    weekly = db.scalar(select(Timer).where(Timer.kind == WEEKLY))
    assert weekly.due_at.astimezone(SHANGHAI) == datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)
    _run(factory, clock)
    assert inbox.received == []  # Monday 10:00 of the reported week: nothing yet
    clock.set(datetime(2026, 11, 30, 9, 0, 30, tzinfo=SHANGHAI))
    inbox.refuse = True  # the mail server is down at nine
    _run(factory, clock)
    assert inbox.received == []
    inbox.refuse = False
    clock.advance(hours=2)  # the retries go out later that morning, still with last week's report
    _run(factory, clock)
    assert sorted(rcpt for rcpt, _ in inbox.received) == [["chen@kefu.example.cn"], ["pm@waimai.example.cn"]]
    for _, raw in inbox.received:
        msg = message_from_bytes(raw, policy=policy.default)
        assert msg["Subject"] == "客户之声周报:外卖 2026-11-23 至 2026-11-29"
        [attachment] = list(msg.iter_attachments())
        assert attachment.get_filename() == "voc-waimai-2026-11-23.pdf"
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(attachment.get_content())).pages)
        assert "超时未送达" in text and "138****5678" in text and "13812345678" not in text
    db.expire_all()
    weekly = db.scalar(select(Timer).where(Timer.kind == WEEKLY))
    assert weekly.status == "pending"
    assert weekly.due_at.astimezone(SHANGHAI) == datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)
    mails = db.scalars(select(Timer).where(Timer.kind == MAIL)).all()
    assert [t.status for t in mails] == ["done", "done"]


def test_an_unsubscribed_address_is_not_mailed(client, db, world, factory, clock, inbox):
    line = world.lines["waimai"].id
    h = world.headers("supervisor")
    keep = client.post("/api/v1/reports/voc/subscriptions", headers=h,
                       json={"business_line_id": line, "email": "keep@waimai.example.cn"})
    gone = client.post("/api/v1/reports/voc/subscriptions", headers=h,
                       json={"business_line_id": line, "email": "gone@waimai.example.cn"})
    assert keep.status_code == gone.status_code == 201
    dup = client.post("/api/v1/reports/voc/subscriptions", headers=h,
                      json={"business_line_id": line, "email": "keep@waimai.example.cn"})
    assert dup.status_code == 422 and "email" in dup.text
    assert client.delete(f"/api/v1/reports/voc/subscriptions/{gone.json()['id']}", headers=h).status_code == 204
    clock.set(datetime(2026, 11, 30, 9, 1, tzinfo=SHANGHAI))
    _run(factory, clock)
    assert [rcpt for rcpt, _ in inbox.received] == [["keep@waimai.example.cn"]]


def test_subscriptions_are_listed_and_removed_through_the_api_audited(client, db, world):
    from kefu.audit.models import AuditEntry

    waimai, reading = world.lines["waimai"].id, world.lines["reading"].id
    world.users["supervisor"].email = "chen@kefu.example.cn"
    db.commit()
    h = world.headers("analyst")
    pm = client.post("/api/v1/reports/voc/subscriptions", headers=h,
                     json={"business_line_id": waimai, "email": "外卖产品组"})
    assert pm.status_code == 422 and "email" in pm.text   # not an address
    pm = client.post("/api/v1/reports/voc/subscriptions", headers=h,
                     json={"business_line_id": waimai, "email": "pm@waimai.example.cn"})
    lead = client.post("/api/v1/reports/voc/subscriptions", headers=h,
                       json={"business_line_id": waimai, "user_id": world.users["supervisor"].id})
    other = client.post("/api/v1/reports/voc/subscriptions", headers=h,
                        json={"business_line_id": reading, "email": "pm@yuedu.example.cn"})
    assert pm.status_code == lead.status_code == other.status_code == 201
    got = client.get("/api/v1/reports/voc/subscriptions", headers=h, params={"business_line_id": waimai}).json()
    assert got["count"] == 2
    assert [(s["name"], s["email"], s["user_id"]) for s in got["data"]] == [
        ("", "pm@waimai.example.cn", None),
        ("陈督导", "chen@kefu.example.cn", world.users["supervisor"].id)]
    every = client.get("/api/v1/reports/voc/subscriptions", headers=h).json()
    assert [s["business_line_id"] for s in every["data"]] == [waimai, waimai, reading]
    assert client.delete(f"/api/v1/reports/voc/subscriptions/{lead.json()['id']}", headers=h).status_code == 204
    assert client.delete(f"/api/v1/reports/voc/subscriptions/{lead.json()['id']}", headers=h).status_code == 404
    left = client.get("/api/v1/reports/voc/subscriptions", headers=h, params={"business_line_id": waimai}).json()
    assert [s["email"] for s in left["data"]] == ["pm@waimai.example.cn"]
    actions = [a.action for a in db.scalars(select(AuditEntry).where(AuditEntry.target_type == "voc_subscription")
                                            .order_by(AuditEntry.id))]
    assert actions == ["reports.voc_subscription.add"] * 3 + ["reports.voc_subscription.remove"]
    # a team lead reads the reports but neither sees nor changes who gets them
    assert client.get("/api/v1/reports/voc/subscriptions", headers=world.headers("team_lead")).status_code == 403
    assert client.delete(f"/api/v1/reports/voc/subscriptions/{pm.json()['id']}",
                         headers=world.headers("team_lead")).status_code == 403


def test_the_weeks_fixes_are_listed_through_the_api(client, world):
    line = world.lines["waimai"].id
    h = world.headers("supervisor")
    r = client.post("/api/v1/reports/voc/fixes", headers=h,
                    json={"business_line_id": line, "week": "2026-11-25", "text": "午高峰加派骑手", "owner": "王芳"})
    assert r.status_code == 201
    got = client.get("/api/v1/reports/voc/fixes", headers=world.headers("team_lead"),
                     params={"business_line_id": line, "week": "2026-11-29"}).json()
    assert [(f["text"], f["owner"]) for f in got["data"]] == [("午高峰加派骑手", "王芳")]
    assert client.get("/api/v1/reports/voc/fixes", headers=h,
                      params={"business_line_id": line, "week": "2026-11-30"}).json()["count"] == 0
    missing = client.get("/api/v1/reports/voc/fixes", headers=h,
                         params={"business_line_id": 99999, "week": "2026-11-25"})
    assert missing.status_code == 404 and "business_line_id" in missing.text
