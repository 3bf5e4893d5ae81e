"""The ticket life cycle as plain data: which status may follow which, and tiers.

    new ─▶ open ◀─▶ pending
     │      │  ▲       │
     │      ▼  │       ▼
     └──▶ escalated ─▶ resolved ─▶ closed
                          │
                          └──▶ open (reopened)

``escalated`` is entered only through escalation (with a reason), never by a
plain status change.
"""

from __future__ import annotations

TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"open", "pending", "escalated", "resolved", "closed"}),
    "open": frozenset({"pending", "escalated", "resolved"}),
    "pending": frozenset({"open", "escalated", "resolved"}),
    "escalated": frozenset({"open", "pending", "resolved"}),
    "resolved": frozenset({"open", "closed"}),
    "closed": frozenset(),
}
ACTIVE = frozenset({"new", "open", "pending", "escalated"})
TIER_NAMES = {1: "一线客服", 2: "组长(线下升级)", 3: "投诉处理专员"}
MIN_TIER, MAX_TIER = 1, 3


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def allowed_manual_targets(current: str) -> list[str]:
    """Statuses a user may pick directly (escalation has its own action)."""
    return sorted(TRANSITIONS.get(current, frozenset()) - {"escalated"})


def next_tier(tier: int) -> int | None:
    return tier + 1 if tier < MAX_TIER else None


def previous_tier(tier: int) -> int | None:
    return tier - 1 if tier > MIN_TIER else None
