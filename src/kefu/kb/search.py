"""Searching the knowledge base: the query segmented like the articles, synonyms added (退钱 → 退款), unknown
words corrected against the index's vocabulary (推款 → 退款), then BM25 over title, tags and body in one
SQLAlchemy query that SQLite and PostgreSQL run alike (no engine-specific ranking), so both stores return the
same articles in the same order. Snippets are cut around the hits and highlighted with ``<mark>``."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kefu.kb import lexicon, ranking, segment
from kefu.kb.models import Article, Term
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
    lists: dict[str, list[tuple]] = field(default_factory=dict)  # each term's champion rows (kb.search._lookup)

    @property
    def ideal(self) -> float:
        return sum(self.idf[t] * w * (K1 + 1) for t, w in self.weights.items() if t in self.idf) or 1.0


def _vocabulary(session: Session, term: str) -> list[tuple[str, int]]:
    """Known words of about ``term``'s length sharing a character with it."""
    chars = sorted(set(term))[:6]
    stmt = select(Term.term, Term.df).where(Term.df > 0, func.length(Term.term).between(len(term) - 1, len(term) + 1),
                                            or_(*[Term.term.contains(c, autoescape=True) for c in chars]))
    return [(t, df) for t, df in session.execute(stmt)]


@dataclass(frozen=True)
class Filters:
    audience: str = "staff"
    platform: str | None = None
    product: str | None = None

    def sql(self) -> tuple[str, dict]:
        """Whether the ``kb_docs`` row ``d`` passes, as SQL (``1`` when nothing is filtered), and its parameters
        (a doc's platforms: ",iphone,android,", empty for all)."""
        conds, params = [], {}
        if self.audience == "customer":
            conds.append("NOT d.internal_only")
        if self.platform:
            conds.append("(d.platforms = '' OR d.platforms LIKE :platform)")
            params["platform"] = f"%,{self.platform},%"
        if self.product:
            conds.append("d.product = :product")
            params["product"] = self.product
        return (f"CASE WHEN {' AND '.join(conds)} THEN 1 ELSE 0 END" if conds else "1"), params


# One statement reads all a query needs from the index (on a busy machine a trip to the store costs more than
# any part of it): rows (kind, term, x, a, b, c, d, at) of four kinds, UNION ALL'ed. The SQL is written out, one
# text per shape, so that neither Python builds it for each search nor PostgreSQL plans it again (psycopg
# prepares a statement it has run five times): PostgreSQL reads the terms from an array, each term's best
# postings through a LATERAL join; SQLite, which has neither, gets one UNION ALL part per term. The rows (several
# hundred) are read from the driver's cursor as they come, without SQLAlchemy's row objects.
_SIGNATURE, _STATS, _DF, _POSTING = 0, 1, 2, 3
_NULLS = "CAST(NULL AS VARCHAR)", "CAST(NULL AS BIGINT)", "CAST(NULL AS FLOAT)"
_HEAD = (f"SELECT {_SIGNATURE} AS kind, {_NULLS[0]} AS term, {_NULLS[2]} AS x, n AS a, top AS b, tag AS c, "
         f"{_NULLS[1]} AS d, at FROM ({lexicon.SIGNATURE_SQL}) AS s "
         f"UNION ALL SELECT {_STATS}, {_NULLS[0]}, {_NULLS[2]}, docs, total_length, {_NULLS[1]}, {_NULLS[1]}, "
         f"{_NULLS[0]} FROM kb_index_stats WHERE id = 1 UNION ALL ")
_CHAMPIONS = ("SELECT article_id, tf, length, impact FROM kb_postings WHERE term = {term} "
              "ORDER BY impact DESC, article_id DESC LIMIT :k")
_PARAM = re.compile(r"(?<![:\w]):(\w+)")


def _driver_sql(dialect: str, sql: str) -> str:
    """``sql`` in the driver's parameter style (``:name`` for sqlite3, ``%(name)s`` for psycopg)."""
    return _PARAM.sub(r"%(\1)s", sql) if dialect == "postgresql" else sql


def _fetch(session: Session, sql: str, params: dict) -> list[tuple]:
    """All rows of ``sql`` (in the driver's style), on the session's connection and transaction."""
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _posting_row(term: str, allowed: str, join: str) -> str:
    return f"SELECT {_POSTING}, {term}, p.impact, p.article_id, p.tf, p.length, {allowed}, {_NULLS[0]} FROM {join}"


@functools.lru_cache(maxsize=256)
def _lookup_sql(dialect: str, n_terms: int, filters: Filters, head: bool) -> str:
    allowed, _params = filters.sql()
    docs = " LEFT JOIN kb_docs d ON d.article_id = p.article_id" if allowed != "1" else ""
    df = (f"SELECT {_DF}, term, {_NULLS[2]}, df, {_NULLS[1]}, {_NULLS[1]}, {_NULLS[1]}, {_NULLS[0]} "
          "FROM kb_terms WHERE df > 0 AND term ")
    if dialect == "postgresql":
        terms = "CAST(:terms AS VARCHAR[])"
        parts = [df + f"= ANY({terms})",
                 _posting_row("q.term", allowed, f"unnest({terms}) AS q(term) CROSS JOIN LATERAL ("
                              + _CHAMPIONS.format(term="q.term") + ") AS p" + docs)]
    else:
        names = [f":t{i}" for i in range(n_terms)]
        parts = [df + f"IN ({', '.join(names)})"]
        parts += [_posting_row(name, allowed, f"({_CHAMPIONS.format(term=name)}) AS p" + docs) for name in names]
    return _driver_sql(dialect, (_HEAD if head else "") + " UNION ALL ".join(parts))


