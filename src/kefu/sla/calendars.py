"""Creating SLA calendars (24×7 or business hours with holidays and 调休 make-up working days).

Used by ``POST /api/v1/sla/calendars`` and the admin SLA page alike.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.audit.service import record
from kefu.core.context import Actor
from kefu.core.errors import Conflict, Invalid
from kefu.sla.models import SlaCalendar
from kefu.sla.service import calendar_of


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(f"unknown time zone {name!r}", field="timezone") from exc
    return name


def create_calendar(session: Session, *, actor: Actor, name: str, timezone: str, always_open: bool,
                    hours: dict[int, list], holidays: list[date], extra_workdays: list[date]) -> SlaCalendar:
    """A new calendar that policies can pick. A business-hours one must work on some weekday: with no
    working time at all, no due time could ever be computed on it."""
    if session.scalar(select(SlaCalendar.id).where(SlaCalendar.name == name)):
        raise Conflict(f"calendar {name!r} exists", field="name")
    check_timezone(timezone)
    if not always_open and not any(hours.values()):
        raise Invalid("a business-hours calendar needs working hours on at least one weekday", field="hours")
    row = SlaCalendar(name=name, timezone=timezone, always_open=always_open,
                      hours={str(k): [list(w) for w in v] for k, v in hours.items()},
                      holidays=[d.isoformat() for d in holidays],
                      extra_workdays=[d.isoformat() for d in extra_workdays])
    try:
        calendar_of(row).validate()
    except ValueError as exc:
        raise Invalid(str(exc), field="extra_workdays" if "extra workday" in str(exc) else "hours") from exc
    session.add(row)
    session.flush()
    record(session, actor=actor, action="sla.calendar.create", target_type="sla_calendar", target_id=row.id,
           detail={"name": row.name})
    return row
