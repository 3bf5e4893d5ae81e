"""The segmenter's user dictionary and the synonyms, read from the store (admins edit them) and kept per
process: every search compares the rows with what this process loaded (a few dozen rows) and reloads on a
change, so an edit made through any worker is seen by all of them."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import func, select
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


def _signature(session: Session) -> tuple:
    """Changes when a word or a synonym group is added or removed (rows are never edited in place)."""
    conn = session.connection()
    return tuple(conn.execute(select(func.count(), func.max(m.id), func.max(m.created_at))).one()
                 for m in (DictionaryWord, SynonymGroup))


def current(session: Session) -> Lexicon:
    """The dictionary and synonyms as the store has them now, loaded into the segmenter."""
    signature = _signature(session)
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
