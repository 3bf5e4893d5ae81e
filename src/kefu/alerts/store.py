"""Stored alerts: the rules in force, raising and escalating (once, whichever worker), acknowledging,
resolving, and the unacknowledged-alert timer that goes up the roles.

Raising is race-free without locks held across workers: a new alert is an ``INSERT … ON CONFLICT (open_key)
DO NOTHING`` (the loser of a race inserts nothing and escalates instead), an escalation an ``UPDATE … WHERE
rank < new rank`` (only one worker's update changes the row).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kefu.alerts.models import Alert, AlertActivity, AlertRuleSet
from kefu.alerts.rules import LEVELS, RANK, Rule, RulesError, RuleSet, load_rules, parse_rules
from kefu.core.context import Actor
from kefu.core.errors import Conflict, Invalid, NotFound
from kefu.core.settings import get_settings
from kefu.timers import service as timers
from kefu.timers.models import Timer

log = logging.getLogger("kefu.alerts")
UNACKED = "alert_unacked"
MAX_SOURCE = 200_000  # characters of a rules file saved through the API or the page


# ---- the rules in force
@functools.lru_cache(maxsize=8)
def _parsed(version: int, source: str) -> RuleSet:
    return parse_rules(source)


@functools.lru_cache(maxsize=4)
def _from_file(path: str | None, mtime: float) -> RuleSet:
    return load_rules(path)


def file_rules() -> RuleSet:
    path = get_settings().alert_rules_file
    mtime = Path(path).stat().st_mtime if path and Path(path).exists() else 0.0
    return _from_file(path, mtime)


def current_rules(session: Session) -> RuleSet:
    """The rules saved through the API (one indexed read per call), else the rules file."""
    row = session.execute(select(AlertRuleSet.version, AlertRuleSet.source).order_by(AlertRuleSet.id).limit(1)).first()
    if row is None:
        return file_rules()
    return _parsed(row.version, row.source)


def save_rules(session: Session, *, actor: Actor, source: str) -> RuleSet:
    """Validate and store new rules; ``Invalid`` names the bad field. Counts at a new resolution are
    rebuilt from the stored contacts."""
    if len(source) > MAX_SOURCE:
        raise Invalid(f"the rules file is longer than {MAX_SOURCE:,} characters", field="source")
    try:
        rules = parse_rules(source)
    except RulesError as exc:
        raise Invalid(str(exc), field="source") from None
    row = session.scalar(select(AlertRuleSet).order_by(AlertRuleSet.id).limit(1).with_for_update())
    before = current_rules(session)
    if row is None:
        row = AlertRuleSet(version=1, source=source, updated_by_id=actor.user_id, updated_at=actor.now)
        session.add(row)
    else:
        row.version, row.source, row.updated_by_id, row.updated_at = row.version + 1, source, actor.user_id, actor.now
    session.flush()
    from kefu.alerts.counts import grains_of, rebuild

    new_grains = grains_of(rules) - grains_of(before)
    if new_grains:
        rebuild(session, rules=rules, now=actor.now, grains=new_grains)
    from kefu.audit.service import record

    record(session, actor=actor, action="alerts.rules.save", target_type="alert_rules", target_id=row.version,
           detail={"rules": [r.id for r in rules.rules]})
    return rules


# ---- raising
@dataclass(frozen=True)
class Finding:
    """What an evaluation found for one rule and category: the level it reaches and why."""

    rule: Rule
    category_id: int | None
    level: str
    at: datetime
    basis: str
    window: str
    count: int
    previous: int | None = None
    contact_ids: tuple[int, ...] = ()


def open_key(rule_id: str, category_id: int | None) -> str:
    return f"{rule_id}:{category_id if category_id is not None else '-'}"


def open_ranks(session: Session, keys: list[str]) -> dict[str, int]:
    if not keys:
        return {}
    return dict(session.execute(select(Alert.open_key, Alert.rank).where(Alert.open_key.in_(keys))).all())


def news(session: Session, findings: list[Finding]) -> list[Finding]:
    """The findings above their open alert's level (or with none open): one read."""
    if not findings:
        return findings
    ranks = open_ranks(session, [open_key(f.rule.id, f.category_id) for f in findings])
    return [f for f in findings if RANK[f.level] > ranks.get(open_key(f.rule.id, f.category_id), -1)]


def apply(session: Session, findings: list[Finding]) -> list[tuple[Alert, str]]:
    """Raise or escalate what the findings call for; ``[(alert, 'raised' | 'escalated')]``, notified."""
    if not findings:
        return []
    ranks = open_ranks(session, [open_key(f.rule.id, f.category_id) for f in findings])
    done = []
    for f in findings:
        key = open_key(f.rule.id, f.category_id)
        if key in ranks and RANK[f.level] <= ranks[key]:
            continue  # nothing new: the open alert is at this level or above
        result = _escalate(session, key, f) if key in ranks else _raise(session, key, f)
        if result is not None:
            ranks[key] = RANK[f.level]
            done.append(result)
    if done:
        from kefu.alerts.sinks import dispatch

        for alert, action in done:
            dispatch(session, alert=alert, action=action)
    return done


