"""Search ranking pieces that need no store: BM25's weights, the field weights of a term's frequency,
synonym expansion, the edit distance of the typo fallback and highlighted snippets. Pure functions.

BM25 (Robertson/Spärck Jones, Lucene's non-negative IDF):
``score(D, Q) = Σ idf(t) · w(t) · tf(t, D)·(k1+1) / (tf(t, D) + k1·(1 − b + b·|D|/avgdl))`` where ``tf`` is
the field-weighted frequency (a title hit counts ``TITLE_WEIGHT`` times, a tag ``TAG_WEIGHT``, the body once),
``|D|`` the article's number of terms and ``w(t)`` the query term's weight (1, less for a synonym or a typo
correction).
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping

K1 = 1.2
B = 0.75
TITLE_WEIGHT = 3
TAG_WEIGHT = 2
BODY_WEIGHT = 1
SYNONYM_WEIGHT = 0.9  # a synonym of a word the articles do not use (退钱 → 退款)
KNOWN_SYNONYM_WEIGHT = 0.4  # a synonym of a word they use too: a hint, not the question (红包 → 优惠券)
TYPO_WEIGHT = 0.7


def idf(*, docs: int, df: int) -> float:
    """Non-negative BM25 IDF: ``ln(1 + (N − df + 0.5)/(df + 0.5))``."""
    return math.log(1.0 + (docs - df + 0.5) / (df + 0.5))


def field_frequencies(*, title: list[str], tags: list[str], body: list[str]) -> tuple[Counter, int]:
    """Weighted term frequencies of an article and its length in terms."""
    tf: Counter = Counter()
    for terms, weight in ((title, TITLE_WEIGHT), (tags, TAG_WEIGHT), (body, BODY_WEIGHT)):
        for term in terms:
            tf[term] += weight
    return tf, len(title) + len(tags) + len(body)


def bm25(tf: float, dl: float, avgdl: float, term_idf: float) -> float:
    """One term's BM25 contribution (the SQL in ``kb.search`` computes the same expression)."""
    return term_idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / avgdl))


def impact(tf: float, dl: float, avgdl: float) -> float:
    """BM25 without the IDF: how strongly one article is about one term (orders a term's postings)."""
    return tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / avgdl))


def expand(terms: Iterable[str], synonyms: Mapping[str, list[list[str]]],
           known: Callable[[str], bool] = lambda _t: False) -> dict[str, float]:
    """Query terms with their weights: each term 1.0, and the terms of its synonyms at ``SYNONYM_WEIGHT``
    (退钱 → 退款), or ``KNOWN_SYNONYM_WEIGHT`` when ``known(term)`` (the articles use the customer's own word),
    unless the query has them itself."""
    weights: dict[str, float] = {}
    for term in terms:
        weights[term] = 1.0
    for term in list(weights):
        weight = KNOWN_SYNONYM_WEIGHT if known(term) else SYNONYM_WEIGHT
        for alternative in synonyms.get(term, []):
            for alt in alternative:
                weights[alt] = max(weights.get(alt, 0.0), weight)
    return weights


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Levenshtein distance of two short words, capped at ``limit + 1`` (推款 ~ 退款 is 1)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return min(previous[-1], limit + 1)


def closest(term: str, vocabulary: Iterable[tuple[str, int]], platform_words: frozenset[str] | None = None
            ) -> str | None:
    """The known word a mistyped ``term`` most likely meant: edit distance 1 (2 for words of 5+ characters),
    sharing a character, the most frequent first. ``vocabulary``: (word, document frequency). A two-character
    term shares only one character with such a word, too loose a match (量子 → 电子): it is corrected only to
    one of the ``platform_words`` (the dictionary and synonyms: 推款 → 退款, 发漂 → 发票)."""
    if len(term) < 2:
        return None
    limit = 1 if len(term) < 5 else 2
    best: tuple[int, int, str] | None = None
    for word, df in vocabulary:
        if len(word) < 2 or word == term or not set(word) & set(term):
            continue
        if len(term) == 2 and platform_words is not None and word not in platform_words:
            continue
        d = edit_distance(term, word, limit)
        if d <= limit and (best is None or (d, -df, word) < best):
            best = (d, -df, word)
    return best[2] if best else None


_MD = [(re.compile(r"```.*?```", re.S), " "), (re.compile(r"!\[[^\]]*\]\([^)]*\)"), " "),
       (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"), (re.compile(r"^\s{0,3}(#{1,6}|[-*+]|\d+\.|>)\s*", re.M), ""),
       (re.compile(r"[*_`~|]+"), ""), (re.compile(r"\s+"), " ")]


def plain_text(markdown: str) -> str:
    """Markdown without its markup, one line: what a snippet is cut from."""
    text = markdown or ""
    for pattern, repl in _MD:
        text = pattern.sub(repl, text)
    return text.strip()


def snippet(text: str, needles: Iterable[str], *, width: int = 80) -> str:
    """A window of ``text`` (about ``width`` characters) around the densest hits of ``needles``, HTML-escaped,
    each hit wrapped in ``<mark>``; the start of the text when nothing matches."""
    lowered = text.lower()
    needles = sorted({n.lower() for n in needles if n.strip()}, key=len, reverse=True)
    hits: list[tuple[int, int]] = []
    for needle in needles:
        start = lowered.find(needle)
        while start >= 0:
            end = start + len(needle)
            if not any(s < end and start < e for s, e in hits):
                hits.append((start, end))
            start = lowered.find(needle, end)
    hits.sort()
    begin = _window(hits, width, len(text))
    end = min(len(text), begin + width)
    out, at = [], begin
    for s, e in hits:
        if s < begin or e > end:
            continue
        out.append(html.escape(text[at:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        at = e
    out.append(html.escape(text[at:end]))
    return ("…" if begin > 0 else "") + "".join(out) + ("…" if end < len(text) else "")


def _window(hits: list[tuple[int, int]], width: int, length: int) -> int:
    """Where the window with the most hits starts (a little before its first hit)."""
    if not hits:
        return 0
    best, best_count = hits[0][0], 0
    for i, (s, _e) in enumerate(hits):
        count = sum(1 for s2, e2 in hits[i:] if e2 <= s + width)
        if count > best_count:
            best, best_count = s, count
    return max(0, min(best - width // 5, length - width))
