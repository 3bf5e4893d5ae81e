"""Live evaluation: every batch of new contacts (``kefu.contacts.events.on_new``, inside the writer's
transaction) adds to the shared counts and raises what the rules call for, in a few statements per batch:

1. one upsert of the batch's bucket counts (per grain);
2. one read of the bucket rows of each ladder rule's longest window for the categories in the batch;
3. same issue: one read of the last few minutes' contacts of those categories (distinct customers), and,
   for contacts with the customer's words, one insert and one read of the recent words (``alert_mentions``);
4. only when a threshold is crossed: the open alerts of those keys, then raise or escalate (``store.apply``).

Each category is evaluated at its newest contact in the batch, as the engine does. Growth is checked by the
``alerts_sweep`` timer (every ``growth.every``), which also drops counts older than any rule looks back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kefu.alerts import counts, digest
from kefu.alerts.models import AlertMention
from kefu.alerts.rules import RANK, Rule, RuleSet, format_duration
from kefu.alerts.similar import similar, tokenize
from kefu.alerts.store import Finding, apply, current_rules, news
from kefu.catalog.models import Category
from kefu.contacts import events
from kefu.contacts.events import ContactFact
from kefu.contacts.models import Contact
from kefu.timers import service as timers
from kefu.timers.models import Timer

log = logging.getLogger("kefu.alerts")
SWEEP = "alerts_sweep"
SAMPLE = 10


@events.on_new
def on_new_contacts(session: Session, facts: Sequence[ContactFact]) -> None:
    batch = events.NewContacts.of(facts)
    worded = batch.worded()
    latest = latest_by_category(session, batch)  # the categorized contacts' newest per category
    if not latest and not worded:
        return
    rules = current_rules(session)
    if digest.digest_rules(rules):
        digest.collect(session, rules, batch)
        digest.ensure_scheduled(session, rules, batch[-1].offered_at)
    findings: list[Finding] = []
    if latest:
        counts.lock_categories(session, latest)
        counts.add_new(session, batch, counts.grains_of(rules))
        classes = _categories(session, latest)
        findings += ladder_findings(session, rules, latest, classes)
        findings += same_category_findings(session, rules, latest, classes)
    if worded:
        findings += same_text_findings(session, rules, worded)
    if findings:
        apply(session, _with_samples(session, news(session, findings)))
    _ensure_sweep(session, rules, batch[-1].offered_at)


class Latest(NamedTuple):
    """A category's newest contact in a batch (the latest offered; of those, the last stored)."""

    id: int
    offered_at: datetime


def latest_by_category(session: Session, batch: events.NewContacts) -> dict[int, Latest]:
    """``{category_id: Latest}`` of a batch's contacts that have a category, in one query over their rows."""
    dialect = session.get_bind().dialect.name
    where, params = batch.where(dialect, "c.id")
    inner, _ = batch.where(dialect, "id")
    rows = session.connection().exec_driver_sql(
        "SELECT c.category_id, c.offered_at, max(c.id) FROM contacts AS c JOIN (SELECT category_id, "
        f"max(offered_at) AS newest FROM contacts WHERE {inner} AND category_id IS NOT NULL GROUP BY category_id) "
        f"AS l ON c.category_id = l.category_id AND c.offered_at = l.newest WHERE {where} "
        "GROUP BY c.category_id, c.offered_at", params * 2)
    out = {}
    for cid, at, contact_id in rows:
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        out[cid] = Latest(contact_id, at if at.tzinfo else at.replace(tzinfo=UTC))
    return out


def _categories(session: Session, latest: dict[int, Latest]) -> dict[int, tuple[str, str, str]]:
    rows = session.execute(select(Category.id, Category.code, Category.name, Category.severity_class)
                           .where(Category.id.in_(list(latest))))
    return {cid: (code, name, klass) for cid, code, name, klass in rows}


