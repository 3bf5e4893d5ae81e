"""/admin/sla: SLA policies and the calendars they run on (24×7, or business hours with holidays and
调休 make-up working days). Admins only, as ``POST /api/v1/sla/policies`` and ``/sla/calendars``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request
from sqlalchemy import select

from kefu.audit.service import record
from kefu.catalog import service as catalog
from kefu.catalog.models import Category
from kefu.core.deps import Principal, SessionDep
from kefu.core.errors import Conflict, Invalid
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.settings import get_settings
from kefu.sla import calendars
from kefu.sla.models import SlaCalendar, SlaPolicy
from kefu.tickets.models import CHANNELS, COMPLAINT_TYPES, PRIORITIES
from kefu.web.admin import parse_id, run_action
from kefu.web.calendar_input import WEEKDAYS, format_dates, parse_dates, parse_day_hours, week_summary
from kefu.web.pages import render, web_user

router = Router(prefix="/admin/sla")
SlaAdmin = Annotated[Principal, web_user(Perm.sla_write)]
Text = Annotated[str, Form()]
ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo", "UTC")
CALENDAR_FIELDS = ("name", "timezone", "kind", "holidays", "extra_workdays",
                   *(f"hours_{d}" for d in range(7)))


def calendar_defaults() -> dict[str, str]:
    """A new calendar's form: business hours Monday to Friday 09:00-18:00 in the center's zone."""
    values = dict.fromkeys(CALENDAR_FIELDS, "")
    values.update(timezone=get_settings().timezone, kind="business",
                  **{f"hours_{d}": "09:00-18:00" for d in range(5)})
    return values


def _calendar_rows(rows: list[SlaCalendar]) -> list[dict]:
    return [{"c": c, "week": [] if c.always_open else week_summary(c.hours or {}),
             "holidays": format_dates(c.holidays), "extra": format_dates(c.extra_workdays)} for c in rows]


def _sla_page(request, session, me, errors=None, status_code=200, cal: dict | None = None):
    policies = session.scalars(select(SlaPolicy).order_by(SlaPolicy.rank.desc(), SlaPolicy.id)).all()
    rows = session.scalars(select(SlaCalendar).order_by(SlaCalendar.id)).all()
    return render(request, "admin/sla.html", me, status_code=status_code, errors=errors or {},
                  policies=policies, calendars=rows, calendar_rows=_calendar_rows(rows),
                  paths=catalog.category_paths(session), channels=CHANNELS, priorities=PRIORITIES,
                  complaint_types=COMPLAINT_TYPES, cal=cal or calendar_defaults(), weekdays=WEEKDAYS,
                  zones=ZONES)


@router.get("")
def sla_page(request: Request, session: SessionDep, me: SlaAdmin):
    return _sla_page(request, session, me)


def _hours(value: str, field: str) -> float:
    try:
        hours = float(value)
    except ValueError:
        raise Invalid(f"{field} must be a number of hours", field=field) from None
    if not 0 < hours <= 24 * 365:
        raise Invalid(f"{field} must be between 0 and 8760 hours", field=field)
    return hours


@router.post("")
def create_policy(request: Request, session: SessionDep, me: SlaAdmin, name: Text = "",
                  category_id: Text = "", channel: Text = "", priority: Text = "", complaint_type: Text = "",
                  first_response_hours: Text = "", resolution_hours: Text = "", calendar_id: Text = "",
                  rank: Text = "0"):
    def action():
        if not name.strip():
            raise Invalid("the policy needs a name", field="name")
        if session.scalar(select(SlaPolicy.id).where(SlaPolicy.name == name.strip())):
            raise Conflict(f"policy {name.strip()!r} exists", field="name")
        calendar = session.get(SlaCalendar, parse_id(calendar_id) or 0)
        if calendar is None:
            raise Invalid("choose a calendar", field="calendar_id")
        if parse_id(category_id) and session.get(Category, parse_id(category_id)) is None:
            raise Invalid(f"no category {category_id}", field="category_id")
        for value, allowed, field in ((channel, CHANNELS, "channel"), (priority, PRIORITIES, "priority"),
                                      (complaint_type, COMPLAINT_TYPES, "complaint_type")):
            if value and value not in allowed:
                raise Invalid(f"{field} must be one of {', '.join(allowed)}", field=field)
        policy = SlaPolicy(name=name.strip()[:100], category_id=parse_id(category_id), channel=channel or None,
                           priority=priority or None, complaint_type=complaint_type or None,
                           first_response_seconds=_hours(first_response_hours, "first_response_hours") * 3600,
                           resolution_seconds=_hours(resolution_hours, "resolution_hours") * 3600,
                           calendar_id=calendar.id, rank=int(rank) if rank.lstrip("-").isdigit() else 0)
        session.add(policy)
        session.flush()
        record(session, actor=me.actor, action="sla.policy.create", target_type="sla_policy",
               target_id=policy.id, detail={"name": policy.name})

    return run_action(request, session, "/admin/sla", action,
                lambda errors, code: _sla_page(request, session, me, errors, code))


async def calendar_form(request: Request) -> dict[str, str]:
    """The calendar form's fields as strings (a field left out is empty)."""
    form = await request.form()
    return {name: value if isinstance(value := form.get(name, ""), str) else "" for name in CALENDAR_FIELDS}


@router.post("/calendars")
def create_calendar(request: Request, session: SessionDep, me: SlaAdmin,
                    form: Annotated[dict[str, str], Depends(calendar_form)]):
    def action():
        name = form["name"].strip()
        if not name:
            raise Invalid("name must not be empty", field="name")
        if len(name) > 100:
            raise Invalid("name is too long (at most 100 characters)", field="name")
        always = form["kind"] == "always"
        holidays = parse_dates(form["holidays"], "holidays")
        extra = parse_dates(form["extra_workdays"], "extra_workdays")
        if always and (holidays or extra):
            raise Invalid("a 24x7 calendar has no holidays or extra workdays", field="holidays")
        hours = {} if always else {d: w for d in range(7) if (w := parse_day_hours(form[f"hours_{d}"], d))}
        calendars.create_calendar(session, actor=me.actor, name=name,
                                  timezone=form["timezone"].strip() or get_settings().timezone,
                                  always_open=always, hours=hours, holidays=holidays, extra_workdays=extra)

    return run_action(request, session, "/admin/sla#calendars", action,
                lambda errors, code: _sla_page(request, session, me, errors, code, cal=form), form="calendar")
