"""Notification sinks: where an alert goes when it is raised, escalated or left unacknowledged.

A sink is an object with a ``name`` and ``send(session, notice)``; ``register(sink)`` adds one (a center
may add its own: SMS, a pager). ``dispatch`` builds one ``Notice`` (the alert, what happened, the
recipients, an event id) and hands it to every sink, inside the caller's transaction. Built in:

- ``inapp``: a kefu notification to each recipient (``kefu.notifications``), live on the alerts page;
- ``email``: one e-mail per recipient with an address, through the SMTP settings of ``kefu.channels.email``
  (only when ``KEFU_SMTP_HOST`` is set);
- ``webhook``: a JSON POST to ``KEFU_ALERT_WEBHOOK_URL``, signed ``X-Kefu-Signature: sha256=<hex HMAC of
  "<timestamp>.<body>">`` with ``KEFU_ALERT_WEBHOOK_SECRET``, carrying ``X-Kefu-Event`` (the event id a
  receiver dedupes on).

E-mail and webhook notices are ``alert_deliveries`` rows sent by a durable timer: a failure is retried with
backoff by the timer worker and, after the last attempt, the delivery is marked ``dead`` (dead-lettered).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kefu.accounts.models import User
from kefu.alerts.models import Alert, AlertDelivery
from kefu.catalog.models import Category
from kefu.core.pii import scrub_text
from kefu.core.settings import get_settings
from kefu.notifications.models import Notification
from kefu.timers import service as timers
from kefu.timers.models import Timer

log = logging.getLogger("kefu.alerts")
DELIVERY = "alert_delivery"
FIRST_ROLES = ("team_lead", "supervisor")  # 组长, 督导: told at once
ACTIONS_ZH = {"raised": "上报预警", "escalated": "预警升级", "unacknowledged": "预警未确认"}


@dataclass(frozen=True)
class Notice:
    alert: Alert
    action: str  # raised | escalated | unacknowledged
    event_id: str
    category: str  # the category's Chinese name ("未分类" when none)
    recipients: list[User]
    at: datetime

    @property
    def title(self) -> str:
        what = ACTIONS_ZH.get(self.action, self.action)
        if self.alert.basis == "same_issue" and self.action == "raised":
            what = "多名用户反映相同问题"
        return f"【{self.alert.level}】{what}:{self.category}"

    @property
    def body(self) -> str:
        a = self.alert
        what = {"count": f"{a.window}内{a.count}条", "same_issue": f"{a.window}内{a.count}位用户反映相同问题",
                "growth": f"{a.window}咨询量{a.count}条,上一周期{a.previous}条"}.get(a.basis, str(a.count))
        return f"规则 {a.rule_id}:{what}。请及时确认并处理(预警 #{a.id})。"

    def payload(self) -> dict:
        a = self.alert
        return {"event_id": self.event_id, "type": f"alert.{self.action}", "at": self.at.isoformat(),
                "alert": {"id": a.id, "rule": a.rule_id, "category_id": a.category_id, "category": self.category,
                          "level": a.level, "status": a.status, "basis": a.basis, "window": a.window,
                          "count": a.count, "previous": a.previous, "raised_at": a.raised_at.isoformat(),
                          "contacts": list(a.contact_ids or [])}}


class Sink(Protocol):
    name: str

    def send(self, session: Session, notice: Notice) -> None: ...


SINKS: dict[str, Sink] = {}


def register(sink: Sink) -> Sink:
    SINKS[sink.name] = sink
    return sink


def recipients(session: Session, roles) -> list[User]:
    return list(session.scalars(select(User).where(User.role.in_(list(roles)), User.is_active.is_(True))
                                .order_by(User.id)))


def dispatch(session: Session, *, alert: Alert, action: str, roles=FIRST_ROLES) -> Notice:
    name = session.scalar(select(Category.name).where(Category.id == alert.category_id)) if alert.category_id \
        else None
    at = alert.escalated_at if action == "escalated" else alert.raised_at
    if action == "unacknowledged":
        at = alert.raised_at
    notice = Notice(alert, action, f"alert-{alert.id}-{action}-{alert.rank}-{alert.stage}", name or "未分类",
                    recipients(session, roles), at or alert.raised_at)
    for sink in SINKS.values():
        sink.send(session, notice)
    return notice


class InApp:
    """kefu notifications, one per recipient and event (Core inserts that skip a (event, user) already told:
    this also runs inside a flush, where the ORM may not add objects)."""

    name = "inapp"

    def send(self, session: Session, notice: Notice) -> None:
        rows = [{"user_id": u.id, "kind": "alert", "title": notice.title, "body": notice.body, "ticket_id": None,
                 "dedupe_key": f"{notice.event_id}:u{u.id}", "created_at": notice.at} for u in notice.recipients]
        if rows:
            upsert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
            session.execute(upsert(Notification).on_conflict_do_nothing(index_elements=["dedupe_key"]), rows)


class Email:
    name = "email"

    def send(self, session: Session, notice: Notice) -> None:
        if not get_settings().smtp_host:
            return
        for user in notice.recipients:
            if user.email:
                _deliver(session, notice, sink=self.name, target=user.email, event_id=f"{notice.event_id}:u{user.id}",
                         payload={"subject": notice.title, "body": notice.body, "name": user.display_name})


class Webhook:
    name = "webhook"

    def send(self, session: Session, notice: Notice) -> None:
        url = get_settings().alert_webhook_url
        if url:
            _deliver(session, notice, sink=self.name, target=url, event_id=notice.event_id, payload=notice.payload())


def _deliver(session: Session, notice: Notice, *, sink: str, target: str, event_id: str, payload: dict) -> None:
    if session.scalar(select(AlertDelivery.id).where(AlertDelivery.event_id == event_id)) is not None:
        return  # this event was handed to this receiver already
    delivery_id = session.scalar(insert(AlertDelivery).values(
        event_id=event_id, alert_id=notice.alert.id, sink=sink, target=target, payload=payload, status="pending",
        attempts=0, created_at=notice.at).returning(AlertDelivery.id))
    timers.schedule(session, kind=DELIVERY, ref_id=delivery_id, due_at=notice.at)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


@timers.handler(DELIVERY)
def send_delivery(session: Session, timer: Timer, now: datetime) -> None:
    """Send one e-mail or webhook notice; a failure raises, and the timer worker retries with backoff."""
    delivery = session.get(AlertDelivery, timer.ref_id)
    if delivery is None or delivery.status != "pending":
        return
    if delivery.sink == "webhook":
        _post(delivery, now)
    elif delivery.sink == "email":
        _mail(delivery)
    delivery.status, delivery.sent_at, delivery.attempts = "sent", now, timer.attempts


def _post(delivery: AlertDelivery, now: datetime) -> None:
    settings = get_settings()
    body = json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True).encode()
    stamp = str(int(now.timestamp()))
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Kefu-Event": delivery.event_id,
               "X-Kefu-Timestamp": stamp, "User-Agent": "kefu-alerts"}
    if settings.alert_webhook_secret:
        headers["X-Kefu-Signature"] = sign(settings.alert_webhook_secret, stamp, body)
    request = urllib.request.Request(delivery.target, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (the configured receiver)
        if not 200 <= response.status < 300:
            raise RuntimeError(f"webhook answered {response.status}")


def _mail(delivery: AlertDelivery) -> None:
    from email.message import EmailMessage
    from email.utils import parseaddr

    from kefu.channels.email.outbound import send

    settings = get_settings()
    msg = EmailMessage()
    msg["Subject"] = delivery.payload["subject"]
    msg["From"] = settings.mail_from
    msg["To"] = delivery.target
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "kefu.local"
    msg["Message-ID"] = f"<{delivery.event_id}@{domain}>"
    msg.set_content(f"{delivery.payload.get('name', '')}:\n\n{delivery.payload['body']}\n")
    send(msg, settings)


@timers.on_give_up(DELIVERY)
def dead_letter(session: Session, timer: Timer, now: datetime) -> None:
    delivery = session.get(AlertDelivery, timer.ref_id)
    if delivery is not None and delivery.status == "pending":
        delivery.status, delivery.attempts = "dead", timer.attempts
        delivery.last_error = scrub_text(timer.last_error or "")[:2000]
        log.error("alert delivery %s (%s) dead after %s attempts", delivery.id, delivery.sink, timer.attempts)


for _sink in (InApp(), Email(), Webhook()):
    register(_sink)
