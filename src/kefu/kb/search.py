"""Searching the knowledge base: the query segmented like the articles, synonyms added (退钱 → 退款), unknown
words corrected against the index's vocabulary (推款 → 退款), then BM25 over title, tags and body in one
SQLAlchemy query that SQLite and PostgreSQL run alike (no engine-specific ranking), so both stores return the
same articles in the same order. Snippets are cut around the hits and highlighted with ``<mark>``."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import BigInteger, Float, Integer, String, and_, case, cast, func, literal, null, or_, select, union_all
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
    lists: dict[str, list[tuple[int, int, int, bool]]] = field(default_factory=dict)  # champions (kb.search)

    @property
    def ideal(self) -> float:
        return sum(self.idf[t] * w * (K1 + 1) for t, w in self.weights.items() if t in self.idf) or 1.0


def _vocabulary(session: Session, term: str) -> list[tuple[str, int]]:
    """Known words of about ``term``'s length sharing a character with it."""
    chars = sorted(set(term))[:6]
    stmt = select(Term.term, Term.df).where(Term.df > 0, func.length(Term.term).between(len(term) - 1, len(term) + 1),
                                            or_(*[Term.term.contains(c, autoescape=True) for c in chars]))
    return [(t, df) for t, df in session.execute(stmt)]


@dataclass
class Filters:
    audience: str = "staff"
    platform: str | None = None
    product: str | None = None

    @property
    def any(self) -> bool:
        return self.audience == "customer" or bool(self.platform) or bool(self.product)

    def condition(self):
        """Whether a ``kb_docs`` row passes (its platforms: ",iphone,android," or empty for all)."""
        conds = []
        if self.audience == "customer":
            conds.append(SearchDoc.internal_only.is_(False))
        if self.platform:
            conds.append(or_(SearchDoc.platforms == "", SearchDoc.platforms.contains(f",{self.platform},")))
        if self.product:
            conds.append(SearchDoc.product == self.product)
        return and_(*conds)


# One statement reads all a query needs from the index (a trip to the store costs more than any of its parts on
# a busy machine): rows (kind, term, a, b, c, d, at) of four kinds, UNION ALL'ed.
_SIGNATURE, _STATS, _DF, _POSTING = 0, 1, 2, 3
_INT = BigInteger


def _row(kind: int, *, term=None, a=None, b=None, c=None, d=None, x=None, at=None) -> list:
    def num(v):
        return cast(null(), _INT) if v is None else cast(v, _INT)

    return [literal(kind, Integer).label("kind"), cast(term if term is not None else null(), String).label("term"),
            num(a).label("a"), num(b).label("b"), num(c).label("c"), num(d).label("d"),
            cast(x if x is not None else null(), Float).label("x"), cast(at if at is not None else null(), String)
            .label("at")]


