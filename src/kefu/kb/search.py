"""Searching the knowledge base: the query segmented like the articles, synonyms added (退钱 → 退款), unknown
words corrected against the index's vocabulary (推款 → 退款), then BM25 over title, tags and body in one
SQLAlchemy query that SQLite and PostgreSQL run alike (no engine-specific ranking), so both stores return the
same articles in the same order. Snippets are cut around the hits and highlighted with ``<mark>``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Float, case, cast, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from kefu.kb import lexicon, ranking, segment
from kefu.kb.models import Article, IndexStats, Posting, SearchDoc, Term
from kefu.kb.ranking import K1, TYPO_WEIGHT, B

MAX_QUERY_TERMS = 32
SCORE_DIGITS = 6
CHAMPIONS = 200  # postings read per query term (kb.search._champions)


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
    stats = session.execute(select(IndexStats.docs, IndexStats.total_length)).first()
    if not own or stats is None or stats.docs <= 0:
        return None
    wanted = set(own) | {a for t in own for alt in lex.synonyms.get(t, []) for a in alt}
    dfs = dict(session.execute(select(Term.term, Term.df).where(Term.term.in_(list(wanted)), Term.df > 0)).all())
    weights = ranking.expand(own, lex.synonyms, known=dfs.__contains__)
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


def _champions(session: Session, query: Query) -> dict[str, list[tuple[int, int, int]]]:
    """Each term's best ``CHAMPIONS`` postings (article, tf, length), by impact (the whole list for a term in
    fewer articles), all terms in one statement."""
    parts = []
    for term in query.weights:
        inner = (select(Posting.term, Posting.article_id, Posting.tf, Posting.length).where(Posting.term == term)
                 .order_by(Posting.impact.desc(), Posting.article_id.desc()).limit(CHAMPIONS).subquery())
        parts.append(select(inner))
    out: dict[str, list[tuple[int, int, int]]] = {t: [] for t in query.weights}
    for term, aid, tf, length in session.connection().execute(union_all(*parts)):
        out[term].append((aid, tf, length))
    return out


def _allowed(session: Session, ids: list[int], *, audience: str, platform: str | None, product: str | None
             ) -> set[int]:
    if audience != "customer" and not platform and not product:
        return set(ids)
    stmt = select(SearchDoc.article_id).where(SearchDoc.article_id.in_(ids))
    if audience == "customer":
        stmt = stmt.where(SearchDoc.internal_only.is_(False))
    if platform:
        stmt = stmt.where(or_(SearchDoc.platforms == "", SearchDoc.platforms.contains(f",{platform},")))
    if product:
        stmt = stmt.where(SearchDoc.product == product)
    return set(session.connection().execute(stmt).scalars())


def _ranked(session: Session, query: Query, *, limit: int, audience: str, platform: str | None,
            product: str | None, exclude: tuple[int, ...]) -> list[tuple[int, float]]:
    """The best articles by BM25 among the terms' champion lists (Manning et al., *Introduction to Information
    Retrieval* §7.1.3): an article is a candidate when it is among a query term's ``CHAMPIONS`` best; candidates
    are ranked by their scores from the lists plus, for a list that was cut, the most the rest of it could add;
    the best are then scored exactly. A term in at most ``CHAMPIONS`` articles has its whole list, so a small
    base is ranked exactly. The same rows in, the same ranking out, on either store."""
    lists = _champions(session, query)
    partial: dict[int, float] = {}
    covered: dict[int, float] = {}  # the bounds of the cut lists an article is in (already scored there)
    rest = 0.0
    k1, b, avgdl = K1, B, query.avgdl
    for term, rows in lists.items():
        factor = query.idf[term] * query.weights[term] * (k1 + 1)
        for aid, tf, length in rows:  # ranking.bm25, inlined: this loop runs for every posting read
            partial[aid] = partial.get(aid, 0.0) + factor * tf / (tf + k1 * (1 - b + b * length / avgdl))
        if len(rows) == CHAMPIONS:  # cut: the rest score at most what its last one does (when indexed)
            _, tf, length = rows[-1]
            bound = factor * tf / (tf + k1 * (1 - b + b * length / avgdl))
            rest += bound
            for aid, _tf, _length in rows:
                covered[aid] = covered.get(aid, 0.0) + bound
    allowed = _allowed(session, list(partial), audience=audience, platform=platform, product=product)
    excluded = set(exclude)
    ids = [a for a in partial if a in allowed and a not in excluded]
    optimistic = {a: partial[a] + rest - covered.get(a, 0.0) for a in ids} if rest else partial
    best = sorted(ids, key=lambda a: (-optimistic[a], a))[:max(limit * 2, 10)]
    exact = _exact(session, query, best) if rest else {a: partial[a] for a in best}
    rows = sorted(((a, round(s, SCORE_DIGITS)) for a, s in exact.items()), key=lambda r: (-r[1], r[0]))
    return rows[:limit]


def _exact(session: Session, query: Query, ids: list[int]) -> dict[int, float]:
    """BM25 of these articles over every query term, in SQL (the formula of ``ranking.bm25``)."""
    if not ids:
        return {}
    factor = case({t: query.idf[t] * w for t, w in query.weights.items()}, value=Posting.term, else_=0.0)
    tf = cast(Posting.tf, Float)
    norm = literal(K1 * (1 - B)) + cast(Posting.length, Float) * (K1 * B / query.avgdl)
    score = func.sum(factor * tf * (K1 + 1) / (tf + norm))
    stmt = (select(Posting.article_id, score).where(Posting.term.in_(list(query.weights)),
                                                    Posting.article_id.in_(ids)).group_by(Posting.article_id))
    return {aid: float(s) for aid, s in session.connection().execute(stmt)}


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
