"""Key-launch tracking (重点项目上线用户跟踪): the contacts about each launch, and a daily digest of them.

A ``digest`` rule lists launches (name, start, end, categories and/or keywords). As contacts arrive, one about
a launch running then (its category is one of the launch's, by code or name, or the customer's words hold one
of its keywords) is kept in ``alert_launch_feedback`` with its words, PII masked. Each day at the rule's
``send_at`` (the center's time) the ``alerts_digest`` timer sends every running launch's last 24 hours to the
team leaders and supervisors: in-app, and by e-mail when SMTP is set (the alert deliveries' timer, retried and
dead-lettered like the others).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kefu.alerts.models import AlertDelivery, LaunchFeedback
from kefu.alerts.rules import Launch, Rule, RuleSet
from kefu.catalog.models import Category
from kefu.contacts.events import ContactFact
from kefu.core.pii import scrub_text
from kefu.core.settings import get_settings
from kefu.notifications.models import Notification
from kefu.timers import service as timers
from kefu.timers.models import Timer

DIGEST = "alerts_digest"
EXCERPTS = 20


def digest_rules(rules: RuleSet) -> list[Rule]:
    return [r for r in rules.of_kind("digest") if r.launches]


def _running(launch: Launch, at: datetime) -> bool:
    start = launch.start if launch.start.tzinfo else launch.start.replace(tzinfo=get_settings().tz)
    end = launch.end if launch.end.tzinfo else launch.end.replace(tzinfo=get_settings().tz)
    return start <= at <= end


def collect(session: Session, rules: RuleSet, facts: Sequence[ContactFact]) -> None:
    """Keep the batch's contacts about a running launch (Core inserts: this may run inside a flush)."""
    launches = [launch for rule in digest_rules(rules) for launch in rule.launches]
    if not launches:
        return
    ids = {f.category_id for f in facts if f.category_id is not None}
    names = {cid: (code, name) for cid, code, name in session.execute(
        select(Category.id, Category.code, Category.name).where(Category.id.in_(ids)))} if ids else {}
    rows = []
    for f in facts:
        code_name = names.get(f.category_id, ())
        for launch in launches:
            if not _running(launch, f.offered_at):
                continue
            by_category = any(c in launch.categories for c in code_name)
            by_word = bool(f.text) and any(w and w in f.text for w in launch.keywords)
            if by_category or by_word:
                rows.append({"launch": launch.name, "at": f.offered_at, "contact_id": f.id,
                             "category_id": f.category_id, "excerpt": scrub_text(f.text or "")[:200]})
    if rows:
        session.execute(insert(LaunchFeedback), rows)


def next_send(rule: Rule, now: datetime) -> datetime:
    tz = get_settings().tz
    local = now.astimezone(tz)
    due = local.replace(hour=rule.send_at.hour, minute=rule.send_at.minute, second=0, microsecond=0)
    if due <= local:
        due += timedelta(days=1)
    return due


def ensure_scheduled(session: Session, rules: RuleSet, now: datetime) -> None:
    due = [next_send(r, now) for r in digest_rules(rules)]
    if not due:
        return
    upsert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    session.execute(upsert(Timer).values(kind=DIGEST, ref_id=0, due_at=min(due), status="pending", attempts=0)
                    .on_conflict_do_nothing(index_elements=["kind", "ref_id"]))


def compose(session: Session, launch: Launch, now: datetime) -> tuple[str, str, int]:
    """(subject, body, contacts) of one launch's last 24 hours."""
    rows = session.execute(select(LaunchFeedback.category_id, LaunchFeedback.excerpt, LaunchFeedback.contact_id)
                           .where(LaunchFeedback.launch == launch.name, LaunchFeedback.at > now - timedelta(days=1),
                                  LaunchFeedback.at <= now).order_by(LaunchFeedback.at)).all()
    names = dict(session.execute(select(Category.id, Category.name)).all())
    by_category = Counter(names.get(cid, "未分类") for cid, _, _ in rows)
    day = now.astimezone(get_settings().tz).date().isoformat()
    lines = [f"重点项目「{launch.name}」{day} 用户反馈共 {len(rows)} 条。", ""]
    lines += [f"- {name}: {n} 条" for name, n in by_category.most_common()]
    quoted = [(cid, text) for _, text, cid in rows if text][-EXCERPTS:]
    if quoted:
        lines += ["", f"用户原话(最近 {len(quoted)} 条):"]
        lines += [f"  #{cid} {text}" for cid, text in quoted]
    return f"【一级】重点项目上线反馈日报:{launch.name} {day}", "\n".join(lines), len(rows)


@timers.handler(DIGEST)
def send_digests(session: Session, timer: Timer, now: datetime) -> None:
    from kefu.alerts.sinks import FIRST_ROLES, recipients
    from kefu.alerts.store import current_rules

    rules = current_rules(session)
    people = recipients(session, FIRST_ROLES)
    day = now.astimezone(get_settings().tz).date().isoformat()
    for rule in digest_rules(rules):
        for launch in rule.launches:
            if not (_running(launch, now) or _running(launch, now - timedelta(days=1))):
                continue
            subject, body, _count = compose(session, launch, now)
            key = f"digest-{rule.id}-{launch.name}-{day}"
            _tell(session, people, subject, body, key, now)
    ensure_next(session, rules, now)


def ensure_next(session: Session, rules: RuleSet, now: datetime) -> None:
    due = [next_send(r, now + timedelta(minutes=1)) for r in digest_rules(rules)]
    if due:
        timers.schedule(session, kind=DIGEST, ref_id=0, due_at=min(due))


def _tell(session: Session, people, subject: str, body: str, key: str, now: datetime) -> None:
    upsert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    rows = [{"user_id": u.id, "kind": "alert_digest", "title": subject[:200], "body": body, "ticket_id": None,
             "dedupe_key": f"{key}:u{u.id}"[:120], "created_at": now} for u in people]
    if rows:
        session.execute(upsert(Notification).on_conflict_do_nothing(index_elements=["dedupe_key"]), rows)
    if not get_settings().smtp_host:
        return
    from kefu.alerts.sinks import DELIVERY

    for u in people:
        event_id = f"{key}:u{u.id}"[:80]
        if not u.email or session.scalar(select(AlertDelivery.id).where(AlertDelivery.event_id == event_id)):
            continue
        delivery_id = session.scalar(insert(AlertDelivery).values(
            event_id=event_id, alert_id=None, sink="email", target=u.email, status="pending", attempts=0,
            payload={"subject": subject, "body": body, "name": u.display_name}, created_at=now)
            .returning(AlertDelivery.id))
        timers.schedule(session, kind=DELIVERY, ref_id=delivery_id, due_at=now)
