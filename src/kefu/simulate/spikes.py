"""``--spike CATEGORY@TIME×FACTOR[+DURATION]``: an incident that multiplies one category's arrivals.

``food_safety@2026-11-20T18:00×8+3h`` — from 18:00 (center time, +08:00 unless the time names its own
offset) for three hours, 食品安全 contacts arrive at eight times their usual rate. ``x`` or ``*`` may stand
for ``×``; the duration is ``90m``, ``3h``, ``1d`` or a sum such as ``2h30m`` (default two hours).
CATEGORY is a full code (``waimai.merchant.food_safety``), its last part (``food_safety``) or a code
prefix naming a subtree (``waimai.delivery``: every delivery category).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

CENTER_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
DEFAULT_DURATION = timedelta(hours=2)
_SPEC = re.compile(r"^(?P<cat>[A-Za-z0-9_.]+)@(?P<at>[^×xX*]+)[×xX*](?P<factor>[0-9.]+)(?:\+(?P<dur>[0-9dhm]+))?$")
_DUR = re.compile(r"(\d+)([dhm])")


@dataclass(frozen=True)
class Spike:
    codes: tuple[str, ...]  # the leaf categories it multiplies
    start: datetime  # aware
    end: datetime
    factor: float

    @property
    def label(self) -> str:
        hours = (self.end - self.start).total_seconds() / 3600
        return f"{','.join(self.codes)} ×{self.factor:g} from {self.start.isoformat()} for {hours:g} h"


class SpikeError(ValueError):
    """A --spike that cannot be read; the message says why and how to write it."""


def parse_duration(text: str) -> timedelta:
    parts = _DUR.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise SpikeError(f"duration {text!r} is not like 90m, 3h, 1d or 2h30m")
    unit = {"d": 86400, "h": 3600, "m": 60}
    total = timedelta(seconds=sum(int(n) * unit[u] for n, u in parts))
    if total <= timedelta(0):
        raise SpikeError("a spike lasts at least a minute")
    return total


def parse_spike(text: str, codes: list[str]) -> Spike:
    """Read one ``--spike``; ``codes`` are the leaf category codes it may name."""
    match = _SPEC.match(text.strip())
    if match is None:
        raise SpikeError(f"--spike {text!r} is not CATEGORY@TIME×FACTOR[+DURATION], "
                         "e.g. food_safety@2026-11-20T18:00×8+3h")
    try:
        start = datetime.fromisoformat(match["at"])
    except ValueError:
        raise SpikeError(f"--spike time {match['at']!r} is not an ISO date-time such as 2026-11-20T18:00") from None
    if start.tzinfo is None:
        start = start.replace(tzinfo=CENTER_TZ)
    try:
        factor = float(match["factor"])
    except ValueError:
        raise SpikeError(f"--spike factor {match['factor']!r} is not a number") from None
    if not 0 <= factor <= 1000:
        raise SpikeError("--spike factor must be between 0 and 1000")
    duration = parse_duration(match["dur"]) if match["dur"] else DEFAULT_DURATION
    return Spike(resolve_category(match["cat"], codes), start, start + duration, factor)


def resolve_category(name: str, codes: list[str]) -> tuple[str, ...]:
    if name in codes:
        return (name,)
    subtree = tuple(c for c in codes if c.startswith(name + "."))
    if subtree:
        return subtree
    by_last = tuple(c for c in codes if c.rsplit(".", 1)[-1] == name)
    if len(by_last) == 1:
        return by_last
    if by_last:
        raise SpikeError(f"category {name!r} is ambiguous: {', '.join(by_last)}")
    near = [c for c in codes if name in c][:5]
    hint = f" (did you mean {', '.join(near)}?)" if near else ""
    raise SpikeError(f"no category {name!r}{hint}")
