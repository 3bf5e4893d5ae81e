"""What the planning page reads from the database: the queues with inbound contacts, and a queue's forecast
for one week made from the history before it (with what actually came on the days already over)."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.contacts.models import Contact
from kefu.wfm.forecast_service import QueueForecast, attach_actuals, forecast_queue
from kefu.wfm.forecast_source import NO_QUEUE, histories_from_contacts, local_midnight

HISTORY_DAYS = 182


def queues(session: Session, *, today: date, tz: ZoneInfo, history_days: int = HISTORY_DAYS) -> list[str]:
    """Queues that had inbound contacts in the history window, by name."""
    rows = session.scalars(select(Contact.queue).distinct().where(
        Contact.direction == "inbound", Contact.offered_at >= local_midnight(today - timedelta(days=history_days), tz)))
    return sorted(q or NO_QUEUE for q in rows)


def week_forecast(session: Session, *, queue: str, monday: date, today: date, tz: ZoneInfo,
                  interval_minutes: int = 30, history_days: int = HISTORY_DAYS) -> QueueForecast:
    """The forecast of ``queue`` for the seven days from ``monday``, from the history up to the earlier of
    ``monday`` and ``today``; ``actual`` filled for days before ``today``. ``ValueError`` when the queue has
    no usable history."""
    until = min(monday, today)
    history = histories_from_contacts(session, first=until - timedelta(days=history_days), until=until, tz=tz,
                                      queues=[queue], slot_minutes=interval_minutes).get(queue)
    if history is None:
        raise ValueError(f"queue: no inbound contacts of {queue} before {until.isoformat()}")
    result = forecast_queue(history, horizon_days=7, start=monday)
    if monday < today:
        actual = histories_from_contacts(session, first=monday, until=min(today, monday + timedelta(days=7)), tz=tz,
                                         queues=[queue], slot_minutes=interval_minutes)
        attach_actuals([result], actual, before=today)
    return result
