"""Search against the store: synonyms, typos, filters, who sees what, the dictionary; and the ranking SQL
computing exactly BM25 (the same query on SQLite and PostgreSQL, so both give the same results)."""

from __future__ import annotations

import math

from sqlalchemy import select

from kefu.core.context import Actor
from kefu.kb import lexicon_admin, ranking, search, segment, service
from kefu.kb.models import IndexStats, Posting, Term


def _ids(hits):
    return [h.id for h in hits]


def test_synonyms_find_the_article_in_other_words(db, kb):
    assert _ids(search.search(db, "登不上"))[0] == kb["login_failed"]
    assert _ids(search.search(db, "外卖小哥态度差"))[0] == kb["rider_complaint"]
    assert "退款" in search.search(db, "退钱")[0].title  # no article says 退钱


def test_a_typo_still_finds_the_article(db, kb):
    assert _ids(search.search(db, "推款几天到帐", limit=3))[:3].count(kb["refund_arrival"]) == 1
    assert _ids(search.search(db, "发漂"))[0] in (kb["invoice_waimai"], kb["ride_invoice"])


def test_internal_articles_are_for_staff_only(db, kb):
    staff = _ids(search.search(db, "补偿红包额度权限"))
    customer = _ids(search.search(db, "补偿红包额度权限", audience="customer"))
    assert staff[0] == kb["internal_comp_limits"]
    assert kb["internal_comp_limits"] not in customer


def test_platform_filter_keeps_articles_for_every_platform(db, kb):
    web = _ids(search.search(db, "取消自动续费", platform="web"))
    assert kb["member_cancel"] not in web  # an App-only article
    iphone = _ids(search.search(db, "取消自动续费", platform="iphone"))
    assert kb["member_cancel"] in iphone
    assert kb["refund_apply"] in _ids(search.search(db, "退款", platform="web", limit=20))  # no platform: all


def test_drafts_and_archived_articles_are_not_found(db, kb, world, clock):
    actor = Actor.system(clock.now())
    draft = service.create_article(db, actor=actor, data={"title": "骑手保险理赔流程",
                                                          "body": "骑手受伤后的保险理赔。"})
    assert draft.id not in _ids(search.search(db, "骑手保险理赔"))
    article = service.get_article(db, kb["sms_code"])
    service.transition(db, actor=actor, article=article, action="archive")
    assert kb["sms_code"] not in _ids(search.search(db, "收不到验证码"))


def test_snippets_highlight_the_words_searched(db, kb):
    hit = search.search(db, "准时宝超时赔付")[0]
    assert hit.id == kb["delivery_late"]
    assert "<mark>准时宝</mark>" in hit.snippet


def test_nothing_known_finds_nothing(db, kb):
    assert search.search(db, "量子力学") == []
    assert search.search(db, "的了吗") == []


def test_a_new_dictionary_word_is_cut_whole_and_reindexed(db, kb, world, clock):
    actor = Actor.system(clock.now())
    a = service.create_article(db, actor=actor, data={"title": "糖醋小排王店铺营业时间",
                                                      "body": "糖醋小排王每天10点营业。"})
    service.transition(db, actor=actor, article=a, action="submit")
    service.transition(db, actor=actor, article=a, action="publish")
    assert "糖醋小排王" not in segment.terms("糖醋小排王")
    lexicon_admin.add_word(db, actor=actor, word="糖醋小排王", kind="merchant")
    assert db.scalar(select(Posting.tf).where(Posting.term == "糖醋小排王", Posting.article_id == a.id)) is not None
    assert _ids(search.search(db, "糖醋小排王"))[0] == a.id


def test_a_new_synonym_group_is_used_at_once(db, kb, world, clock):
    assert kb["spilled_food"] not in _ids(search.search(db, "饭盒打翻了"))
    lexicon_admin.add_synonyms(db, actor=Actor.system(clock.now()), words=["打翻", "洒漏"])
    assert _ids(search.search(db, "饭盒打翻了"))[0] == kb["spilled_food"]


def test_the_ranking_sql_is_bm25(db, kb):
    """The store's scores equal BM25 computed here from the index rows (so both stores agree with it)."""
    query = "外卖超时了想退钱"
    prepared = search.prepare(db, query)
    stats = db.get(IndexStats, 1)
    avgdl = stats.total_length / stats.docs
    expected: dict[int, float] = {}
    for term, weight in prepared.weights.items():
        df = db.scalar(select(Term.df).where(Term.term == term))
        term_idf = math.log(1 + (stats.docs - df + 0.5) / (df + 0.5))
        for p in db.scalars(select(Posting).where(Posting.term == term)):
            expected[p.article_id] = expected.get(p.article_id, 0.0) + weight * ranking.bm25(
                tf=p.tf, dl=p.length, avgdl=avgdl, term_idf=term_idf)
    best = sorted(expected.items(), key=lambda kv: (-round(kv[1], 6), kv[0]))[:10]
    hits = search.search(db, query, limit=10)
    assert [h.id for h in hits] == [aid for aid, _ in best]
    assert [h.score for h in hits] == [round(s, 6) for _, s in best]
    assert hits[0].id == kb["delivery_late"]


def test_champion_lists_cut_on_a_large_base_still_rank_exactly(db, kb, monkeypatch):
    """With lists cut short (as on a base of 100,000 articles), the candidates are scored exactly: the scores
    are the full BM25 ones and the best article stays first."""
    full = search.search(db, "红包怎么用不了", limit=3)
    monkeypatch.setattr(search, "CHAMPIONS", 4)
    cut = search.search(db, "红包怎么用不了", limit=3)
    assert cut[0].id == full[0].id == kb["hongbao_use"]
    assert [h.score for h in cut if h.id in {f.id for f in full}] == [h.score for h in full if h.id in
                                                                      {c.id for c in cut}]
