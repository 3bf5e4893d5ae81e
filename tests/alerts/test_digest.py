"""Key-launch tracking: contacts about a running launch (its category, or a keyword in the customer's words)
are kept with their words masked, and at 18:00 the leaders get the day's digest, in-app and by e-mail."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from kefu.alerts.digest import DIGEST
from kefu.alerts.models import AlertDelivery, LaunchFeedback
from kefu.contacts import events
from kefu.contacts.models import Contact
from kefu.core.settings import get_settings
from kefu.notifications.models import Notification
from kefu.timers.models import Timer
from kefu.timers.service import run_due

API = "/api/v1"
SHANGHAI = ZoneInfo("Asia/Shanghai")
RULES = """
rules:
  - id: key_launch
    name: 重点项目上线用户跟踪
    kind: digest
    send_at: "18:00"
    launches:
      - name: 听书功能上线
        start: 2026-11-23T00:00:00+08:00
        end: 2026-11-30T23:59:00+08:00
        categories: [付费充值]
        keywords: [听书]
"""


def words(db, world, at, text, category=None):
    contact = Contact(channel="wechat", direction="inbound", offered_at=at, outcome="answered", created_at=at,
                      customer_id=world.customers[0].id,
                      category_id=world.categories[category].id if category else None)
    events.text_for(contact, text)
    db.add(contact)
    db.flush()
    return contact.id


def test_the_days_feedback_about_a_launch_is_sent_at_six(client, world, db, clock, factory, monkeypatch):
    monkeypatch.setenv("KEFU_SMTP_HOST", "127.0.0.1")
    get_settings.cache_clear()
    try:
        world.users["supervisor"].email = "chen.dudao@kefu.example"
        db.commit()
        r = client.put(f"{API}/alert-rules", headers=world.headers("admin"), json={"source": RULES})
        assert r.status_code == 200, r.text
        now = clock.now()  # Monday 10:00
        a = words(db, world, now, "新上线的听书功能播放到一半就卡住,电话13812345678")
        b = words(db, world, now + timedelta(minutes=5), "充值书币后听书没有解锁", "pay")
        c = words(db, world, now + timedelta(minutes=9), "外卖一直没送到", "delivery.late")  # not about it
        d = words(db, world, now + timedelta(minutes=12), None, "pay")  # a 付费充值 call, no words
        db.commit()
        kept = db.scalars(select(LaunchFeedback).order_by(LaunchFeedback.id)).all()
        assert [k.contact_id for k in kept] == [a, b, d] and c not in [k.contact_id for k in kept]
        assert "13812345678" not in kept[0].excerpt and "听书功能" in kept[0].excerpt
        timer = db.scalar(select(Timer).where(Timer.kind == DIGEST))
        six = now.astimezone(SHANGHAI).replace(hour=18)
        assert timer.due_at == six  # 18:00 in Shanghai
        clock.advance(hours=7, minutes=59)
        run_due(factory, clock)
        assert db.scalars(select(Notification).where(Notification.kind == "alert_digest")).all() == []
        clock.advance(minutes=1)
        run_due(factory, clock)
        notes = db.scalars(select(Notification).where(Notification.kind == "alert_digest")).all()
        assert sorted(n.user_id for n in notes) == sorted(world.users[u].id for u in ("team_lead", "lead2",
                                                                                     "supervisor"))
        note = notes[0]
        assert note.title == "【一级】重点项目上线反馈日报:听书功能上线 2026-11-23"
        assert "用户反馈共 3 条" in note.body and "付费充值: 2 条" in note.body and "未分类: 1 条" in note.body
        assert "充值书币后听书没有解锁" in note.body and "13812345678" not in note.body
        (mail,) = db.scalars(select(AlertDelivery).where(AlertDelivery.sink == "email")).all()  # who has an address
        assert (mail.target, mail.alert_id, mail.payload["subject"]) == ("chen.dudao@kefu.example", None, note.title)
        db.expire_all()
        assert db.scalar(select(Timer.due_at).where(Timer.kind == DIGEST)) == six + timedelta(days=1)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
