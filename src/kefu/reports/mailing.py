"""The weekly voice-of-customer report mailed to its subscribers: a list per business line (a user, at the
account's address, or an address), kept by analysts and supervisors (audited). Every Monday at 09:00 center time
a durable timer (``WEEKLY``) queues one mail per subscription (``MAIL``, its own timer: a refused address is
retried alone and never mails the others twice), each carrying last week's report as a PDF, sent through the
outbound SMTP settings of ``kefu.channels.email``. The week is taken from the weekly timer's due time, so a
retry hours later still sends the right week."""

from __future__ import annotations

import logging
import re
import zlib
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kefu.accounts.models import User
from kefu.catalog.models import BusinessLine
from kefu.core.context import Actor
from kefu.core.errors import Invalid, NotFound
from kefu.core.settings import get_settings
from kefu.reports.models import VocSubscription
from kefu.timers import service as timers
from kefu.timers.models import Timer

log = logging.getLogger("kefu.reports.mailing")
WEEKLY, MAIL = "reports.voc_weekly", "reports.voc_mail"
SEND_AT = time(9, 0)
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def next_monday(now: datetime) -> datetime:
    """The next Monday 09:00 center time after ``now``."""
    local = now.astimezone(get_settings().tz)
    due = datetime.combine(local.date() - timedelta(days=local.weekday()), SEND_AT, tzinfo=local.tzinfo)
    return due if due > local else due + timedelta(days=7)


def ensure_scheduled(session: Session, now: datetime) -> None:
    """The weekly timer, set once (a pending one is left alone)."""
    upsert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    session.execute(upsert(Timer).values(kind=WEEKLY, ref_id=0, due_at=next_monday(now), status="pending",
                                         attempts=0).on_conflict_do_nothing(index_elements=["kind", "ref_id"]))


def subscriptions(session: Session, *, line_id: int | None = None) -> list[dict]:
    """The subscribers of a line (of every line without one): ``{id, business_line_id, user_id, name, email}``,
    ``email`` where the mail goes (the account's address for a user)."""
    stmt = (select(VocSubscription.id, VocSubscription.business_line_id, VocSubscription.user_id,
                   VocSubscription.email, User.display_name, User.email)
            .outerjoin(User, User.id == VocSubscription.user_id)
            .order_by(VocSubscription.business_line_id, VocSubscription.id))
    if line_id is not None:
        stmt = stmt.where(VocSubscription.business_line_id == line_id)
    return [{"id": sid, "business_line_id": line, "user_id": uid, "name": name or "",
             "email": email or user_email or ""} for sid, line, uid, email, name, user_email in session.execute(stmt)]


def subscribe(session: Session, *, actor: Actor, line_id: int, user_id: int | None = None,
              email: str | None = None) -> VocSubscription:
    from kefu.audit.service import record

    email = (email or "").strip() or None
    if (user_id is None) == (email is None):
        raise Invalid("give either a user or an e-mail address", field="email")
    if email is not None and (len(email) > 200 or not _EMAIL.match(email)):
        raise Invalid(f"{email!r} is not an e-mail address", field="email")
    if session.get(BusinessLine, line_id) is None:
        raise NotFound(f"no business line {line_id}", field="business_line_id")
    if user_id is not None:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            raise NotFound(f"no active user {user_id}", field="user_id")
        if not user.email:
            raise Invalid(f"{user.username} has no e-mail address", field="user_id")
    same = select(VocSubscription.id).where(VocSubscription.business_line_id == line_id,
                                            VocSubscription.user_id == user_id if user_id is not None
                                            else VocSubscription.email == email)
    if session.scalar(same) is not None:
        raise Invalid("already subscribed", field="email" if email else "user_id")
    sub = VocSubscription(business_line_id=line_id, user_id=user_id, email=email, created_by_id=actor.user_id,
                          created_at=actor.now)
    session.add(sub)
    session.flush()
    record(session, actor=actor, action="reports.voc_subscription.add", target_type="voc_subscription",
           target_id=sub.id, detail={"business_line_id": line_id, "user_id": user_id, "email": email})
    ensure_scheduled(session, actor.now)
    return sub


def unsubscribe(session: Session, *, actor: Actor, subscription_id: int) -> None:
    from kefu.audit.service import record

    sub = session.get(VocSubscription, subscription_id)
    if sub is None:
        raise NotFound(f"no subscription {subscription_id}", field="subscription_id")
    record(session, actor=actor, action="reports.voc_subscription.remove", target_type="voc_subscription",
           target_id=sub.id, detail={"business_line_id": sub.business_line_id, "user_id": sub.user_id,
                                     "email": sub.email})
    timers.cancel(session, kind=MAIL, ref_id=sub.id)
    session.delete(sub)
    session.flush()


@timers.handler(WEEKLY)
def queue_weekly(session: Session, timer: Timer, now: datetime) -> None:
    """Monday 09:00: one mail timer per subscription, and the timer for next Monday."""
    for sub_id in session.scalars(select(VocSubscription.id)):
        timers.schedule(session, kind=MAIL, ref_id=sub_id, due_at=timer.due_at)
    timers.schedule(session, kind=WEEKLY, ref_id=0, due_at=next_monday(max(now, timer.due_at)))


def last_week(due: datetime) -> date:
    """A day of the week before the one ``due`` falls in (center time)."""
    return due.astimezone(get_settings().tz).date() - timedelta(days=7)


@timers.handler(MAIL)
def send_report(session: Session, timer: Timer, now: datetime) -> None:
    """Mail last week's report of the subscription's line (a failure raises: the worker retries with backoff)."""
    from kefu.channels.email.outbound import send
    from kefu.reports import fixes, pdf, voc

    sub = session.get(VocSubscription, timer.ref_id)
    if sub is None:
        return
    user = session.get(User, sub.user_id) if sub.user_id else None
    to = sub.email or (user.email if user is not None and user.is_active else None)
    if not to:
        log.warning("VOC subscription %s not mailed: no address", sub.id)
        return
    day = last_week(timer.due_at)
    report = voc.weekly(session, line_id=sub.business_line_id, day=day)
    body = pdf.render(report, fixes.week_fixes(session, line_id=sub.business_line_id, day=day))
    send(_message(report, body, to, timer.due_at), get_settings())


def _message(report: dict, body: bytes, to: str, due: datetime):
    from email.message import EmailMessage
    from email.utils import format_datetime, parseaddr

    settings = get_settings()
    line, first = report["line"], report["from"]
    msg = EmailMessage()
    msg["Subject"] = f"客户之声周报:{line['name']} {first} 至 {report['to']}"
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Date"] = format_datetime(due)
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "kefu.local"
    msg["Message-ID"] = f"<voc-{line['code']}-{first}-{zlib.crc32(to.encode()):08x}@{domain}>"
    t = report["totals"]
    top = "、".join(r["name"] for r in report["top"]["data"][:3]) or "无"
    msg.set_content(f"{line['name']} {first} 至 {report['to']} 的客户之声周报见附件(PDF)。\n\n"
                    f"呼入量 {t['offered']},评价 {t['rated']} 条,预警 {len(report['alerts'])} 次;"
                    f"问题前三:{top}。\n")
    msg.add_attachment(body, maintype="application", subtype="pdf", filename=f"voc-{line['code']}-{first}.pdf")
    return msg
