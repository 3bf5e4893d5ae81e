"""The streaming alert engine: contacts in, alerts out, O(1) per contact.

``Engine.feed(at, category, customer, text, contact)`` takes one contact (``at`` in epoch seconds, events in
time order: a late one counts in the current bucket) and returns the alerts it raised or escalated. Per rule
and category it keeps a ``BucketCounts`` and ``need``: how many more events in the current bucket would cross
a threshold above the open alert's level, so most events cost one addition and one comparison.

Semantics (the same as the live store's):
- a ladder threshold ``more_than: n`` over window ``w`` is crossed when the window holds ``n + 1`` contacts;
  the highest crossed level wins, reported with its window and count;
- one alert is open per rule and category: reaching a higher level escalates it, a lower or equal one is
  news to no one; it closes by itself once every window stays under its lowest threshold for the rule's
  ``cooldown``, and one resolved by a person (``resolve``) is not raised again within ``cooldown``;
- growth (``tick``, every ``growth.every``): the count in the growth window against the same window one
  period earlier, when that earlier count is at least ``min_base``;
- same issue: ``min_customers`` distinct customers within ``window`` in one matching category, or with
  similar text (``similar``), raise the ``same_issue`` rule's level at once, listing the contacts.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kefu.alerts.counters import BucketCounts
from kefu.alerts.rules import LEVELS, RANK, Rule, RuleSet, format_duration
from kefu.alerts.similar import Mention, RecentTexts, tokenize

INF = float("inf")
TICK_MAX = 3600  # the sweep (growth, closing quiet alerts) runs at least hourly


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    code: str
    name: str
    klass: str = "none"


class Catalog:
    """Categories by code and by Chinese name; an unknown one is its own code with no class."""

    def __init__(self, categories: Iterable[CategoryInfo] = ()) -> None:
        self.by_key: dict[str, CategoryInfo] = {}
        for cat in categories:
            self.by_key.setdefault(cat.name, cat)
            self.by_key[cat.code] = cat

    def resolve(self, key: str | None) -> CategoryInfo | None:
        if key is None or key == "":
            return None
        return self.by_key.get(key) or CategoryInfo(key, key, "none")


@dataclass(frozen=True)
class AlertEvent:
    """An alert raised (``raised``) or made more urgent (``escalated``), or closed by itself (``closed``)."""

    at: datetime
    rule: str
    category: str | None
    level: str
    window: str
    count: int
    action: str = "raised"
    basis: str = "count"  # count | growth | same_issue
    previous: int | None = None  # growth: the count one period earlier
    contacts: tuple[int, ...] = ()
    from_level: str | None = None

    def as_json(self) -> dict[str, Any]:
        out = {"at": self.at.isoformat(), "rule": self.rule, "category": self.category, "level": self.level,
               "window": self.window, "count": self.count, "action": self.action, "basis": self.basis}
        if self.previous is not None:
            out["previous"] = self.previous
        if self.from_level:
            out["from_level"] = self.from_level
        if self.contacts:
            out["contacts"] = list(self.contacts)
        return out


def _utc(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


class _Ladder:
    """One ladder rule's counts and open alert for one category."""

    __slots__ = ("rule", "category", "c", "trips", "lowest", "thresholds", "need", "rank", "quiet_since", "recent")

    def __init__(self, rule: Rule, category: str, sample: int) -> None:
        self.rule, self.category = rule, category
        windows = rule.windows
        self.c = BucketCounts(rule.resolution, windows, rule.horizon)
        index = {w: i for i, w in enumerate(windows)}
        self.thresholds = [(index[t.window], t.more_than, RANK[t.level], t) for t in rule.thresholds]
        # trips[r + 1][i]: the count in window i that reaches a level above r (r = -1: nothing open)
        self.trips = [[min((m + 1 for wi, m, lv, _ in self.thresholds if wi == i and lv > r), default=INF)
                       for i in range(len(windows))] for r in (-1, 0, 1, 2)]
        self.lowest = [min(m for wi, m, _, _ in self.thresholds if wi == i) for i in range(len(windows))]
        self.rank, self.quiet_since = -1, None  # quiet_since: when the open alert's counts fell under
        self.recent: deque[int] = deque(maxlen=sample)
        self.need = min(self.trips[0])

    def set_need(self) -> None:
        trips, need, i = self.trips[self.rank + 1], INF, 0
        for p in self.c.past:  # plain loops: these run once per new bucket
            d = trips[i] - p
            if d < need:
                need = d
            i += 1
        self.need = need

    def hot(self) -> bool:
        lowest, i = self.lowest, 0
        for p in self.c.past:
            if p > lowest[i]:
                return True
            i += 1
        return False

    def cold_from(self, first: int, last: int) -> int:
        """The first bucket in ``first..last`` (no contacts in between) at which every window is under its
        lowest threshold; counts only fall meanwhile, so a binary search finds it."""
        c, spans = self.c, self.c.spans
        while first < last:
            mid = (first + last) // 2
            if any(c.between(mid - s + 1, mid) > low for s, low in zip(spans, self.lowest, strict=True)):
                first = mid + 1
            else:
                last = mid
        return first


