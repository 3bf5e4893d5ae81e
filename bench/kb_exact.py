"""The effect of the champion lists (``kefu.kb.search.CHAMPIONS``, 200 postings per query term) on the labelled
queries, on a store holding the bench's generated articles (``bench/kb_bench.py``): MRR and nDCG@10 of kefu's
search as it runs, against the exact BM25 ranking of every posting of the same weighted terms, computed by the
store in one aggregate (the same formula as ``kb.search._exact``; ties to the lower id). Relevant: the labelled
demo article and its generated variants (``kb_bench.store_quality``).

    .venv/bin/python bench/kb_exact.py --pg postgresql+psycopg://postgres@127.0.0.1/test --schema kb_bench
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb_bench import ARTICLES, QUERIES, mean, ndcg, reciprocal_rank  # noqa: E402
from sqlalchemy import text  # noqa: E402

from kefu.core.db import make_engine, make_sessionmaker  # noqa: E402
from kefu.kb import search  # noqa: E402
from kefu.kb.ranking import K1, B  # noqa: E402

EXACT = text("SELECT p.article_id, round(CAST(sum(q.factor * CAST(p.tf AS FLOAT) * :k1p1 / (CAST(p.tf AS FLOAT) "
             "+ (:norm0 + CAST(p.length AS FLOAT) * :norm1))) AS NUMERIC), 6) AS score "
             "FROM unnest(CAST(:terms AS VARCHAR[]), CAST(:factors AS FLOAT[])) AS q(term, factor) "
             "JOIN kb_postings p ON p.term = q.term GROUP BY p.article_id ORDER BY score DESC, p.article_id LIMIT 10")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", required=True)
    ap.add_argument("--schema", default="kb_bench")
    ap.add_argument("--champions", type=int, default=search.CHAMPIONS)
    args = ap.parse_args()
    search.CHAMPIONS = args.champions
    engine = make_engine(args.pg, connect_args={"options": f"-csearch_path={args.schema}"})
    demo_titles = {a.title for a in ARTICLES}
    titles = {a.key: a.title for a in ARTICLES}
    with make_sessionmaker(engine)() as s:
        by_title: dict[str, set[int]] = {}
        for aid, title in s.execute(text("SELECT id, title FROM kb_articles")):
            base = title if title in demo_titles else title.split(":", 1)[-1].rsplit("(", 1)[0]
            by_title.setdefault(base, set()).add(aid)
        out = {f"champions {search.CHAMPIONS}": ([], []), "exact": ([], [])}
        same_top, same_list, t0 = 0, 0, time.perf_counter()
        for i, (q, keys) in enumerate(QUERIES, 1):
            rel = set().union(*(by_title.get(titles[k], set()) for k in keys))
            approx = [h.id for h in search.search(s, q, limit=10)]
            query = search.prepare(s, q)
            exact = []
            if query is not None:
                terms = list(query.weights)
                exact = [r[0] for r in s.execute(EXACT, {
                    "terms": terms, "factors": [query.idf[t] * query.weights[t] for t in terms], "k1p1": K1 + 1,
                    "norm0": K1 * (1 - B), "norm1": K1 * B / query.avgdl})]
            for name, ranked in zip(out, (approx, exact), strict=True):
                out[name][0].append(reciprocal_rank(ranked, rel))
                out[name][1].append(ndcg(ranked, rel))
            same_top += approx[:1] == exact[:1]
            same_list += approx == exact
            if i % 20 == 0:
                print(f"  {i} queries, {time.perf_counter() - t0:.0f}s", file=sys.stderr, flush=True)
        for name, (rr, nd) in out.items():
            print(f"{name:15s} MRR {mean(rr):.3f}  nDCG@10 {mean(nd):.3f}", flush=True)
        print(f"same first article {same_top}/{len(QUERIES)}, same top 10 in the same order {same_list}/"
              f"{len(QUERIES)}", flush=True)


if __name__ == "__main__":
    main()
