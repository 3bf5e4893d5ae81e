"""Keeping the search index in step with the articles: a published article's terms are in ``kb_postings``
(with their field-weighted frequencies), its filters in ``kb_docs``; any other article is not indexed.
Document frequencies (``kb_terms``) and the corpus totals (``kb_index_stats``) change with it."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kefu.kb import lexicon, segment
from kefu.kb.models import Article, IndexStats, Posting, SearchDoc, Term
from kefu.kb.ranking import field_frequencies, impact, plain_text

MAX_TERM = 40


def article_terms(article: Article) -> tuple[Counter, int]:
    """The weighted term frequencies and length of an article (title, tags, body)."""
    tags = [t for tag in (article.tags or []) for t in segment.terms(tag)]
    tf, length = field_frequencies(title=segment.terms(article.title), tags=tags,
                                   body=segment.terms(plain_text(article.body)))
    return Counter({t: n for t, n in tf.items() if len(t) <= MAX_TERM}), length


def searchable(article: Article) -> bool:
    return article.status == "published"


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _bump_terms(session: Session, terms: list[str], delta: int) -> None:
    if not terms:
        return
    if delta > 0:
        stmt = _insert(session)(Term).values([{"term": t, "df": delta} for t in terms])
        session.execute(stmt.on_conflict_do_update(index_elements=["term"], set_={"df": Term.df + delta}))
    else:
        session.execute(update(Term).where(Term.term.in_(terms)).values(df=Term.df + delta)
                        .execution_options(synchronize_session=False))


def _bump_stats(session: Session, docs: int, length: int) -> None:
    stmt = _insert(session)(IndexStats).values(id=1, docs=docs, total_length=length)
    session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={
        "docs": IndexStats.docs + docs, "total_length": IndexStats.total_length + length}))


def remove(session: Session, article_id: int) -> None:
    doc = session.get(SearchDoc, article_id)
    if doc is None:
        return
    terms = list(session.scalars(select(Posting.term).where(Posting.article_id == article_id)))
    session.execute(delete(Posting).where(Posting.article_id == article_id))
    _bump_terms(session, terms, -1)
    _bump_stats(session, -1, -doc.length)
    session.delete(doc)
    session.flush()


def index_article(session: Session, article: Article) -> None:
    """(Re)index ``article``: removed first, added back when it is published."""
    lexicon.current(session)
    remove(session, article.id)
    if not searchable(article):
        return
    tf, length = article_terms(article)
    platforms = "," + ",".join(sorted(article.platforms)) + "," if article.platforms else ""
    session.add(SearchDoc(article_id=article.id, length=length, internal_only=article.internal_only,
                          product=article.product, platforms=platforms))
    session.flush()
    stats = session.execute(select(IndexStats.docs, IndexStats.total_length)).first()
    avgdl = (stats.total_length + length) / (stats.docs + 1) if stats and stats.docs > 0 else max(length, 1)
    if tf:
        session.execute(_insert(session)(Posting).values(
            [{"term": t, "article_id": article.id, "tf": n, "length": length,
              "impact": round(impact(n, length, avgdl), 9)} for t, n in tf.items()]))
    _bump_terms(session, list(tf), +1)
    _bump_stats(session, 1, length)
    session.flush()


def reindex(session: Session, *, article_ids: list[int] | None = None, progress=None) -> int:
    """Index the articles again (all, or these): after the dictionary changed. Returns how many."""
    stmt = select(Article).order_by(Article.id)
    if article_ids is not None:
        stmt = stmt.where(Article.id.in_(article_ids))
    n = 0
    for article in session.scalars(stmt):
        index_article(session, article)
        n += 1
        if progress:
            progress(1)
    return n
