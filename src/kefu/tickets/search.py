"""Chinese full-text search over ticket subject and description.

Text is pre-segmented into character bigrams for runs of CJK characters and
lower-cased words for Latin letters and digits, each written as an ASCII token
(``c90006b3e`` for 退款: ``c`` and four hex digits per character, no separator,
so PostgreSQL's parser keeps it whole as one ``numword``; every CJK range below
is in the BMP and above U+3400, so four digits are exact), so the same
``search_text`` column is indexed by SQLite FTS5 and by PostgreSQL's
``to_tsvector('simple', …)`` whatever the server's locale, and both return the
same tickets. A query matches a ticket when every token of the query occurs in it.
"""

from __future__ import annotations

import re
import unicodedata

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[0-9a-z]+")


def _is_cjk(ch: str) -> bool:
    return bool(re.match(rf"[{_CJK}]", ch))


def _cjk_token(chars: str) -> str:
    return "c" + "".join(f"{ord(c):04x}" for c in chars)


def tokens(text: str) -> list[str]:
    """Index tokens of ``text``: CJK bigrams (a lone CJK character stands alone) and words."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    out: list[str] = []
    for run in _RUN.findall(text):
        if _is_cjk(run[0]):
            if len(run) == 1:
                out.append(_cjk_token(run))
            else:
                out.extend(_cjk_token(run[i : i + 2]) for i in range(len(run) - 1))
        else:
            out.append("w" + run)
    return out


def index_text(*parts: str) -> str:
    """The ``search_text`` of a ticket: its distinct tokens, space separated."""
    seen: dict[str, None] = {}
    for part in parts:
        for tok in tokens(part):
            seen.setdefault(tok, None)
    return " ".join(seen)


def query_tokens(query: str) -> list[str]:
    """Distinct tokens a query needs; a lone CJK character is searched as a substring instead."""
    result: dict[str, None] = {}
    for tok in tokens(query):
        result.setdefault(tok, None)
    return list(result)


def needs_substring_fallback(query: str) -> bool:
    """A single CJK character has no bigram: such a query is answered by LIKE."""
    toks = query_tokens(query)
    return any(t.startswith("c") and len(t) == 5 for t in toks)
