"""Knowledge-base search: quality (MRR, nDCG@10 on the 216 labelled queries of tests/kb/queries.py against the
demo base) for kefu against (a) LIKE '%q%', (b) SQLite FTS5 without segmentation (unicode61: a run of CJK
characters is one token) and (c) FTS5 over character bigrams (the usual way round a missing segmenter, as the
ticket search does), BM25 with the same field weights, in the same run; then latency (p50/p95 per query)
with N generated articles on SQLite and, with --pg URL, PostgreSQL.

    .venv/bin/python bench/kb_bench.py [--articles 100000] [--pg postgresql+psycopg://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.kb.queries

from sqlalchemy import insert, text  # noqa: E402
from tests.kb.queries import QUERIES  # noqa: E402

from kefu.core.db import make_engine, make_sessionmaker  # noqa: E402
from kefu.kb import demo, index, search, segment  # noqa: E402
from kefu.kb.demo_articles import ARTICLES  # noqa: E402
from kefu.kb.evaluation import mean, ndcg, reciprocal_rank  # noqa: E402
from kefu.kb.models import Article, IndexStats, Posting, SearchDoc, Term  # noqa: E402
from kefu.kb.ranking import BODY_WEIGHT, TAG_WEIGHT, TITLE_WEIGHT, impact, plain_text  # noqa: E402
from kefu.migrate import upgrade  # noqa: E402
from kefu.tickets.search import tokens as bigrams  # noqa: E402  (CJK character bigrams, ASCII-encoded)

NOW = datetime(2026, 12, 4, tzinfo=UTC)


def quality(factory) -> dict:
    with factory() as s:
        ids = demo.load(s, now=NOW)
        s.commit()
        s.execute(text("CREATE VIRTUAL TABLE plain_fts USING fts5(title, body, tags, tokenize='unicode61')"))
        s.execute(text("CREATE VIRTUAL TABLE bigram_fts USING fts5(title, body, tags)"))
        for a in s.query(Article):
            s.execute(text("INSERT INTO plain_fts(rowid, title, body, tags) VALUES (:i, :t, :b, :g)"),
                      {"i": a.id, "t": a.title, "b": a.body, "g": " ".join(a.tags)})
            s.execute(text("INSERT INTO bigram_fts(rowid, title, body, tags) VALUES (:i, :t, :b, :g)"),
                      {"i": a.id, "t": " ".join(bigrams(a.title)), "b": " ".join(bigrams(a.body)),
                       "g": " ".join(bigrams(" ".join(a.tags)))})
        s.commit()

        def like(q):
            rows = s.execute(text("SELECT id FROM kb_articles WHERE title LIKE :q OR body LIKE :q "
                                  "ORDER BY (title LIKE :q) DESC, id LIMIT 10"), {"q": f"%{q}%"})
            return [r[0] for r in rows]

        def fts(q):
            quoted = " OR ".join('"' + w.replace('"', "") + '"' for w in q.split())
            rows = s.execute(text("SELECT rowid FROM plain_fts WHERE plain_fts MATCH :q "
                                  "ORDER BY bm25(plain_fts) LIMIT 10"), {"q": quoted})
            return [r[0] for r in rows]

        def bigram(q):
            toks = " OR ".join(dict.fromkeys(bigrams(q)))
            if not toks:
                return []
            rows = s.execute(text("SELECT rowid FROM bigram_fts WHERE bigram_fts MATCH :q "
                                  "ORDER BY bm25(bigram_fts, 3.0, 1.0, 2.0) LIMIT 10"), {"q": toks})
            return [r[0] for r in rows]

        def kefu(q):
            return [h.id for h in search.search(s, q, limit=10)]

        out = {}
        for name, fn in (("kefu", kefu), ("like", like), ("fts_unsegmented", fts), ("fts_bigrams", bigram)):
            rr, nd = [], []
            for q, keys in QUERIES:
                ranked = fn(q)
                rel = {ids[k] for k in keys}
                rr.append(reciprocal_rank(ranked, rel))
                nd.append(ndcg(ranked, rel))
            out[name] = (mean(rr), mean(nd))
        return out


def generate(factory, n: int, seed: int = 7) -> None:
    """``n`` published articles: the demo articles varied (city, merchant and app version in the title, three
    sentences of other articles added to the body), bulk-inserted with their postings. Each piece is segmented
    once and the pieces' terms added up (what ``index.article_terms`` gives, but for words across a seam), so
    that making 100,000 articles takes minutes."""
    rng = random.Random(seed)
    merchants = ["张记小笼包", "老街烧烤", "鲜果时光", "川味小馆", "麦香汉堡", "一点点奶茶", "东北饺子馆", "兰州拉面"]
    cities = ["北京", "上海", "广州", "深圳", "成都", "杭州", "武汉", "西安", "南京", "重庆"]
    sentences = [x for a in ARTICLES for x in a.body.replace("\n", "。").split("。") if len(x) > 6]
    with factory() as s:
        index.lexicon.current(s)
        cut = functools.lru_cache(maxsize=None)(lambda t: Counter(segment.terms(t)))
        body_cut = functools.lru_cache(maxsize=None)(lambda t: Counter(segment.terms(plain_text(t))))
        next_id = (s.query(Article.id).order_by(Article.id.desc()).limit(1).scalar() or 0) + 1
        stats0 = s.execute(text("SELECT docs, total_length FROM kb_index_stats")).first() or (0, 0)
        df: Counter = Counter()
        total = 0
        batch_a, batch_d, batch_p = [], [], []
        for i in range(n):
            base = rng.choice(ARTICLES)
            city, merchant = rng.choice(cities), rng.choice(merchants)
            version = f"v{rng.randint(6, 9)}.{rng.randint(0, 9)}"
            extra = rng.sample(sentences, 3)
            title = f"{city}{merchant}:{base.title}({version})"
            body = base.body + "\n\n" + "。".join(extra) + "。"
            title_tf = cut(base.title) + cut(city) + cut(merchant) + cut(version)
            body_tf = body_cut(base.body) + sum((cut(x) for x in extra), Counter())
            tags_tf = sum((cut(t) for t in base.tags), Counter())
            tf: Counter = Counter()
            for counts, weight in ((title_tf, TITLE_WEIGHT), (tags_tf, TAG_WEIGHT), (body_tf, BODY_WEIGHT)):
                for term, c in counts.items():
                    tf[term] += c * weight
            length = sum(title_tf.values()) + sum(tags_tf.values()) + sum(body_tf.values())
            aid = next_id + i
            total += length
            df.update(tf.keys())
            batch_a.append({"id": aid, "title": title, "body": body, "status": "published", "language": "zh-CN",
                            "product": base.product, "business_line": None, "platforms": list(base.platforms),
                            "client_versions": None, "tags": list(base.tags), "category_ids": [],
                            "internal_only": base.internal, "version": 1, "views": 0, "helpful": 0,
                            "not_helpful": 0, "created_at": NOW, "updated_at": NOW, "published_at": NOW})
            batch_d.append({"article_id": aid, "length": length, "internal_only": base.internal,
                            "product": base.product,
                            "platforms": ("," + ",".join(base.platforms) + ",") if base.platforms else ""})
            avgdl = (stats0[1] + total) / (stats0[0] + i + 1)  # the generated articles are alike: a running mean
            batch_p += [{"term": t, "article_id": aid, "tf": c, "length": length,
                         "impact": round(impact(c, length, avgdl), 9)} for t, c in tf.items()]
            if len(batch_a) >= 5000 or i == n - 1:
                s.execute(insert(Article), batch_a)
                s.execute(insert(SearchDoc), batch_d)
                s.execute(insert(Posting), batch_p)
                s.commit()
                batch_a, batch_d, batch_p = [], [], []
                print(f"  {i + 1} articles", file=sys.stderr, end="\r")
        existing = dict(s.query(Term.term, Term.df).all())
        for term, count in df.items():
            if term in existing:
                s.query(Term).filter(Term.term == term).update({"df": existing[term] + count})
            else:
                s.add(Term(term=term, df=count))
        stats = s.get(IndexStats, 1)
        stats.docs += n
        stats.total_length += total
        s.commit()
    if factory.kw["bind"].dialect.name == "sqlite":
        with factory() as s:
            s.execute(text("ANALYZE"))
            s.commit()
    else:
        with factory.kw["bind"].connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")


def store_quality(factory) -> tuple[float, float]:
    """MRR and nDCG@10 of the labelled queries on a store holding the demo articles and the generated ones: an
    article is relevant when it is the labelled demo article or one of its generated variants (title
    ``<city><merchant>:<demo title>(vX.Y)``)."""
    by_title: dict[str, set[int]] = {}
    demo_titles = {a.title for a in ARTICLES}
    with factory() as s:
        for aid, title in s.execute(text("SELECT id, title FROM kb_articles")):
            base = title if title in demo_titles else title.split(":", 1)[-1].rsplit("(", 1)[0]
            by_title.setdefault(base, set()).add(aid)
        titles = {a.key: a.title for a in ARTICLES}
        rr, nd = [], []
        for q, keys in QUERIES:
            ranked = [h.id for h in search.search(s, q, limit=10)]
            rel = set().union(*(by_title.get(titles[k], set()) for k in keys))
            rr.append(reciprocal_rank(ranked, rel))
            nd.append(ndcg(ranked, rel))
        return mean(rr), mean(nd)


def latency(factory, rounds: int = 2) -> dict[str, float]:
    """Wall-clock p50/p95 per query, and this process's CPU time per query (the machine is shared: the wall
    clock also counts the waits for a core)."""
    wall, cpu = [], []
    with factory() as s:
        for q, _keys in QUERIES[:20]:
            search.search(s, q, limit=10)  # jieba's dictionary, the lexicon, the planner's caches
        for _ in range(rounds):
            for q, _keys in QUERIES:
                t, c = time.perf_counter(), time.thread_time()
                search.search(s, q, limit=10)
                cpu.append((time.thread_time() - c) * 1000)
                wall.append((time.perf_counter() - t) * 1000)
    wall.sort()
    cpu.sort()
    return {"p50": wall[len(wall) // 2], "p95": wall[int(len(wall) * 0.95)], "cpu_p50": cpu[len(cpu) // 2],
            "cpu_p95": cpu[int(len(cpu) * 0.95)]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--pg", default=None)
    ap.add_argument("--sqlite", default=None, help="SQLite file to build (default: a temporary one)")
    ap.add_argument("--skip-sqlite", action="store_true", help="latency on PostgreSQL only")
    ap.add_argument("--reuse", action="store_true", help="the stores already hold the generated articles")
    ap.add_argument("--no-quality", action="store_true", help="latency only (the quality figures do not move)")
    ap.add_argument("--champions", type=int, default=None,
                    help="postings read per query term (kb.search.CHAMPIONS; 10**9: every posting, exact BM25)")
    ap.add_argument("--mrr-on-store", action="store_true",
                    help="also MRR of the labelled queries on each store (the demo articles among the generated)")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    if args.champions:
        search.CHAMPIONS = args.champions
    if not args.no_quality:
        quality_url = f"sqlite:///{tempfile.mkdtemp()}/quality.db"
        upgrade(quality_url)
        for name, (mrr, nd) in quality(make_sessionmaker(make_engine(quality_url))).items():
            print(f"quality {name:16s} MRR {mrr:.3f}  nDCG@10 {nd:.3f}")
    runs = []
    if not args.skip_sqlite:
        url = f"sqlite:///{args.sqlite or tempfile.mkdtemp() + '/kb.db'}"
        upgrade(url)
        factory = make_sessionmaker(make_engine(url))
        if not args.reuse:
            with factory() as s:
                demo.load(s, now=NOW)
                s.commit()
        runs.append(("sqlite", factory))
    if args.pg:
        pg = make_engine(args.pg, connect_args={"options": "-csearch_path=kb_bench"})
        if not args.reuse:
            with pg.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS kb_bench CASCADE"))
                conn.execute(text("CREATE SCHEMA kb_bench"))
            from alembic import command

            from kefu.migrate import alembic_config
            with pg.begin() as conn:
                cfg = alembic_config(args.pg)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        pf = make_sessionmaker(pg)
        if not args.reuse:
            with pf() as s:
                demo.load(s, now=NOW)
                s.commit()
        runs.append(("postgresql", pf))
    for name, f in runs:
        if not args.reuse:
            t = time.perf_counter()
            generate(f, args.articles)
            print(f"{name}: {args.articles} articles generated and indexed in {time.perf_counter() - t:.0f}s")
        if args.mrr_on_store:
            mrr, nd = store_quality(f)
            print(f"quality on {name} with {args.articles} generated articles, CHAMPIONS {search.CHAMPIONS}: "
                  f"MRR {mrr:.3f}  nDCG@10 {nd:.3f}")
        lat = latency(f)
        print(f"latency {name:10s} p50 {lat['p50']:.1f} ms  p95 {lat['p95']:.1f} ms  (this process's CPU: p50 "
              f"{lat['cpu_p50']:.1f} ms, p95 {lat['cpu_p95']:.1f} ms; {2 * len(QUERIES)} queries), "
              f"load average {os.getloadavg()[0]:.2f}")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
