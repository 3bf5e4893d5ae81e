"""The supervisor wallboard's figures: who is waiting now, the agents' state, today's KPIs from the rollups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kefu.chat.models import AgentPresence, Chat
from kefu.core.settings import get_settings
from kefu.reports import kpis, queries
from kefu.reports.queries import Period


def open_alerts(session: Session) -> int | None:
    """How many alerts are open, for the wallboard.

    WIRE-ME: the complaint-spike alerts (issue 5, ``kefu.alerts``) were built in parallel; until they are merged
    this returns None and the wallboard shows "—", never a made-up number. Replace the body with the alerts
    module's count of unresolved alerts."""
    return None


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
