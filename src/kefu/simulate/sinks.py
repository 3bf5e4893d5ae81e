"""Where simulated contacts go: the database (through the contacts service), a CSV file, or a running
kefu's bulk API at the pace they happened (compressed by ``speed``)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path

from kefu.simulate.model import Day, Model
from kefu.simulate.output import records, write_csv_day, write_csv_header
from kefu.simulate.spikes import CENTER_TZ

CHUNK = 5000  # records per ingest call (database) and at most per request (API; the API takes 10,000)


@dataclass
class Tally:
    contacts: int = 0
    created: int = 0
    duplicates: int = 0
    errors: int = 0
    first_errors: list[str] = field(default_factory=list)

    def add(self, n: int, created: int, duplicates: int, errors: list[dict]) -> None:
        self.contacts += n
        self.created += created
        self.duplicates += duplicates
        self.errors += len(errors)
        for e in errors[: 3 - len(self.first_errors)]:
            self.first_errors.append(f"{e.get('field') or 'record'}: {e.get('message')}")


def to_csv(path: Path, model: Model, days: Iterable[Day], on_day: Callable[[Day], None]) -> Tally:
    tally = Tally()
    with path.open("w", encoding="utf-8", newline="") as out:
        write_csv_header(out)
        for day in days:
            write_csv_day(out, model, day)
            tally.contacts += len(day)
            on_day(day)
    return tally


def known_codes(factory) -> tuple[set[str], set[str], list[str]]:
    """Category codes, business-line codes and front-line usernames the database has."""
    from sqlalchemy import select

    from kefu.accounts.models import User
    from kefu.catalog.models import BusinessLine, Category

    with factory() as session:
        cats = set(session.scalars(select(Category.code)))
        lines = set(session.scalars(select(BusinessLine.code)))
        agents = list(session.scalars(select(User.username).where(User.role.in_(("agent", "trainee")),
                                                                    User.is_active.is_(True)).order_by(User.id)))
    return cats, lines, agents


def strip_unknown(recs: list[dict], cats: set[str], lines: set[str]) -> list[dict]:
    """Drop codes the database does not know: the contact is stored uncategorised rather than refused."""
    for rec in recs:
        if rec.get("category") not in cats:
            rec.pop("category", None)
        if rec.get("business_line") not in lines:
            rec.pop("business_line", None)
    return recs


def to_database(factory, model: Model, days: Iterable[Day], on_day: Callable[[Day], None], *,
                cats: set[str], lines: set[str], now: Callable[[], datetime]) -> Tally:
    """Each day through ``contacts.service.ingest`` in chunks, committed per day (a re-run stores only what
    is missing: the call ids are the same for the same scenario)."""
    from kefu.contacts.service import ingest

    tally = Tally()
    for day in days:
        recs = strip_unknown(list(records(model, day)), cats, lines)
        with factory() as session:
            for i in range(0, len(recs), CHUNK):
                chunk = recs[i:i + CHUNK]
                result = ingest(session, chunk, now=now())
                tally.add(len(chunk), result.created, result.duplicates, result.errors)
            session.commit()
        on_day(day)
    return tally


class ApiError(Exception):
    """The server refused a batch or could not be reached."""


def post_bulk(url: str, token: str, recs: list[dict], timeout: float = 120) -> dict:
    body = json.dumps({"contacts": recs}, ensure_ascii=False).encode()
    request = urllib.request.Request(url.rstrip("/") + "/api/v1/contacts/bulk", data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:300].decode("utf-8", "replace")
        raise ApiError(f"{url} answered {exc.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ApiError(f"cannot reach {url}: {getattr(exc, 'reason', exc)}") from None


def to_api(url: str, token: str, model: Model, days: Iterable[Day], on_day: Callable[[Day], None], *,
           speed: float, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
           tick: float = 1.0) -> Tally:
    """Send each record when its call ends on a simulated clock that starts at the first call and runs
    ``speed`` times faster than the wall clock; what falls due within one ``tick`` goes as one request."""
    pacer = _Pacer(url, token, speed, clock, sleep, tick)
    for day in days:
        if len(day):
            pacer.add(day.ended.tolist(), list(records(model, day)))
            # a later day's calls all end after its midnight: everything ending before it can go now
            midnight = datetime.combine(day.day + timedelta(days=1), dtime(0), CENTER_TZ)
            pacer.drain(until=int(midnight.timestamp()))
        on_day(day)
    pacer.drain(until=None)
    return pacer.tally


class _Pacer:
    def __init__(self, url, token, speed, clock, sleep, tick) -> None:
        self.url, self.token, self.speed, self.clock, self.sleep, self.tick = url, token, speed, clock, sleep, tick
        self.tally = Tally()
        self.pending: list[tuple[int, int, dict]] = []  # (ended, sequence, record), sorted
        self.origin: tuple[float, int] | None = None  # (wall clock, simulated epoch) at the first call
        self.seq = 0

    def add(self, ended: list[int], recs: list[dict]) -> None:
        if self.origin is None:
            self.origin = (self.clock(), min(ended))
        self.pending += [(e, self.seq + i, r) for i, (e, r) in enumerate(zip(ended, recs, strict=True))]
        self.seq += len(recs)
        self.pending.sort(key=lambda p: (p[0], p[1]))

    def now(self) -> float:
        wall, sim = self.origin
        return sim + (self.clock() - wall) * self.speed

    def drain(self, *, until: int | None) -> None:
        """Send, tick by tick, every pending record that ends before ``until`` (None: all)."""
        while self.pending and (until is None or self.pending[0][0] < until):
            ahead = (self.pending[0][0] - self.now()) / self.speed
            if ahead > 0:
                self.sleep(max(ahead, self.tick))
            now, k = self.now(), 0
            while k < len(self.pending) and k < CHUNK and self.pending[k][0] <= now:
                k += 1
            batch = [rec for _, _, rec in self.pending[:k]]
            del self.pending[:k]
            if batch:
                answer = post_bulk(self.url, self.token, batch)
                self.tally.add(len(batch), answer.get("created", 0), answer.get("duplicates", 0),
                               answer.get("errors", []))
