"""Reading KPIs from the rollups: a period in the center's time zone, optionally grouped by a dimension
(channel, queue, category, business line, agent, team) or by time (30-minute interval, day, week, month).

Each query reads the coarsest rollup grain that holds its dimensions and sums the measures in the database
(``GROUP BY`` the dimension and, for time buckets, the interval start); day/week/month buckets are formed in
the center's time zone from those few interval sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kefu.accounts.models import Team, User
from kefu.catalog.models import BusinessLine, Category
from kefu.core.errors import Invalid
from kefu.reports.kpis import MEASURES, Tally, rates
from kefu.reports.models import GRAIN_AGENT, GRAIN_AGENT_CHANNEL, GRAIN_CATEGORY, GRAIN_CHANNEL, KpiRollup

R = KpiRollup
DIMENSIONS = {"channel": R.channel, "queue": R.queue, "category": R.category_id, "business_line": R.business_line_id,
              "agent": R.agent_id, "team": User.team_id}
TIME_BUCKETS = ("interval", "day", "week", "month")
GROUPS = tuple(DIMENSIONS) + TIME_BUCKETS


@dataclass(frozen=True)
class Period:
    """[start, end) from two dates in the center's time zone (``to`` inclusive)."""

    first: date
    last: date
    tz: ZoneInfo

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise Invalid("to is before from", field="to")
        if (self.last - self.first).days > 400:
            raise Invalid("at most 400 days at a time", field="to")

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), self.tz)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), self.tz)

    def previous(self) -> Period:
        n = (self.last - self.first).days + 1
        return Period(self.first - timedelta(days=n), self.first - timedelta(days=1), self.tz)


def grain_for(dims: set[str]) -> int:
    if dims & {"agent", "team"}:
        return GRAIN_AGENT if dims & {"queue", "category", "business_line"} else GRAIN_AGENT_CHANNEL
    if dims & {"queue", "category", "business_line"}:
        return GRAIN_CATEGORY
    return GRAIN_CHANNEL


def _sums():
    return [func.coalesce(func.sum(getattr(R, m)), 0).label(m) for m in MEASURES]


_N = len(MEASURES)


def _tally(row) -> Tally:
    """The measures are a row's last columns (``_sums()`` comes last in every query)."""
    return Tally(*map(int, tuple(row)[-_N:]))


def _base(period: Period, dims: set[str], filters: dict):
    stmt = select().select_from(R).where(R.grain == grain_for(dims | set(filters)), R.interval_start >= period.start,
                                         R.interval_start < period.end)
    if "team" in dims or "team" in filters:
        stmt = stmt.outerjoin(User, User.id == R.agent_id)
    for name, value in filters.items():
        stmt = stmt.where(DIMENSIONS[name] == value)
    return stmt


def totals(session: Session, period: Period, filters: dict | None = None) -> Tally:
    row = session.execute(_base(period, set(), filters or {}).add_columns(*_sums())).one()
    return _tally(row)


def by_dimension(session: Session, period: Period, dim: str, filters: dict | None = None) -> dict:
    col = DIMENSIONS[dim]
    stmt = _base(period, {dim}, filters or {}).add_columns(col.label("key"), *_sums()).group_by(col)
    return {row[0]: _tally(row) for row in session.execute(stmt)}


def by_time(session: Session, period: Period, bucket: str, filters: dict | None = None) -> dict:
    """Tallies per time bucket (its start, in the center's time zone), in order."""
    stmt = (_base(period, set(), filters or {}).add_columns(R.interval_start.label("key"), *_sums())
            .group_by(R.interval_start))
    out: dict[datetime, Tally] = {}
    for row in session.execute(stmt):
        start = _bucket(row[0].astimezone(period.tz), bucket)
        out.setdefault(start, Tally()).add(_tally(row))
    return dict(sorted(out.items()))


def _bucket(local: datetime, bucket: str) -> datetime:
    if bucket == "interval":
        return local
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if bucket == "day":
        return day
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def labels(session: Session, dim: str, keys) -> dict:
    """Display names of a dimension's keys (Chinese names of categories, lines, agents, teams)."""
    keys = [k for k in keys if k]
    model = {"category": (Category, Category.name), "business_line": (BusinessLine, BusinessLine.name),
             "agent": (User, User.display_name), "team": (Team, Team.name)}.get(dim)
    if model is None or not keys:
        return {k: k for k in keys}
    table, name = model
    return dict(session.execute(select(table.id, name).where(table.id.in_(keys))).all())


def kpi_rows(session: Session, period: Period, group_by: str | None, filters: dict | None = None) -> list[dict]:
    """One row per group: ``{key, label, **KPIs}``."""
    if group_by in TIME_BUCKETS:
        return [{"key": k.isoformat(), "label": time_label(k, group_by), **rates(t)}
                for k, t in by_time(session, period, group_by, filters).items()]
    groups = by_dimension(session, period, group_by, filters)
    names = labels(session, group_by, groups)
    rows = [{"key": k, "label": names.get(k) or _none_label(group_by, k), **rates(t)} for k, t in groups.items()]
    return sorted(rows, key=lambda r: -r["contacts"])


def _none_label(dim: str, key) -> str:
    return key if isinstance(key, str) and key else {"agent": "未分配", "team": "无班组"}.get(dim, "未分类")


def time_label(start: datetime, bucket: str) -> str:
    fmt = {"interval": "%m-%d %H:%M", "day": "%Y-%m-%d", "week": "%Y-%m-%d起", "month": "%Y-%m"}[bucket]
    return start.strftime(fmt)
