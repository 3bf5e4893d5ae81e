"""The KPI report and the TOP10 reasons, as the API, the CLI and the pages show them."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kefu.contacts.models import Contact
from kefu.core.errors import Invalid
from kefu.core.settings import get_settings
from kefu.reports import kpis, queries
from kefu.reports.models import GRAIN_DAY_AGENT, GRAIN_DAY_CATEGORY, KpiRollup
from kefu.reports.occupancy import occupancy
from kefu.reports.queries import Period
from kefu.reports.targets import BENCHMARKS, deviations, parse_targets
from kefu.tickets.models import Ticket

FILTERS = ("channel", "queue", "category", "business_line", "agent", "team")


def period(first, last) -> Period:
    return Period(first, last, get_settings().tz)


def kpi_report(session: Session, p: Period, *, group_by: str | None = None, filters: dict | None = None,
               extra: bool = False, now: datetime | None = None) -> dict:
    """``{from, to, totals, deviations, benchmarks}``, plus ``rows`` when grouped. ``extra`` adds the KPIs
    read from raw rows (first-contact resolution, 72 h resolution rate, contacts per agent per day)."""
    if group_by is not None and group_by not in queries.GROUPS:
        raise Invalid(f"group_by must be one of {', '.join(queries.GROUPS)}", field="group_by")
    filters = {k: v for k, v in (filters or {}).items() if v is not None}
    now = now or datetime.now(p.tz)
    totals = kpis.rates(queries.totals(session, p, filters))
    totals["occupancy"], per_group = occupancy(session, p, group_by=group_by, filters=filters, now=now)
    if extra:
        totals |= extra_kpis(session, p, now=now)
    out = {"from": p.first.isoformat(), "to": p.last.isoformat(), "group_by": group_by, "totals": totals,
           "deviations": deviations(totals, parse_targets(get_settings().kpi_targets)),
           "benchmarks": BENCHMARKS, "thresholds": _thresholds()}
    if group_by:
        out["rows"] = _with_occupancy(queries.kpi_rows(session, p, group_by, filters), per_group, group_by)
    return out


def _with_occupancy(rows: list[dict], per_group: dict, group_by: str) -> list[dict]:
    """Each row with its occupancy; a time bucket with logged-in time but no contacts gets a row too."""
    out = [r | {"occupancy": per_group.get(r["key"])} for r in rows]
    if group_by in queries.TIME_BUCKETS:
        have = {r["key"] for r in rows}
        for key in per_group.keys() - have:
            start = datetime.fromisoformat(key)
            out.append({"key": key, "label": queries.time_label(start, group_by), **kpis.rates(kpis.Tally()),
                        "occupancy": per_group[key]})
        out.sort(key=lambda r: r["key"])
    return out


def _thresholds() -> dict:
    s = get_settings()
    return {"service_level_seconds": s.service_level_seconds, "short_abandon_seconds": s.short_abandon_seconds}


def extra_kpis(session: Session, p: Period, *, now: datetime | None) -> dict:
    return {"fcr": fcr(session, p), "resolution_72h_rate": resolution_72h(session, p, now=now),
            "contacts_per_agent_day": per_agent_day(session, p)}


def fcr(session: Session, p: Period) -> float | None:
    """First-contact resolution from raw contacts: the period's answered contacts and the 7 days after."""
    rows = session.execute(select(Contact.customer_id, Contact.category_id, Contact.offered_at, Contact.outcome)
                           .where(Contact.offered_at >= p.start,
                                  Contact.offered_at < p.end + timedelta(days=kpis.FCR_DAYS))).all()
    touches = [kpis.Touch(c, cat, at, outcome == "answered") for c, cat, at, outcome in rows]
    return kpis.first_contact_resolution(touches, start=p.start, end=p.end)


def resolution_72h(session: Session, p: Period, *, now: datetime | None) -> float | None:
    rows = session.execute(select(Ticket.created_at, Ticket.resolved_at)
                           .where(Ticket.created_at >= p.start, Ticket.created_at < p.end)).all()
    return kpis.resolution_rate(rows, now=now or datetime.now(p.tz))


def per_agent_day(session: Session, p: Period) -> float | None:
    R = KpiRollup
    rows = session.execute(select(R.agent_id, R.interval_start, R.answered).where(
        R.grain == GRAIN_DAY_AGENT, R.agent_id != 0, R.answered > 0, R.interval_start >= p.start,
        R.interval_start < p.end)).all()
    handled: dict = defaultdict(int)
    for agent, start, n in rows:
        handled[(agent, start.astimezone(p.tz).date())] += n
    return kpis.contacts_per_agent_day(handled)


# -- TOP10 ---------------------------------------------------------------------
def _by_category(session: Session, p: Period, line: int | None) -> dict[int, int]:
    R = KpiRollup
    stmt = (select(R.category_id, func.sum(R.contacts)).where(
        R.grain == GRAIN_DAY_CATEGORY, R.category_id != 0, R.interval_start >= p.start, R.interval_start < p.end)
        .group_by(R.category_id))
    if line:
        stmt = stmt.where(R.business_line_id == line)
    return {cid: int(n) for cid, n in session.execute(stmt)}


def top_reasons(session: Session, p: Period, *, limit: int = 10, business_line: int | None = None) -> dict:
    """The ``limit`` categories with most contacts in the period, each with the previous period of the same
    length: ``{rank, category_id, name, count, share, previous, change, change_rate}``."""
    now, before = _by_category(session, p, business_line), _by_category(session, p.previous(), business_line)
    total = sum(now.values())
    top = sorted(now.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    names = queries.labels(session, "category", [cid for cid, _ in top])
    rows = []
    for rank, (cid, n) in enumerate(top, 1):
        prev = before.get(cid, 0)
        rows.append({"rank": rank, "category_id": cid, "name": names.get(cid, str(cid)), "count": n,
                     "share": n / total if total else None, "previous": prev, "change": n - prev,
                     "change_rate": (n - prev) / prev if prev else None})
    prev_period = p.previous()
    return {"from": p.first.isoformat(), "to": p.last.isoformat(), "previous_from": prev_period.first.isoformat(),
            "previous_to": prev_period.last.isoformat(), "total": total, "data": rows, "count": len(rows)}