def _lookup(session: Session, terms: list[str], filters: Filters, *, lexicon_signature: bool = True):
    """The lexicon's signature, the index totals, the document frequencies of ``terms`` and each term's best
    ``CHAMPIONS`` postings (article, tf, length, whether the filters let it through) by impact — in one
    statement that SQLite and PostgreSQL run alike."""
    parts = []
    if lexicon_signature:
        for sel in lexicon.signature_selects():
            sig = sel.subquery()
            parts.append(select(*_row(_SIGNATURE, a=sig.c.n, b=sig.c.top, c=sig.c.tag, at=sig.c.at)))
        parts.append(select(*_row(_STATS, a=IndexStats.docs, b=IndexStats.total_length)).where(IndexStats.id == 1))
    if terms:
        parts.append(select(*_row(_DF, term=Term.term, a=Term.df)).where(Term.term.in_(terms), Term.df > 0))
    for term in terms:
        inner = (select(Posting.term, Posting.article_id, Posting.tf, Posting.length, Posting.impact)
                 .where(Posting.term == term)
                 .order_by(Posting.impact.desc(), Posting.article_id.desc()).limit(CHAMPIONS).subquery())
        if filters.any:
            allowed = case((filters.condition(), 1), else_=0)
            parts.append(select(*_row(_POSTING, term=inner.c.term, a=inner.c.article_id, b=inner.c.tf,
                                      c=inner.c.length, d=allowed, x=inner.c.impact))
                         .select_from(inner.outerjoin(SearchDoc, SearchDoc.article_id == inner.c.article_id)))
        else:
            parts.append(select(*_row(_POSTING, term=inner.c.term, a=inner.c.article_id, b=inner.c.tf,
                                      c=inner.c.length, d=literal(1), x=inner.c.impact)))
    signature, stats, dfs = [], None, {}
    read: dict[str, list[tuple[float, int, int, int, bool]]] = {t: [] for t in terms}
    for kind, term, a, b, c, d, x, at in session.connection().execute(union_all(*parts)):
        if kind == _POSTING:
            read[term].append((x, a, b, c, bool(d)))
        elif kind == _DF:
            dfs[term] = a
        elif kind == _STATS:
            stats = (a, b)
        else:
            signature.append((c, a, b, at))
    lists = {}  # each term's list best first, as read (a UNION ALL need not keep its parts' order)
    for term, rows in read.items():
        rows.sort(key=lambda r: (-r[0], -r[1]))
        lists[term] = [(aid, tf, length, ok) for _x, aid, tf, length, ok in rows]
    return lexicon.signature_of(signature) if signature else None, stats, dfs, lists


def prepare(session: Session, text: str, *, audience: str = "staff", platform: str | None = None,
            product: str | None = None) -> Query | None:
    """The weighted terms of a query, their IDFs and their champion postings; None when nothing in it is known
    to the index. One statement in the usual case (two more for a typo)."""
    filters = Filters(audience, platform, product)
    lex = lexicon.cached()
    if not lex.key:
        lex = lexicon.current(session)
    for _attempt in range(2):
        own = list(dict.fromkeys(segment.terms(text)))[:MAX_QUERY_TERMS]
        if not own:
            return None
        wanted = list(dict.fromkeys(own + [a for t in own for alt in lex.synonyms.get(t, []) for a in alt]))
        signature, stats, dfs, lists = _lookup(session, wanted, filters)
        if signature == lex.key[0]:
            break
        lex = lexicon.current(session, signature)  # a word or synonym was added or removed: segment again
    if stats is None or stats[0] <= 0:
        return None
    docs, total_length = stats
    weights = ranking.expand(own, lex.synonyms, known=dfs.__contains__)
    corrected: dict[str, str] = {}
    for term in own:
        if term not in dfs and not any(a in dfs for alt in lex.synonyms.get(term, []) for a in alt):
            fix = ranking.closest(term, _vocabulary(session, term), lex.words)
            if fix:
                corrected[term] = fix
                weights.setdefault(fix, TYPO_WEIGHT)
    fixes = [t for t in dict.fromkeys(corrected.values()) if t not in lists]
    if fixes:
        _sig, _stats, fix_dfs, fix_lists = _lookup(session, fixes, filters, lexicon_signature=False)
        dfs.update(fix_dfs)
        lists.update(fix_lists)
    weights = {t: w for t, w in weights.items() if dfs.get(t)}
    if not weights:
        return None
    idf = {t: ranking.idf(docs=docs, df=dfs[t]) for t in weights}
    return Query(weights=weights, idf=idf, docs=docs, avgdl=total_length / docs, corrected=corrected,
                 lists={t: lists[t] for t in weights})


