"""The segmenter's user dictionary and the synonyms, read from the store (admins edit them) and kept per
process: every search compares the rows with what this process loaded (a few dozen rows) and reloads on a
change, so an edit made through any worker is seen by all of them."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from kefu.kb import segment
from kefu.kb.models import DictionaryWord, SynonymGroup

_LOCK = threading.Lock()


@dataclass(frozen=True)
class Lexicon:
    key: tuple = ()
    synonyms: dict[str, list[list[str]]] = field(default_factory=dict)  # term -> alternatives' terms
    words: frozenset[str] = frozenset()  # the dictionary's words and the synonyms' (what typos are corrected to)


_CURRENT: list[Lexicon] = [Lexicon()]


def _synonym_map(groups: list[list[str]]) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for group in groups:
        members = [segment.normalize(w).strip() for w in group if w and w.strip()]
        for member in members:
            others = [segment.terms(o) for o in members if o != member]
            out.setdefault(member, []).extend(t for t in others if t)
    return out


# One row per table, (tag, rows, greatest id, latest creation as text): changes when a word or a synonym group is
# added or removed (rows are never edited in place). ``kb.search`` reads it within its own statement.
SIGNATURE_SQL = ("SELECT 0 AS tag, count(*) AS n, max(id) AS top, CAST(max(created_at) AS VARCHAR) AS at FROM kb_words "
                 "UNION ALL SELECT 1, count(*), max(id), CAST(max(created_at) AS VARCHAR) FROM kb_synonyms")
_SIGNATURE = text(SIGNATURE_SQL)


def signature_of(rows) -> tuple:
    """The signature from the rows of ``SIGNATURE_SQL`` (tag, rows, greatest id, latest creation)."""
    return tuple((int(n), top, at) for _tag, n, top, at in sorted(rows, key=lambda r: r[0]))


def _signature(session: Session) -> tuple:
    return signature_of(session.connection().execute(_SIGNATURE).all())


def cached() -> Lexicon:
    """What this process loaded last (``key`` empty: nothing yet); ``kb.search`` checks its signature itself."""
    return _CURRENT[0]


def current(session: Session, signature: tuple | None = None) -> Lexicon:
    """The dictionary and synonyms as the store has them now, loaded into the segmenter (``signature``: the
    store's, when the caller has just read it)."""
    signature = _signature(session) if signature is None else signature
    lex = _CURRENT[0]
    if lex.key and lex.key[0] == signature:
        return lex
    words = tuple(session.scalars(select(DictionaryWord.word).order_by(DictionaryWord.id)))
    groups = tuple(tuple(g) for g in session.scalars(select(SynonymGroup.words).order_by(SynonymGroup.id)))
    key = (signature, words, groups)
    if lex.key == key:
        return lex
    with _LOCK:
        segment.set_words(list(words) + [w for g in groups for w in g])
        known = {segment.normalize(w) for w in words} | {segment.normalize(w) for g in groups for w in g}
        lex = Lexicon(key=key, synonyms=_synonym_map([list(g) for g in groups]), words=frozenset(known))
        _CURRENT[0] = lex
    return lex


def forget() -> None:
    """Reload from the store at the next search (the segmenter's words were changed by hand)."""
    _CURRENT[0] = Lexicon()
