"""Admins' edits of the segmenter's user dictionary and the synonyms. A new word changes how texts are cut,
so the articles that contain it are indexed again at once."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kefu.audit.service import record
from kefu.core.context import Actor
from kefu.core.errors import Conflict, Invalid, NotFound
from kefu.kb import index, segment
from kefu.kb.models import Article, DictionaryWord, SynonymGroup

WORD_KINDS = ("term", "merchant", "campaign")


def _clean(word: str, field: str = "word") -> str:
    word = segment.normalize(word).strip()
    if not word or len(word) > 40 or any(c.isspace() for c in word):
        raise Invalid("a word is 1–40 characters without spaces", field=field)
    return word


def _reindex_containing(session: Session, words: list[str]) -> int:
    if not words:
        return 0
    ids = list(session.scalars(select(Article.id).where(Article.status == "published", or_(
        *[Article.title.contains(w, autoescape=True) | Article.body.contains(w, autoescape=True) for w in words]))))
    return index.reindex(session, article_ids=ids)


def add_word(session: Session, *, actor: Actor, word: str, kind: str = "term") -> DictionaryWord:
    word = _clean(word)
    if kind not in WORD_KINDS:
        raise Invalid(f"kind is one of {', '.join(WORD_KINDS)}", field="kind")
    if session.scalar(select(DictionaryWord.id).where(DictionaryWord.word == word)) is not None:
        raise Conflict(f"{word!r} is already in the dictionary", field="word")
    row = DictionaryWord(word=word, kind=kind, created_at=actor.now)
    session.add(row)
    session.flush()
    record(session, actor=actor, action="kb.word.add", target_type="kb_word", target_id=row.id,
           detail={"word": word, "kind": kind})
    _reindex_containing(session, [word])
    return row


def delete_word(session: Session, *, actor: Actor, word_id: int) -> None:
    row = session.get(DictionaryWord, word_id)
    if row is None:
        raise NotFound(f"no dictionary word {word_id}")
    record(session, actor=actor, action="kb.word.delete", target_type="kb_word", target_id=row.id,
           detail={"word": row.word})
    session.delete(row)
    session.flush()


def add_synonyms(session: Session, *, actor: Actor, words: list[str]) -> SynonymGroup:
    cleaned = list(dict.fromkeys(_clean(w, "words") for w in words))
    if len(cleaned) < 2:
        raise Invalid("a synonym group has at least two different words", field="words")
    group = SynonymGroup(words=cleaned, created_at=actor.now)
    session.add(group)
    session.flush()
    record(session, actor=actor, action="kb.synonyms.add", target_type="kb_synonyms", target_id=group.id,
           detail={"words": cleaned})
    _reindex_containing(session, [w for w in cleaned if w not in segment.known_words()])
    return group


def delete_synonyms(session: Session, *, actor: Actor, group_id: int) -> None:
    group = session.get(SynonymGroup, group_id)
    if group is None:
        raise NotFound(f"no synonym group {group_id}")
    record(session, actor=actor, action="kb.synonyms.delete", target_type="kb_synonyms", target_id=group.id,
           detail={"words": group.words})
    session.delete(group)
    session.flush()


def list_words(session: Session) -> list[DictionaryWord]:
    return list(session.scalars(select(DictionaryWord).order_by(DictionaryWord.kind, DictionaryWord.id)))


def list_synonyms(session: Session) -> list[SynonymGroup]:
    return list(session.scalars(select(SynonymGroup).order_by(SynonymGroup.id)))
