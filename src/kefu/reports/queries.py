"""Reading KPIs from the rollups: a period in the center's time zone, optionally grouped by a dimension
(channel, queue, category, business line, agent, team) or by time (30-minute interval, day, week, month).

Each query reads the coarsest rollup grain that holds its dimensions and filters and sums the measures in the
database (``GROUP BY`` the dimension and, for time buckets, the interval or day start): a daily grain whenever
the query needs no 30-minute interval (periods are whole days of the center's time zone), else a 30-minute
one; day/week/month buckets are formed in the center's time zone from those few sums.
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
from kefu.reports.models import (
    GRAIN_AGENT,
    GRAIN_AGENT_CHANNEL,
    GRAIN_CATEGORY,
    GRAIN_CHANNEL,
    GRAIN_DAY_AGENT,
    GRAIN_DAY_CATEGORY,
    GRAIN_DAY_CHANNEL,
    KpiRollup,
)

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


def grain_for(dims: set[str], *, intervals: bool = False) -> int:
    """The coarsest grain holding the dimensions (of the groups and filters); ``intervals``: the query needs
    30-minute buckets. The day × agent grain has no other key, so an agent or team with anything else reads
    the 30-minute agent grain."""
    if dims & {"agent", "team"}:
        if not intervals and dims <= {"agent", "team"}:
            return GRAIN_DAY_AGENT
        return GRAIN_AGENT if dims & {"queue", "category", "business_line"} else GRAIN_AGENT_CHANNEL
    if dims & {"queue", "category", "business_line"}:
        return GRAIN_CATEGORY if intervals else GRAIN_DAY_CATEGORY
    return GRAIN_CHANNEL if intervals else GRAIN_DAY_CHANNEL


def _sums():
    return [func.coalesce(func.sum(getattr(R, m)), 0).label(m) for m in MEASURES]


_N = len(MEASURES)


def _tally(row) -> Tally:
    """The measures are a row's last columns (``_sums()`` comes last in every query)."""
    return Tally(*map(int, tuple(row)[-_N:]))


def _base(period: Period, dims: set[str], filters: dict, *, intervals: bool = False):
    grain = grain_for(dims | set(filters), intervals=intervals)
    stmt = select().select_from(R).where(R.grain == grain, R.interval_start >= period.start,
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
    stmt = (_base(period, set(), filters or {}, intervals=bucket == "interval")
            .add_columns(R.interval_start.label("key"), *_sums()).group_by(R.interval_start))
    out: dict[datetime, list[int]] = {}  # plain lists: a month by interval is 1,440 buckets
    for start, *m in session.execute(stmt):
        start = _bucket(start.astimezone(period.tz), bucket)
        got = out.get(start)
        if got is None:
            out[start] = m
        else:
            for i, v in enumerate(m):
                got[i] += v
    return {k: Tally(*map(int, m)) for k, m in sorted(out.items())}


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


LABELS = {"agent": "未分配", "team": "无班组", "other": "未分类", "week": "{day}起"}


def kpi_rows(session: Session, period: Period, group_by: str | None, filters: dict | None = None, *,
             words: dict[str, str] | None = None) -> list[dict]:
    """One row per group: ``{key, label, **KPIs}``. ``words``: what to call a row without an agent, team or
    other key, and a week (``{day}`` its Monday); default in Chinese (``LABELS``)."""
    words = words or LABELS
    if group_by in TIME_BUCKETS:
        return [{"key": k.isoformat(), "label": time_label(k, group_by, words), **rates(t)}
                for k, t in by_time(session, period, group_by, filters).items()]
    groups = by_dimension(session, period, group_by, filters)
    names = labels(session, group_by, groups)
    rows = [{"key": k, "label": names.get(k) or _none_label(group_by, k, words), **rates(t)}
            for k, t in groups.items()]
    return sorted(rows, key=lambda r: -r["contacts"])


def _none_label(dim: str, key, words: dict[str, str]) -> str:
    return key if isinstance(key, str) and key else words.get(dim) or words["other"]


def time_label(start: datetime, bucket: str, words: dict[str, str] = LABELS) -> str:
    s = start  # f-strings, not strftime: a month by interval labels 1,440 buckets
    if bucket == "interval":
        return f"{s.month:02d}-{s.day:02d} {s.hour:02d}:{s.minute:02d}"
    if bucket == "month":
        return f"{s.year}-{s.month:02d}"
    day = f"{s.year}-{s.month:02d}-{s.day:02d}"
    return words["week"].format(day=day) if bucket == "week" else day