def _ranked(session: Session, query: Query, *, limit: int, exclude: tuple[int, ...]
            ) -> list[tuple[int, float, str, str]]:
    """The best articles by BM25 among the terms' champion lists (Manning et al., *Introduction to Information
    Retrieval* §7.1.3): an article is a candidate when it is among a query term's ``CHAMPIONS`` best; candidates
    are ranked by their scores from the lists plus, for a list that was cut, the most the rest of it could add;
    the best are then scored exactly. A term in at most ``CHAMPIONS`` articles has its whole list, so a small
    base is ranked exactly. The same rows in, the same ranking out, on either store. Returns (article, score,
    title, body) of the page, best first."""
    partial: dict[int, float] = {}
    covered: dict[int, float] = {}  # the bounds of the cut lists an article is in (already scored there)
    allowed: set[int] = set()
    rest = 0.0
    k1, b, avgdl = K1, B, query.avgdl
    for term, rows in query.lists.items():
        factor = query.idf[term] * query.weights[term] * (k1 + 1)
        for aid, tf, length, ok in rows:  # ranking.bm25, inlined: this loop runs for every posting read
            partial[aid] = partial.get(aid, 0.0) + factor * tf / (tf + k1 * (1 - b + b * length / avgdl))
            if ok:
                allowed.add(aid)
        if len(rows) == CHAMPIONS:  # cut: the rest score at most what its last one does (when indexed)
            _, tf, length, _ok = rows[-1]
            bound = factor * tf / (tf + k1 * (1 - b + b * length / avgdl))
            rest += bound
            for aid, _tf, _length, _ok in rows:
                covered[aid] = covered.get(aid, 0.0) + bound
    excluded = set(exclude)
    ids = [a for a in partial if a in allowed and a not in excluded]
    optimistic = {a: partial[a] + rest - covered.get(a, 0.0) for a in ids} if rest else partial
    best = sorted(ids, key=lambda a: (-optimistic[a], a))[:max(limit * 2, 10) if rest else limit]
    if not best:
        return []
    if rest:
        found = _exact(session, query, best)
    else:
        texts = session.connection().execute(select(Article.id, Article.title, Article.body)
                                             .where(Article.id.in_(best)))
        found = {aid: (partial[aid], title, body) for aid, title, body in texts}
    rows = sorted(((a, round(s, SCORE_DIGITS), t, body) for a, (s, t, body) in found.items()),
                  key=lambda r: (-r[1], r[0]))
    return rows[:limit]


def _exact(session: Session, query: Query, ids: list[int]) -> dict[int, tuple[float, str, str]]:
    """BM25 of these articles over every query term, in SQL (the formula of ``ranking.bm25``), with their title
    and body (one statement)."""
    factor = case({t: query.idf[t] * w for t, w in query.weights.items()}, value=Posting.term, else_=0.0)
    tf = cast(Posting.tf, Float)
    norm = literal(K1 * (1 - B)) + cast(Posting.length, Float) * (K1 * B / query.avgdl)
    score = func.sum(factor * tf * (K1 + 1) / (tf + norm))
    scores = (select(Posting.article_id.label("aid"), score.label("score"))
              .where(Posting.term.in_(list(query.weights)), Posting.article_id.in_(ids))
              .group_by(Posting.article_id).subquery())
    stmt = select(scores.c.aid, scores.c.score, Article.title, Article.body).join(Article, Article.id == scores.c.aid)
    return {aid: (float(s), title, body) for aid, s, title, body in session.connection().execute(stmt)}


def search(session: Session, text: str, *, limit: int = 10, audience: str = "staff", platform: str | None = None,
           product: str | None = None, exclude: tuple[int, ...] = ()) -> list[Hit]:
    """Published articles best answering ``text``, best first. ``audience="customer"`` leaves out internal-only
    articles. Two statements on the store (three or four when a word is corrected); snippets for the page only."""
    query = prepare(session, text, audience=audience, platform=platform, product=product)
    if query is None:
        return []
    rows = _ranked(session, query, limit=limit, exclude=exclude)
    if not rows:
        return []
    needles = set(query.weights) | set(query.corrected) | {w for w in segment.words(text) if len(w) > 1}
    ideal = query.ideal
    return [Hit(id=aid, title=title, score=score, confidence=min(1.0, score / ideal),
                snippet=ranking.snippet(ranking.plain_text(body), needles))
            for aid, score, title, body in rows]