class _SameIssue:
    """Distinct customers of one category within the same-issue window."""

    __slots__ = ("queue", "customers", "open", "last_hot")

    def __init__(self) -> None:
        self.queue: deque[tuple[float, Hashable, int | None]] = deque()
        self.customers: dict[Hashable, int] = {}
        self.open, self.last_hot = False, 0.0


@dataclass
class Engine:
    rules: RuleSet
    catalog: Catalog = field(default_factory=Catalog)
    sample: int = 10
    alerts: list[AlertEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ladder_rules = self.rules.of_kind("ladder")
        same = self.rules.of_kind("same_issue")
        self.same_rule: Rule | None = same[0] if same else None
        self._routes: dict[str | None, tuple[tuple[_Ladder, ...], _SameIssue | None]] = {}
        self._states: list[_Ladder] = []
        self._suppressed: dict[tuple[str, str | None], float] = {}
        self._same_open: dict[str | None, _SameIssue] = {}
        self._texts = RecentTexts(self.same_rule.window, self.same_rule.similarity) if (
            self.same_rule and self.same_rule.by_text) else None
        every = [r.growth.every for r in self.ladder_rules if r.growth] + [TICK_MAX]
        self.tick_every = min(every)
        self._next_tick = INF
        self._growth_due: dict[str, float] = {}

    # ---- feeding
    def feed(self, at: float, category: str | None, customer: Hashable = None, text: str | None = None,
             contact: int | None = None) -> list[AlertEvent]:
        route = self._routes.get(category)
        if route is None:
            route = self._route(category)
        if at >= self._next_tick:
            self.tick(at)
        out: list[AlertEvent] = []
        for st in route[0]:
            c = st.c
            b = int(at // c.grain)
            if b != c.bucket and (c.bucket is None or b > c.bucket):
                self._advance(st, b, out)
            c.cur += 1
            if contact is not None:
                st.recent.append(contact)
            if c.cur >= st.need:
                self._check(st, at, out)
        if route[1] is not None:
            self._same_category(route[1], category, at, customer, contact, out)
        if text and self._texts is not None:
            self._same_text(at, category, customer, text, contact, out)
        if out:
            self.alerts.extend(out)
        return out

    def run(self, events: Iterable[tuple]) -> list[AlertEvent]:
        """Feed ``(at, category, customer, text, contact)`` tuples; every alert raised, in order."""
        feed = self.feed
        for event in events:
            feed(*event)
        return self.alerts

    def _route(self, category: str | None) -> tuple[tuple[_Ladder, ...], _SameIssue | None]:
        info = self.catalog.resolve(category)
        if info is None:
            route: tuple = ((), None)
        else:
            ladders = tuple(_Ladder(r, category, self.sample) for r in self.ladder_rules
                            if r.matches(info.code, info.name, info.klass))
            self._states.extend(ladders)
            same = self.same_rule
            route = (ladders, _SameIssue() if same and same.by_category and same.matches(
                info.code, info.name, info.klass) else None)
        if self._next_tick == INF:
            self._next_tick = 0.0  # the first event sets the schedule
        self._routes[category] = route
        return route

    # ---- ladder
    def _advance(self, st: _Ladder, bucket: int, out: list[AlertEvent]) -> None:
        c = st.c
        old = c.bucket
        c.advance(bucket)
        if st.rank >= 0:
            if st.hot():
                st.quiet_since = None
            else:
                if st.quiet_since is None:
                    st.quiet_since = st.cold_from(old + 1, bucket) * c.grain
                closes = st.quiet_since + st.rule.cooldown
                if closes <= bucket * c.grain:
                    out.append(AlertEvent(_utc(closes), st.rule.id, st.category, LEVELS[st.rank], "", 0, "closed"))
                    st.rank, st.quiet_since = -1, None
        st.set_need()

    def _check(self, st: _Ladder, at: float, out: list[AlertEvent]) -> None:
        counts = st.c.counts()
        best, chosen = -1, None
        for i, more_than, rank, threshold in st.thresholds:
            if counts[i] > more_than and rank > best:
                best, chosen = rank, (threshold, counts[i])
        if best > st.rank and not self._is_suppressed(st.rule, st.category, at, st.rank):
            threshold, count = chosen
            self._raise(st, best, at, out, window=format_duration(threshold.window), count=count, basis="count")
        st.set_need()

    def _raise(self, st: _Ladder, rank: int, at: float, out: list[AlertEvent], **what) -> None:
        action = "raised" if st.rank < 0 else "escalated"
        out.append(AlertEvent(_utc(at), st.rule.id, st.category, LEVELS[rank], action=action,
                              contacts=tuple(st.recent), from_level=LEVELS[st.rank] if st.rank >= 0 else None,
                              **what))
        st.rank, st.quiet_since = rank, None

    def _is_suppressed(self, rule: Rule, category: str | None, at: float, rank: int) -> bool:
        if rank >= 0:
            return False
        until = self._suppressed.get((rule.id, category))
        return until is not None and at < until

    # ---- schedule: growth and closing quiet alerts
    def tick(self, at: float) -> list[AlertEvent]:
        """Run the scheduled work due by ``at`` (growth checks; alerts gone quiet close)."""
        out: list[AlertEvent] = []
        if self._next_tick == 0.0:
            self._next_tick = (at // self.tick_every) * self.tick_every
        while self._next_tick <= at:
            now = self._next_tick
            for st in self._states:
                bucket = int(now // st.c.grain)
                if st.c.bucket is not None and bucket > st.c.bucket:
                    self._advance(st, bucket, out)
                growth = st.rule.growth
                if growth and now >= self._growth_due.get(st.rule.id, 0.0):
                    self._growth(st, now, bucket, out)
            for rule in self.ladder_rules:
                if rule.growth and now >= self._growth_due.get(rule.id, 0.0):
                    self._growth_due[rule.id] = now + rule.growth.every
            self._next_tick = now + self.tick_every
        self.alerts.extend(out)
        return out

    def _growth(self, st: _Ladder, now: float, bucket: int, out: list[AlertEvent]) -> None:
        growth, c = st.rule.growth, st.c
        current = c.window_at(growth.window, bucket=bucket)
        previous = c.window_at(growth.window, bucket=bucket, back=growth.period // c.grain)
        level = growth.level_for(current, previous)
        if level is None:
            return
        rank = RANK[level]
        if st.rank >= 0:
            st.quiet_since = None  # still growing: not quiet
        if rank > st.rank and not self._is_suppressed(st.rule, st.category, now, st.rank):
            self._raise(st, rank, now, out, window=format_duration(growth.window), count=current, basis="growth",
                        previous=previous)
            st.set_need()

    # ---- same issue
    def _same_category(self, si: _SameIssue, category: str | None, at: float, customer: Hashable,
                       contact: int | None, out: list[AlertEvent]) -> None:
        rule = self.same_rule
        queue, customers = si.queue, si.customers
        limit = at - rule.window
        while queue and queue[0][0] <= limit:
            _, who, _ = queue.popleft()
            left = customers[who] - 1
            if left:
                customers[who] = left
            else:
                del customers[who]
        key = customer if customer is not None else ("contact", contact, at)
        queue.append((at, key, contact))
        customers[key] = customers.get(key, 0) + 1
        if len(customers) >= rule.min_customers:
            if si.open:
                si.last_hot = at
            else:
                self._same_raise(si, category, at, len(customers), tuple(c for _, _, c in queue if c is not None),
                                 out)
        elif si.open and at - si.last_hot >= rule.cooldown:
            si.open = False
            out.append(AlertEvent(_utc(at), rule.id, category, rule.level, "", 0, "closed", basis="same_issue"))

    def _same_text(self, at: float, category: str | None, customer: Hashable, text: str, contact: int | None,
                   out: list[AlertEvent]) -> None:
        rule = self.same_rule
        words = tokenize(text)
        if not words:
            return
        mention = Mention(at, customer if customer is not None else ("contact", contact, at), words, contact,
                          category)
        group = self._texts.add(mention) + [mention]
        who = {m.customer for m in group}
        if len(who) < rule.min_customers:
            return
        si = self._same_state(category)
        if si.open:
            si.last_hot = at
            return
        self._same_raise(si, category, at, len(who), tuple(m.contact for m in group if m.contact is not None), out)

    def _same_state(self, category: str | None) -> _SameIssue:
        route = self._routes.get(category)
        if route is not None and route[1] is not None:
            return route[1]
        return self._same_open.setdefault(category, _SameIssue())

    def _same_raise(self, si: _SameIssue, category: str | None, at: float, customers: int,
                    contacts: tuple[int, ...], out: list[AlertEvent]) -> None:
        rule = self.same_rule
        until = self._suppressed.get((rule.id, category))
        if until is not None and at < until:
            return
        si.open, si.last_hot = True, at
        out.append(AlertEvent(_utc(at), rule.id, category, rule.level, format_duration(rule.window), customers,
                              basis="same_issue", contacts=contacts[-self.sample:]))

    # ---- a person's actions
    def resolve(self, rule_id: str, category: str | None, at: float) -> None:
        """A person resolved the open alert: it closes, and is not raised again within the cool-down."""
        rule = self.rules.get(rule_id)
        if rule is None:
            raise KeyError(rule_id)
        self._suppressed[(rule_id, category)] = at + rule.cooldown
        if rule.kind == "same_issue":
            self._same_state(category).open = False
            return
        for st in (self._routes.get(category) or ((), None))[0]:
            if st.rule.id == rule_id:
                st.rank = -1
                st.set_need()

    def open_level(self, rule_id: str, category: str | None) -> str | None:
        for st in (self._routes.get(category) or ((), None))[0]:
            if st.rule.id == rule_id and st.rank >= 0:
                return LEVELS[st.rank]
        return None


def demo_catalog() -> Catalog:
    """The demo center's categories (``kefu.demo.catalog``): what the backtest uses when no store is given."""
    from kefu.demo.catalog import TREE

    found: list[CategoryInfo] = []

    def walk(node) -> None:
        code, name, klass, body = node
        found.append(CategoryInfo(code, name, klass))
        if isinstance(body, list):
            for child in body:
                walk(child)

    for _line, roots in TREE:
        for root in roots:
            walk(root)
    return Catalog(found)
