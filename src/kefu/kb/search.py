"""Searching the knowledge base: the query segmented like the articles, synonyms added (退钱 → 退款), unknown
words corrected against the index's vocabulary (推款 → 退款), then BM25 over title, tags and body in one
SQLAlchemy query that SQLite and PostgreSQL run alike (no engine-specific ranking), so both stores return the
same articles in the same order. Snippets are cut around the hits and highlighted with ``<mark>``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Float, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from kefu.kb import lexicon, ranking, segment
from kefu.kb.models import Article, IndexStats, Posting, SearchDoc, Term
from kefu.kb.ranking import K1, TYPO_WEIGHT, B

MAX_QUERY_TERMS = 32
SCORE_DIGITS = 6


@dataclass
class Hit:
    id: int
    title: str
    score: float
    confidence: float  # score / the best score this query could reach (0…1)
    snippet: str


@dataclass
class Query:
    weights: dict[str, float]  # term -> weight (1 for the query's own words)
    idf: dict[str, float]
    docs: int
    avgdl: float
    corrected: dict[str, str]  # typo -> the known word used instead

    @property
    def ideal(self) -> float:
        return sum(self.idf[t] * w * (K1 + 1) for t, w in self.weights.items() if t in self.idf) or 1.0


def _vocabulary(session: Session, term: str) -> list[tuple[str, int]]:
    """Known words of about ``term``'s length sharing a character with it."""
    chars = sorted(set(term))[:6]
    stmt = select(Term.term, Term.df).where(Term.df > 0, func.length(Term.term).between(len(term) - 1, len(term) + 1),
                                            or_(*[Term.term.contains(c, autoescape=True) for c in chars]))
    return [(t, df) for t, df in session.execute(stmt)]


def prepare(session: Session, text: str) -> Query | None:
    """The weighted terms of a query and their IDFs; None when nothing in it is known to the index."""
    lex = lexicon.current(session)
    own = list(dict.fromkeys(segment.terms(text)))[:MAX_QUERY_TERMS]
    weights = ranking.expand(own, lex.synonyms)
    stats = session.get(IndexStats, 1)
    if not weights or stats is None or stats.docs <= 0:
        return None
    dfs = dict(session.execute(select(Term.term, Term.df).where(Term.term.in_(list(weights)), Term.df > 0)).all())
    corrected: dict[str, str] = {}
    for term in own:
        if term not in dfs and not any(a in dfs for alt in lex.synonyms.get(term, []) for a in alt):
            fix = ranking.closest(term, _vocabulary(session, term), lex.words)
            if fix:
                corrected[term] = fix
                weights.setdefault(fix, TYPO_WEIGHT)
                dfs.setdefault(fix, session.scalar(select(Term.df).where(Term.term == fix)) or 0)
    weights = {t: w for t, w in weights.items() if dfs.get(t)}
    if not weights:
        return None
    idf = {t: ranking.idf(docs=stats.docs, df=dfs[t]) for t in weights}
    return Query(weights=weights, idf=idf, docs=stats.docs, avgdl=stats.total_length / stats.docs,
                 corrected=corrected)


def _ranked(session: Session, query: Query, *, limit: int, audience: str, platform: str | None,
            product: str | None, exclude: tuple[int, ...]) -> list[tuple[int, float]]:
    factor = case({t: query.idf[t] * w for t, w in query.weights.items()}, value=Posting.term, else_=0.0)
    tf = cast(Posting.tf, Float)
    norm = literal(K1 * (1 - B)) + cast(Posting.length, Float) * (K1 * B / query.avgdl)
    score = func.sum(factor * tf * (K1 + 1) / (tf + norm)).label("score")
    stmt = select(Posting.article_id, score).where(Posting.term.in_(list(query.weights)))
    if audience == "customer" or platform or product:
        stmt = stmt.join(SearchDoc, SearchDoc.article_id == Posting.article_id)
        if audience == "customer":
            stmt = stmt.where(SearchDoc.internal_only.is_(False))
        if platform:
            stmt = stmt.where(or_(SearchDoc.platforms == "", SearchDoc.platforms.contains(f",{platform},")))
        if product:
            stmt = stmt.where(SearchDoc.product == product)
    if exclude:
        stmt = stmt.where(Posting.article_id.not_in(exclude))
    stmt = stmt.group_by(Posting.article_id).order_by(score.desc(), Posting.article_id).limit(limit + 5)
    rows = [(aid, round(float(s), SCORE_DIGITS)) for aid, s in session.execute(stmt)]
    rows.sort(key=lambda r: (-r[1], r[0]))  # the two stores' last-bit differences never reorder ties
    return rows[:limit]


def search(session: Session, text: str, *, limit: int = 10, audience: str = "staff", platform: str | None = None,
           product: str | None = None, exclude: tuple[int, ...] = ()) -> list[Hit]:
    """Published articles best answering ``text``, best first. ``audience="customer"`` leaves out internal-only
    articles."""
    query = prepare(session, text)
    if query is None:
        return []
    rows = _ranked(session, query, limit=limit, audience=audience, platform=platform, product=product,
                   exclude=exclude)
    if not rows:
        return []
    articles = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_([r[0] for r in rows])))}
    needles = set(query.weights) | set(query.corrected) | {w for w in segment.words(text) if len(w) > 1}
    ideal = query.ideal
    return [Hit(id=aid, title=articles[aid].title, score=score, confidence=min(1.0, score / ideal),
                snippet=ranking.snippet(ranking.plain_text(articles[aid].body), needles))
            for aid, score in rows if aid in articles]
