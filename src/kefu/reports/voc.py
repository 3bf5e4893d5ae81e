"""The weekly voice-of-customer report of one business line (客户之声周报): the week's KPIs and satisfaction,
TOP10 reasons against the week before, and notable verbatims (the lowest-rated comments, phones and ID numbers
masked), and the complaint-spike alerts (上报预警) raised that week in the line's categories."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.alerts.models import Alert
from kefu.catalog.models import BusinessLine, Category
from kefu.contacts.models import Contact
from kefu.core.errors import NotFound
from kefu.core.pii import scrub_text
from kefu.reports import kpis, queries, service
from kefu.reports.kpis import LEVELS
from kefu.satisfaction.models import SatisfactionRating


def week_of(day: date) -> tuple[date, date]:
    """Monday … Sunday of the week holding ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def weekly(session: Session, *, line_id: int, day: date, verbatims: int = 10) -> dict:
    line = session.get(BusinessLine, line_id)
    if line is None:
        raise NotFound(f"no business line {line_id}", field="line")
    first, last = week_of(day)
    p = service.period(first, last)
    totals = kpis.rates(queries.totals(session, p, {"business_line": line_id}))
    top = service.top_reasons(session, p, limit=10, business_line=line_id)
    rows = session.execute(
        select(SatisfactionRating.level, SatisfactionRating.reason, SatisfactionRating.comment, Category.name,
               Contact.channel)
        .join(Contact, Contact.id == SatisfactionRating.contact_id)
        .outerjoin(Category, Category.id == Contact.category_id)
        .where(Contact.business_line_id == line_id, SatisfactionRating.comment.is_not(None),
               SatisfactionRating.rated_at >= p.start, SatisfactionRating.rated_at < p.end)
        .order_by(SatisfactionRating.level, SatisfactionRating.rated_at.desc()).limit(verbatims)).all()
    quotes = [{"level": level, "level_name": LEVELS[level], "reason": reason, "comment": scrub_text(comment),
               "category": cat, "channel": channel} for level, reason, comment, cat, channel in rows]
    return {"line": {"id": line.id, "code": line.code, "name": line.name}, "from": first.isoformat(),
            "to": last.isoformat(), "totals": totals, "top": top, "verbatims": quotes,
            "alerts": _alerts(session, line_id, p.start, p.end)}


def _alerts(session: Session, line_id: int, start, end) -> list[dict]:
    """The week's spikes in this line's categories, the highest level first."""
    rows = session.execute(
        select(Alert.rule_id, Alert.level, Alert.window, Alert.count, Alert.raised_at, Alert.status, Category.name)
        .join(Category, Category.id == Alert.category_id)
        .where(Category.business_line_id == line_id, Alert.raised_at >= start, Alert.raised_at < end)
        .order_by(Alert.rank.desc(), Alert.raised_at)).all()
    return [{"rule": rule, "level": level, "window": window, "count": count, "raised_at": raised.isoformat(),
             "status": status, "category": name} for rule, level, window, count, raised, status, name in rows]
