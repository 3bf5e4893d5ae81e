"""The traffic model: a day at a time, contacts as columns of numpy arrays (no per-contact Python).

Arrivals are a non-homogeneous Poisson process per leaf category. Its rate is piecewise constant over
five-minute bins: daily volume × weekday × the business line's share and holiday multiplier × the
category's share × the line's hour-of-day shape. Counts per bin are Poisson and arrival times uniform
within the bin — exactly the NHPP with that rate. A spike adds an independent Poisson process of rate
(factor − 1) × the category's rate inside its window (superposition), so the rest of the stream is the one
drawn without it; a factor below one thins the category's arrivals there instead.

Each contact then gets a channel (per-line mix), a customer role (its category's), a customer from a
fixed pool (repeat contacts), log-normal handle, hold and wrap times, and — on queued channels — a wait:
every half hour each channel's agent pool (blended over business lines) is staffed for the *forecast*
load by Erlang C (the spikes are not forecast) and then meets the load that actually arrived; a customer whose patience
(exponential) is shorter than the wait abandons, a share of phone callers still waiting at the IVR's
offer take a callback. E-mail is answered hours later; self-service is deflected.

Randomness: one generator per (seed, day, purpose), so a day is the same whichever day the run
starts on, and adding a spike changes only what the spike touches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np

from kefu.simulate import profile as P
from kefu.simulate.calendar import line_factors
from kefu.simulate.queueing import required_servers, sample_waits, wait_parameters
from kefu.simulate.spikes import CENTER_TZ, Spike

BIN = 300  # seconds: the arrival rate is constant within a bin
STAFF_INTERVAL = 1800  # seconds: the staffing plan's interval
BINS, STAFF_BINS = 86400 // BIN, 86400 // STAFF_INTERVAL
DEFAULT_DAILY = 10_000.0  # contacts on an ordinary weekday at scale 1
NONE = -1  # "no value" in integer columns (answered_at of an abandoned call, talk of a deflected one…)


@dataclass(frozen=True)
class Scenario:
    start: date
    days: int
    seed: int = 1
    scale: float = 1.0
    daily: float = DEFAULT_DAILY
    spikes: tuple[Spike, ...] = ()
    agents: tuple[str, ...] = ()  # usernames answered contacts are given to; none: no agent
    customers: dict[str, list[str]] | None = None  # phones per role; None: a synthetic pool
    categories: tuple[P.CategoryMix, ...] = P.CATEGORIES

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if not self.scale > 0:
            raise ValueError("scale must be positive")

    @property
    def digest(self) -> str:
        """Short hash of what shapes the stream: call ids repeat only for the same scenario."""
        key = repr((self.seed, self.scale, self.daily, self.spikes, self.agents, sorted((self.customers or {}).items()),
                    [c.code for c in self.categories]))
        return hashlib.blake2s(key.encode(), digest_size=3).hexdigest()


@dataclass
class Day:
    """One day of contacts, sorted by offered time. Times are UTC epoch seconds; NONE where absent."""

    day: date
    id_prefix: str  # call id = prefix + six-digit sequence in the day (see ``call_ids``)
    offered: np.ndarray  # int64
    answered: np.ndarray
    ended: np.ndarray
    talk: np.ndarray  # int64 seconds, NONE when no agent talked
    hold: np.ndarray
    wrap: np.ndarray
    channel: np.ndarray  # index into profile.CHANNELS
    category: np.ndarray  # index into Scenario.categories
    line: np.ndarray  # index into Model.lines
    role: np.ndarray  # index into profile.ROLES
    phone: np.ndarray  # int64, 11 digits
    outcome: np.ndarray  # index into profile.OUTCOMES
    agent: np.ndarray  # index into Scenario.agents, NONE when none
    wait: np.ndarray = field(repr=False, default=None)  # float seconds waited (queued channels)

    def __len__(self) -> int:
        return len(self.offered)

    @property
    def call_ids(self) -> list[str]:
        return (self.id_prefix + _sequence(len(self))).tolist()


class Model:
    """A scenario made ready: shapes normalised, per-category constants as arrays."""

    def __init__(self, scenario: Scenario) -> None:
        self.sc = scenario
        cats = scenario.categories
        self.codes = [c.code for c in cats]
        self.lines = list(dict.fromkeys(c.line for c in cats))
        self.cat_line = np.array([self.lines.index(c.line) for c in cats])
        weight = np.array([c.weight for c in cats], dtype=float)
        line_total = np.bincount(self.cat_line, weights=weight)
        line_share = np.array([P.LINES.get(x, 1.0) for x in self.lines], dtype=float)
        line_share /= line_share.sum()
        self.cat_share = weight / line_total[self.cat_line] * line_share[self.cat_line]
        self.cat_shape = np.stack([_bin_shape(P.HOUR_SHAPES[P.LINE_SHAPE.get(c.line, "day")]) for c in cats], 1)
        mixes = np.array([P.CHANNEL_MIX.get(x, P.CHANNEL_MIX["default"]) for x in self.lines], dtype=float)
        self.channel_cum = np.cumsum(mixes / mixes.sum(1, keepdims=True), 1)
        self.cat_roles = [np.array([P.ROLES.index(r) for r in c.roles]) for c in cats]
        models = [P.CHANNEL_MODELS[ch] for ch in P.CHANNELS]
        self.ch = {name: np.array([getattr(m, name) for m in models], dtype=float)
                   for name in ("talk_median", "talk_sigma", "hold_share", "hold_median", "hold_sigma",
                                "wrap_median", "wrap_sigma", "concurrency", "sl_target", "sl_seconds",
                                "patience_mean")}
        self.queued = np.array([m.queued for m in models])
        ch = self.ch
        # mean handle time of one session: talk + hold (share × mean) per channel, log-normal means
        self.aht = (ch["talk_median"] * np.exp(ch["talk_sigma"] ** 2 / 2)
                    + ch["hold_share"] * ch["hold_median"] * np.exp(ch["hold_sigma"] ** 2 / 2))
        self.spike_cats = [np.array([self.codes.index(c) for c in s.codes]) for s in scenario.spikes]
        self._customers()

    def _customers(self) -> None:
        sc = self.sc
        if sc.customers:
            self.pools = [np.array([int(p) for p in sc.customers.get(r, [])], dtype=np.int64) for r in P.ROLES]
            fallback = next(p for p in self.pools if len(p))
            self.pools = [p if len(p) else fallback for p in self.pools]
        else:  # a pool per role, phones made from an index by a bijection of 0…10^8 − 1
            size = max(1000, int(sc.daily * sc.scale * P.CUSTOMERS_PER_DAILY_CONTACT / len(P.ROLES)))
            prefixes = np.array([int(p) for p in P.PHONE_PREFIXES], dtype=np.int64)
            self.pools = []
            for r in range(len(P.ROLES)):
                g = np.arange(r * size, (r + 1) * size, dtype=np.int64) + sc.seed * 7919
                self.pools.append(prefixes[g % len(prefixes)] * 10**8 + (g * 48271 + 12345) % 10**8)

    def rng(self, day: date, purpose: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self.sc.seed, day.toordinal(), purpose]))

    # ---------------------------------------------------------------- rates
    def rates(self, day: date) -> np.ndarray:
        """Expected arrivals per bin and category (BINS × categories), without spikes."""
        sc = self.sc
        events = np.array(line_factors(day, self.lines))
        per_cat = sc.daily * sc.scale * P.WEEKDAY[day.weekday()] * self.cat_share * events[self.cat_line]
        return self.cat_shape * per_cat

    # ---------------------------------------------------------------- one day
    def day(self, day: date) -> Day:
        lam = self.rates(day)
        t0 = int(datetime.combine(day, time(0), CENTER_TZ).timestamp())
        rng = self.rng(day, 0)
        counts = rng.poisson(lam)
        cat = np.repeat(np.tile(np.arange(lam.shape[1]), BINS), counts.ravel())
        offset = (np.repeat(np.arange(BINS), counts.sum(1)) + rng.random(len(cat))) * BIN
        if self.sc.spikes:
            offset, cat = self._spikes(day, t0, lam, offset, cat)
        order = np.argsort(offset, kind="stable")
        return self._serve(day, t0, lam, offset[order], cat[order])

    def _spikes(self, day, t0, lam, offset, cat):
        rng = self.rng(day, 1)
        bins = np.arange(BINS) * BIN
        for spike, cats in zip(self.sc.spikes, self.spike_cats, strict=True):
            lo, hi = spike.start.timestamp() - t0, spike.end.timestamp() - t0
            if hi <= 0 or lo >= 86400:
                continue
            if spike.factor < 1:  # thin the category's arrivals inside the window
                inside = np.isin(cat, cats) & (offset >= lo) & (offset < hi)
                keep = ~inside | (rng.random(len(cat)) < spike.factor)
                offset, cat = offset[keep], cat[keep]
                continue
            start, end = np.clip(bins, lo, hi), np.clip(bins + BIN, lo, hi)
            extra = rng.poisson((spike.factor - 1) * lam[:, cats] * ((end - start) / BIN)[:, None])
            n = extra.ravel()
            new_cat = np.repeat(np.tile(cats, BINS), n)
            b = np.repeat(np.repeat(np.arange(BINS), len(cats)), n)
            new_off = start[b] + rng.random(len(b)) * (end - start)[b]
            offset, cat = np.concatenate([offset, new_off]), np.concatenate([cat, new_cat])
        return offset, cat

    def _serve(self, day: date, t0: int, lam: np.ndarray, offset: np.ndarray, cat: np.ndarray) -> Day:
        sc, ch, rng = self.sc, self.ch, self.rng(day, 2)
        n = len(cat)
        line = self.cat_line[cat]
        channel = (rng.random(n)[:, None] > self.channel_cum[line]).sum(1)
        channel = np.minimum(channel, len(P.CHANNELS) - 1)
        role = np.array([r[0] for r in self.cat_roles])[cat]
        multi = [i for i, r in enumerate(self.cat_roles) if len(r) > 1]
        for i in multi:
            sel = cat == i
            role[sel] = rng.choice(self.cat_roles[i], sel.sum())
        phone = np.empty(n, dtype=np.int64)
        for r, pool in enumerate(self.pools):
            sel = role == r
            phone[sel] = pool[rng.integers(0, len(pool), sel.sum())]

        def lognormal(median, sigma):
            return median[channel] * np.exp(sigma[channel] * rng.standard_normal(n))

        talk = lognormal(ch["talk_median"], ch["talk_sigma"])
        hold = np.where(rng.random(n) < ch["hold_share"][channel], lognormal(ch["hold_median"], ch["hold_sigma"]), 0)
        wrap = lognormal(ch["wrap_median"], ch["wrap_sigma"])
        wait = self._waits(rng, lam, offset, channel)
        patience = rng.exponential(1.0, n) * ch["patience_mean"][channel]

        queued = self.queued[channel]
        phone_ch = channel == P.CHANNELS.index("phone")
        offered_cb = phone_ch & (wait > P.CALLBACK_OFFER_SECONDS) & (patience > P.CALLBACK_OFFER_SECONDS)
        callback = offered_cb & (rng.random(n) < P.CALLBACK_ACCEPT)
        abandoned = queued & ~callback & (patience < wait)
        email = channel == P.CHANNELS.index("email")
        deflected = channel == P.CHANNELS.index("self_service")
        answered = ~(callback | abandoned | deflected)
        wait = np.where(email, P.EMAIL_REPLY_MEDIAN * np.exp(P.EMAIL_REPLY_SIGMA * rng.standard_normal(n)), wait)

        outcome = np.select([abandoned, callback, deflected], [1, 2, 3], 0)
        offered = t0 + offset.astype(np.int64)
        talk_i, hold_i, wrap_i = (np.rint(x).astype(np.int64) for x in (talk, hold, wrap))
        answered_at = np.where(answered, offered + np.rint(wait).astype(np.int64), NONE)
        ended = np.select(
            [answered, abandoned, callback],
            [answered_at + talk_i + hold_i, offered + np.rint(patience).astype(np.int64),
             offered + int(P.CALLBACK_OFFER_SECONDS)],
            offered + talk_i,  # self-service: the time spent with the bot
        )
        agent = np.full(n, NONE, dtype=np.int64)
        if sc.agents:
            agent[answered] = rng.integers(0, len(sc.agents), answered.sum())
        stamp = day.strftime("%Y%m%d")
        prefix = f"sim{sc.seed}-{sc.digest}-{stamp}-"
        return Day(
            day=day, id_prefix=prefix, offered=offered, answered=answered_at,
            ended=ended, talk=np.where(answered, talk_i, NONE), hold=np.where(answered, hold_i, NONE),
            wrap=np.where(answered, wrap_i, NONE), channel=channel, category=cat, line=line, role=role,
            phone=phone, outcome=outcome, agent=agent, wait=np.where(queued, wait, 0.0),
        )

    def _waits(self, rng, lam, offset, channel) -> np.ndarray:
        """Each queued contact's wait: its channel's agent pool (blended over business lines, as skills-based
        routing does) is staffed each half hour for the forecast load and meets the load that arrived."""
        ch, n_ch, n_lines = self.ch, len(P.CHANNELS), len(self.lines)
        slot = np.minimum((offset // STAFF_INTERVAL).astype(np.int64), STAFF_BINS - 1)
        # forecast per channel and half hour: each line's rate split by its channel mix
        per_bin_line = np.stack([lam[:, self.cat_line == i].sum(1) for i in range(n_lines)], 1)
        mix = np.diff(np.concatenate([np.zeros((n_lines, 1)), self.channel_cum], 1), axis=1)
        per_bin = per_bin_line @ mix  # BINS × channels
        forecast = per_bin.reshape(STAFF_BINS, -1, n_ch).sum(1).T  # channels × half hours
        actual = np.bincount(channel * STAFF_BINS + slot, minlength=n_ch * STAFF_BINS).reshape(n_ch, STAFF_BINS)
        aht, conc = self.aht[:, None], ch["concurrency"][:, None]
        need = required_servers(forecast / STAFF_INTERVAL * aht, aht, ch["sl_target"][:, None],
                                ch["sl_seconds"][:, None])
        agents = np.maximum(1, np.rint(np.ceil(need / conc) * P.STAFFING_FACTOR))
        servers = (agents * conc).astype(np.int64)
        p_wait, mean = wait_parameters(servers, actual / STAFF_INTERVAL * aht, aht, ch["patience_mean"][:, None],
                                       P.MAX_OCCUPANCY)
        waits = sample_waits(rng, p_wait[channel, slot], mean[channel, slot])
        return np.where(self.queued[channel], waits, 0.0)


_SEQUENCE = np.array([], dtype=object)


def _sequence(n: int) -> np.ndarray:
    """"000000", "000001"… as an object array (made once, grown when a day needs more)."""
    global _SEQUENCE
    if len(_SEQUENCE) < n:
        _SEQUENCE = np.array([f"{k:06d}" for k in range(max(n, 2 * len(_SEQUENCE), 100_000))], dtype=object)
    return _SEQUENCE[:n]


def _bin_shape(hourly: tuple[float, ...]) -> np.ndarray:
    """The hour-of-day weights as a share per five-minute bin: linear between hour midpoints, sum 1."""
    mids = np.arange(BINS) * BIN / 3600 + BIN / 7200  # bin midpoints in hours
    x = np.arange(-1, 25) + 0.5
    y = np.array([hourly[-1], *hourly, hourly[0]], dtype=float)
    shape = np.interp(mids, x, y)
    return shape / shape.sum()


def generate(scenario: Scenario) -> Iterator[Day]:
    """The scenario's contacts, a day at a time."""
    model = Model(scenario)
    for k in range(scenario.days):
        yield model.day(scenario.start + timedelta(days=k))
