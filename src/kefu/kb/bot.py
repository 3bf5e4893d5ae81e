"""The self-service bot's decisions (智能客服), pure: given what the customer wrote and the search's best
articles with their confidence (score over the best the query could reach), answer with one article, offer
the top three, ask the customer to say more, or hand over to a human (转人工).

- the customer asks for a person (转人工, 人工客服 …): hand over;
- nothing found for a first message with no known words (你好): ask them to describe the problem;
- nothing found, or the best article's confidence below ``LOW``: hand over (low confidence);
- the best article clearly ahead (confidence ≥ ``CONFIDENT`` and ``MARGIN`` times the next): answer with it;
- otherwise offer the top three.
After an answer the customer says 有用 (resolved) or 没用 (a failed answer); the second failed answer hands over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CONFIDENT = 0.45
LOW = 0.2
MARGIN = 1.25
OPTIONS = 3
MAX_FAILURES = 2
_HUMAN = re.compile(r"转人工|人工客服|人工服务|找人工|要人工|接人工|真人|人工坐席|客服小姐姐|活人|\bhuman\b|\bagent\b",
                    re.I)


@dataclass(frozen=True)
class Candidate:
    id: int
    confidence: float


@dataclass(frozen=True)
class Decision:
    action: str  # answer | options | clarify | handoff | resolved | retry
    article_ids: tuple[int, ...] = ()
    reason: str | None = None  # why a handover: asked | low_confidence | failed_twice


def wants_human(text: str) -> bool:
    return bool(_HUMAN.search(text or "")) or (text or "").strip() in ("人工", "客服")


def decide(text: str, candidates: list[Candidate], *, failures: int) -> Decision:
    """What the bot does with the customer's message."""
    if wants_human(text):
        return Decision("handoff", reason="asked")
    if not candidates:
        return Decision("clarify") if failures == 0 else Decision("handoff", reason="low_confidence")
    top = candidates[0]
    if top.confidence < LOW:
        return Decision("handoff", reason="low_confidence")
    runner_up = candidates[1].confidence if len(candidates) > 1 else 0.0
    if top.confidence >= CONFIDENT and top.confidence >= MARGIN * runner_up:
        return Decision("answer", (top.id,))
    return Decision("options", tuple(c.id for c in candidates[:OPTIONS]))


def after_feedback(*, helpful: bool, failures: int) -> Decision:
    """The customer said whether the answer helped; ``failures`` counts the failed answers before this one."""
    if helpful:
        return Decision("resolved")
    if failures + 1 >= MAX_FAILURES:
        return Decision("handoff", reason="failed_twice")
    return Decision("retry")