def ladder_findings(session: Session, rules: RuleSet, latest: dict[int, Latest],
                    classes: dict[int, tuple[str, str, str]]) -> list[Finding]:
    found = []
    for rule in rules.of_kind("ladder"):
        ids = [cid for cid in latest if cid in classes and rule.matches(*classes[cid])]
        if not ids:
            continue
        g, longest = rule.resolution, max(rule.windows) // rule.resolution
        ends = {cid: int(latest[cid].offered_at.timestamp() // g) for cid in ids}
        rows = counts.read(session, grain=g, category_ids=ids, first=min(ends.values()) - longest + 1)
        for cid in ids:
            # at the newest contact stored, this batch's or not: another worker's batch of later contacts may
            # have committed first
            ends[cid] = max(ends[cid], max(rows[cid], default=ends[cid]))
            best = None
            for t in rule.thresholds:
                n = counts.window(rows[cid], end=ends[cid], span=t.window // g)
                if n > t.more_than and (best is None or RANK[t.level] > RANK[best[0].level]):
                    best = (t, n)
            if best:
                at = max(latest[cid].offered_at, datetime.fromtimestamp(ends[cid] * g, UTC))
                found.append(Finding(rule, cid, best[0].level, at, "count",
                                     format_duration(best[0].window), best[1], contact_ids=(latest[cid].id,)))
    return found


def _with_samples(session: Session, found: list[Finding]) -> list[Finding]:
    """Count findings get the newest contacts of their category inside their window (read only for findings
    that raise or escalate: a spike that goes on costs no more reads)."""
    out = []
    for f in found:
        if f.basis != "count":
            out.append(f)
            continue
        seconds = _seconds(f.window)
        ids = session.scalars(select(Contact.id).where(
            Contact.category_id == f.category_id, Contact.offered_at > f.at - timedelta(seconds=seconds),
            Contact.offered_at <= f.at).order_by(Contact.offered_at.desc(), Contact.id.desc()).limit(SAMPLE)).all()
        out.append(Finding(f.rule, f.category_id, f.level, f.at, f.basis, f.window, f.count, f.previous,
                           tuple(reversed(ids))))
    return out


def _seconds(window: str) -> int:
    from kefu.alerts.rules import parse_duration

    return parse_duration(window)


def same_category_findings(session: Session, rules: RuleSet, latest: dict[int, Latest],
                           classes: dict[int, tuple[str, str, str]]) -> list[Finding]:
    rule = _same_rule(rules)
    if rule is None or not rule.by_category:
        return []
    ids = [cid for cid in latest if cid in classes and rule.matches(*classes[cid])]
    if not ids:
        return []
    first = min(latest[c].offered_at for c in ids) - timedelta(seconds=rule.window)
    rows = session.execute(select(Contact.id, Contact.category_id, Contact.customer_id, Contact.offered_at).where(
        Contact.category_id.in_(ids), Contact.offered_at > first,
        Contact.offered_at <= max(latest[c].offered_at for c in ids)).order_by(Contact.offered_at, Contact.id)).all()
    by_category: dict[int, list] = {}
    for r in rows:
        by_category.setdefault(r.category_id, []).append(r)
    found = []
    for cid in ids:
        end = latest[cid].offered_at
        start = end - timedelta(seconds=rule.window)
        mine = [r for r in by_category.get(cid, ()) if start < _aware(r.offered_at) <= end]
        who = {r.customer_id if r.customer_id is not None else ("contact", r.id) for r in mine}
        if len(who) >= rule.min_customers:
            found.append(Finding(rule, cid, rule.level, end, "same_issue", format_duration(rule.window), len(who),
                                 contact_ids=tuple(r.id for r in mine)[-SAMPLE:]))
    return found


def same_text_findings(session: Session, rules: RuleSet, worded: list[ContactFact]) -> list[Finding]:
    rule = _same_rule(rules)
    if rule is None or not rule.by_text:
        return []
    mine = [(f, tokenize(f.text)) for f in worded]
    mine = [(f, w) for f, w in mine if w]
    if not mine:
        return []
    session.execute(insert(AlertMention), [  # Core: this may run inside a flush
        {"at": f.offered_at, "category_id": f.category_id, "customer_id": f.customer_id, "contact_id": f.id,
         "words": " ".join(sorted(w))} for f, w in mine])
    newest = max(f.offered_at for f, _ in mine)
    since = min(f.offered_at for f, _ in mine) - timedelta(seconds=rule.window)
    recent = session.execute(select(AlertMention.at, AlertMention.customer_id, AlertMention.contact_id,
                                    AlertMention.words).where(AlertMention.at > since,
                                                              AlertMention.at <= newest)).all()
    recent = [(_aware(at), cust, cid, frozenset(words.split())) for at, cust, cid, words in recent]
    found, seen = [], set()
    for f, words in mine:
        start = f.offered_at - timedelta(seconds=rule.window)
        group = [r for r in recent if start < r[0] <= f.offered_at and (r[2] == f.id or similar(words, r[3],
                                                                                                  rule.similarity))]
        who = {cust if cust is not None else ("contact", cid) for _, cust, cid, _ in group}
        if len(who) >= rule.min_customers and f.category_id not in seen:
            seen.add(f.category_id)
            found.append(Finding(rule, f.category_id, rule.level, f.offered_at, "same_issue",
                                 format_duration(rule.window), len(who),
                                 contact_ids=tuple(cid for _, _, cid, _ in sorted(group))[-SAMPLE:]))
    session.execute(delete(AlertMention).where(AlertMention.at <= newest - timedelta(seconds=2 * rule.window))
                    .execution_options(synchronize_session=False))
    return found


def _same_rule(rules: RuleSet) -> Rule | None:
    same = rules.of_kind("same_issue")
    return same[0] if same else None


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


# ---- the sweep: growth, pruning
_SWEEP_KNOWN: set[int] = set()  # engines (ids) where the sweep timer is known to exist


def _ensure_sweep(session: Session, rules: RuleSet, at: datetime) -> None:
    bind = session.get_bind()
    if id(bind) in _SWEEP_KNOWN:
        return
    insert = sqlite_insert if bind.dialect.name == "sqlite" else pg_insert
    # growth compares with a period earlier, and nothing is old enough to prune before that: the first sweep
    # is one period after the first contact counted, on a whole `every`
    every = sweep_every(rules)
    period = min([r.growth.period for r in rules.of_kind("ladder") if r.growth] + [7 * 86400])
    first = datetime.fromtimestamp(((at.timestamp() + period) // every + 1) * every, UTC)
    session.execute(insert(Timer).values(kind=SWEEP, ref_id=0, due_at=first, status="pending", attempts=0)
                    .on_conflict_do_nothing(index_elements=["kind", "ref_id"]))
    _SWEEP_KNOWN.add(id(bind))


def sweep_every(rules: RuleSet) -> int:
    return min([r.growth.every for r in rules.of_kind("ladder") if r.growth] + [3600])


@timers.handler(SWEEP)
def sweep(session: Session, timer: Timer, now: datetime) -> None:
    rules = current_rules(session)
    apply(session, growth_findings(session, rules, now))
    counts.prune(session, rules=rules, now=now)
    timers.schedule(session, kind=SWEEP, ref_id=0, due_at=now + timedelta(seconds=sweep_every(rules)))


def growth_findings(session: Session, rules: RuleSet, now: datetime) -> list[Finding]:
    """Each ladder rule's growth: the count in its window now against the same window a period earlier."""
    found = []
    categories = session.execute(select(Category.id, Category.code, Category.name, Category.severity_class)).all()
    for rule in rules.of_kind("ladder"):
        growth = rule.growth
        if growth is None:
            continue
        ids = [cid for cid, code, name, klass in categories if rule.matches(code, name, klass)]
        if not ids:
            continue
        g = rule.resolution
        end, span, back = int(now.timestamp() // g), growth.window // g, growth.period // g
        rows = counts.read(session, grain=g, category_ids=ids, first=end - back - span + 1, last=end)
        for cid in ids:
            current = counts.window(rows[cid], end=end, span=span)
            previous = counts.window(rows[cid], end=end - back, span=span)
            level = growth.level_for(current, previous)
            if level:
                found.append(Finding(rule, cid, level, now, "growth", format_duration(growth.window), current,
                                     previous))
    return found