def _lookup(session: Session, terms: list[str], filters: Filters, *, head: bool = True):
    """The lexicon's signature and the index totals (``head``), the document frequencies of ``terms`` and each
    term's best ``CHAMPIONS`` postings by impact — rows ``(kind, term, impact, article, tf, length, allowed,
    None)``, ``allowed`` 1 when the filters let the article through — in one statement."""
    dialect = session.get_bind().dialect.name
    _allowed, params = filters.sql()
    params["k"] = CHAMPIONS
    if dialect == "postgresql":
        params["terms"] = terms
    else:
        params.update({f"t{i}": t for i, t in enumerate(terms)})
    signature, stats, dfs = [], None, {}
    lists: dict[str, list[tuple]] = {t: [] for t in terms}
    for row in _fetch(session, _lookup_sql(dialect, len(terms), filters, head), params):
        kind = row[0]
        if kind == _POSTING:
            lists[row[1]].append(row)
        elif kind == _DF:
            dfs[row[1]] = row[3]
        elif kind == _STATS:
            stats = (row[3], row[4])
        else:
            signature.append((row[5], row[3], row[4], row[7]))
    for rows in lists.values():  # best first, (impact, article) descending (a UNION ALL keeps no order)
        rows.sort(reverse=True)
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
        _sig, _stats, fix_dfs, fix_lists = _lookup(session, fixes, filters, head=False)
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
        for _kind, _term, _impact, aid, tf, length, ok, _ in rows:  # ranking.bm25, inlined: for every posting
            partial[aid] = partial.get(aid, 0.0) + factor * tf / (tf + k1 * (1 - b + b * length / avgdl))
            if ok:
                allowed.add(aid)
        if len(rows) == CHAMPIONS:  # cut: the rest score at most what its last one does (when indexed)
            tf, length = rows[-1][4], rows[-1][5]
            bound = factor * tf / (tf + k1 * (1 - b + b * length / avgdl))
            rest += bound
            for row in rows:
                covered[row[3]] = covered.get(row[3], 0.0) + bound
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


# BM25 of some articles over every query term (the formula of ``ranking.bm25``) with their title and body.
_SCORE = ("sum({factor} * CAST(p.tf AS FLOAT) * :k1p1 / (CAST(p.tf AS FLOAT) + (:norm0 + CAST(p.length AS FLOAT) "
          "* :norm1))) AS score")


@functools.lru_cache(maxsize=256)
def _exact_sql(dialect: str, n_terms: int, n_ids: int) -> str:
    if dialect == "postgresql":
        scores = (f"SELECT p.article_id AS aid, {_SCORE.format(factor='q.factor')} "
                  "FROM unnest(CAST(:terms AS VARCHAR[]), CAST(:factors AS FLOAT[])) AS q(term, factor) "
                  "JOIN kb_postings p ON p.term = q.term WHERE p.article_id = ANY(CAST(:ids AS INTEGER[])) "
                  "GROUP BY p.article_id")
    else:
        factor = "CASE p.term " + " ".join(f"WHEN :t{i} THEN :f{i}" for i in range(n_terms)) + " ELSE 0.0 END"
        scores = (f"SELECT p.article_id AS aid, {_SCORE.format(factor=factor)} FROM kb_postings p "
                  f"WHERE p.term IN ({', '.join(f':t{i}' for i in range(n_terms))}) "
                  f"AND p.article_id IN ({', '.join(f':i{i}' for i in range(n_ids))}) GROUP BY p.article_id")
    return _driver_sql(dialect, f"SELECT s.aid, s.score, a.title, a.body FROM ({scores}) AS s "
                                "JOIN kb_articles a ON a.id = s.aid")


def _exact(session: Session, query: Query, ids: list[int]) -> dict[int, tuple[float, str, str]]:
    """BM25 of these articles over every query term, computed by the store, with their title and body."""
    dialect = session.get_bind().dialect.name
    terms = list(query.weights)
    factors = [query.idf[t] * query.weights[t] for t in terms]
    params = {"k1p1": K1 + 1, "norm0": K1 * (1 - B), "norm1": K1 * B / query.avgdl}
    if dialect == "postgresql":
        params.update(terms=terms, factors=factors, ids=ids)
    else:
        params.update({f"t{i}": t for i, t in enumerate(terms)})
        params.update({f"f{i}": f for i, f in enumerate(factors)})
        params.update({f"i{i}": a for i, a in enumerate(ids)})
    rows = _fetch(session, _exact_sql(dialect, len(terms), len(ids)), params)
    return {aid: (float(score), title, body) for aid, score, title, body in rows}


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