def _raise(session: Session, key: str, f: Finding) -> tuple[Alert, str] | None:
    last = session.scalar(select(func.max(Alert.resolved_at)).where(
        Alert.rule_id == f.rule.id, Alert.category_id.is_(None) if f.category_id is None
        else Alert.category_id == f.category_id))
    if last is not None and f.at < last + timedelta(seconds=f.rule.cooldown):
        return None  # resolved by a person within the cool-down
    upsert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    values = {"rule_id": f.rule.id, "category_id": f.category_id, "open_key": key, "level": f.level,
              "rank": RANK[f.level], "status": "open", "basis": f.basis, "window": f.window, "count": f.count,
              "previous": f.previous, "contact_ids": list(f.contact_ids), "stage": 0, "raised_at": f.at}
    new_id = session.scalar(upsert(Alert).values(**values).on_conflict_do_nothing(index_elements=["open_key"])
                            .returning(Alert.id))
    if new_id is None:  # another worker raised it a moment ago: escalate that one if we know more
        return _escalate(session, key, f)
    alert = session.get(Alert, new_id)
    _activity(session, alert, "raised", f.at, detail=f.basis)
    timers.schedule(session, kind=UNACKED, ref_id=alert.id,
                    due_at=f.at + timedelta(minutes=get_settings().alert_ack_minutes))
    return alert, "raised"


def _escalate(session: Session, key: str, f: Finding) -> tuple[Alert, str] | None:
    changed = session.execute(
        update(Alert).where(Alert.open_key == key, Alert.rank < RANK[f.level])
        .values(level=f.level, rank=RANK[f.level], basis=f.basis, window=f.window, count=f.count,
                previous=f.previous, contact_ids=list(f.contact_ids), escalated_at=f.at)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        return None
    alert = session.scalar(select(Alert).where(Alert.open_key == key))
    session.refresh(alert)
    _activity(session, alert, "escalated", f.at, detail=f.basis)
    return alert, "escalated"


def _activity(session: Session, alert: Alert, action: str, at: datetime, *, actor_id: int | None = None,
              detail: str = "") -> None:
    """One history row (a Core insert: this also runs inside a flush, where the ORM may not add objects)."""
    session.execute(insert(AlertActivity).values(alert_id=alert.id, at=at, action=action, level=alert.level,
                                                 count=alert.count, window=alert.window, actor_id=actor_id,
                                                 detail=detail))


# ---- people
def get_alert(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id}", field="alert_id")
    return alert


def acknowledge(session: Session, *, actor: Actor, alert: Alert, note: str | None = None) -> Alert:
    if alert.status == "resolved":
        raise Conflict("the alert is already resolved", field="status")
    if alert.status == "open":
        alert.status, alert.acknowledged_at, alert.acknowledged_by_id = "acknowledged", actor.now, actor.user_id
        timers.cancel(session, kind=UNACKED, ref_id=alert.id)
        _activity(session, alert, "acknowledged", actor.now, actor_id=actor.user_id, detail=note or "")
        _audit(session, actor, "alerts.acknowledge", alert)
    return alert


def resolve(session: Session, *, actor: Actor, alert: Alert, note: str | None = None) -> Alert:
    if alert.status == "resolved":
        raise Conflict("the alert is already resolved", field="status")
    alert.status, alert.resolved_at, alert.resolved_by_id, alert.open_key = "resolved", actor.now, actor.user_id, None
    if note:
        alert.note = note
    timers.cancel(session, kind=UNACKED, ref_id=alert.id)
    _activity(session, alert, "resolved", actor.now, actor_id=actor.user_id, detail=note or "")
    _audit(session, actor, "alerts.resolve", alert)
    return alert


def _audit(session: Session, actor: Actor, action: str, alert: Alert) -> None:
    from kefu.audit.service import record

    record(session, actor=actor, action=action, target_type="alert", target_id=alert.id,
           detail={"rule": alert.rule_id, "level": alert.level})


def escalation_roles() -> list[str]:
    return [r.strip() for r in get_settings().alert_escalation_roles.split(",") if r.strip()]


@timers.handler(UNACKED)
def unacknowledged(session: Session, timer: Timer, now: datetime) -> None:
    """Not acknowledged in time: tell the next role, and set the timer for the one after."""
    alert = session.get(Alert, timer.ref_id)
    if alert is None or alert.status != "open":
        return
    roles = escalation_roles()
    if alert.stage >= len(roles):
        return
    role = roles[alert.stage]
    alert.stage += 1
    _activity(session, alert, "unacknowledged", now, detail=role)
    from kefu.alerts.sinks import dispatch

    dispatch(session, alert=alert, action="unacknowledged", roles=[role])
    if alert.stage < len(roles):
        timers.schedule(session, kind=UNACKED, ref_id=alert.id,
                        due_at=now + timedelta(minutes=get_settings().alert_ack_minutes))


def level_name(rank: int) -> str:
    return LEVELS[rank]
