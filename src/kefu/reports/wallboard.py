"""The supervisor wallboard's figures: who is waiting now, the agents' state, today's KPIs from the rollups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kefu.alerts.models import Alert
from kefu.chat.models import AgentPresence, Chat
from kefu.core.settings import get_settings
from kefu.reports import kpis, queries
from kefu.reports.queries import Period


def open_alerts(session: Session) -> int:
    """How many complaint-spike alerts (``kefu.alerts``) are not yet resolved: open or acknowledged."""
    return session.scalar(select(func.count()).select_from(Alert).where(Alert.resolved_at.is_(None))) or 0


def snapshot(session: Session, *, now: datetime) -> dict:
    tz = get_settings().tz
    waiting, oldest = session.execute(select(func.count(), func.min(Chat.waiting_since))
                                      .where(Chat.status == "waiting")).one()
    active = dict(session.execute(select(Chat.agent_id, func.count()).where(Chat.status == "active")
                                  .group_by(Chat.agent_id)).all())
    available = busy = away = 0
    for user_id, status in session.execute(select(AgentPresence.user_id, AgentPresence.status)
                                           .where(AgentPresence.status != "offline")):
        if active.get(user_id):
            busy += 1
        elif status == "ready":
            available += 1
        else:
            away += 1
    today = now.astimezone(tz).date()
    p = Period(today, today, tz)
    k = kpis.rates(queries.totals(session, p))
    series = queries.by_time(session, p, "interval")
    return {"now": now.isoformat(), "waiting": waiting, "longest_wait_seconds": (
        int((now - oldest).total_seconds()) if oldest else 0), "agents_available": available,
        "agents_busy": busy, "agents_away": away, "today": k, "open_alerts": open_alerts(session),
        "intervals": [{"start": s.strftime("%H:%M"), "offered": t.offered, "answered": t.answered}
                      for s, t in series.items()]}
