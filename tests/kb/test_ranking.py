"""The pure pieces: segmentation with the platform's words, BM25 weights, typo correction, snippets, bot rules."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kefu.kb import bot, ranking, segment
from kefu.kb.bot import Candidate


def test_platform_words_come_out_whole():
    segment.add_words(["周末免单节", "登不上"])
    assert "周末免单节" in segment.terms("周末免单节的钱什么时候到")
    assert "登不上" in segment.terms("app登不上怎么办")
    assert "怎么办" not in segment.terms("app登不上怎么办")  # a stop word


def test_full_width_and_case_are_folded():
    assert segment.terms("ＡＰＰ闪退") == segment.terms("app闪退")


def test_synonyms_expand_with_a_lower_weight():
    weights = ranking.expand(["退钱"], {"退钱": [["退款"], ["退费"]]})
    assert weights == {"退钱": 1.0, "退款": ranking.SYNONYM_WEIGHT, "退费": ranking.SYNONYM_WEIGHT}
    # the articles use 红包 themselves: its synonyms only hint
    weights = ranking.expand(["红包", "优惠券"], {"红包": [["优惠券"], ["神券"]]}, known={"红包"}.__contains__)
    assert weights == {"红包": 1.0, "优惠券": 1.0, "神券": ranking.KNOWN_SYNONYM_WEIGHT}


def test_a_typo_finds_the_known_word():
    vocab = [("退款", 40), ("推荐", 3), ("款式", 2)]
    assert ranking.closest("推款", vocab) == "退款"
    assert ranking.closest("发漂", [("发票", 10), ("漂亮", 1)]) == "发票"
    assert ranking.closest("配送", vocab) is None
    assert ranking.closest("量子", [("电子", 9)], frozenset({"退款"})) is None


@given(st.text(alphabet="退款发票红包登录", min_size=1, max_size=6), st.text(alphabet="退款发票红包登录", max_size=6))
def test_edit_distance_is_symmetric_and_zero_only_for_equal(a, b):
    assert ranking.edit_distance(a, b) == ranking.edit_distance(b, a)
    assert (ranking.edit_distance(a, b) == 0) == (a == b)


def test_bm25_rises_with_frequency_and_falls_with_length():
    base = ranking.bm25(tf=1, dl=20, avgdl=20, term_idf=2.0)
    assert ranking.bm25(tf=3, dl=20, avgdl=20, term_idf=2.0) > base
    assert ranking.bm25(tf=1, dl=80, avgdl=20, term_idf=2.0) < base
    assert ranking.idf(docs=100, df=1) > ranking.idf(docs=100, df=50) > 0


def test_snippet_marks_hits_and_escapes_html():
    text = "前言" * 60 + "退款成功后,<b>原路退回</b>到您的支付账户,退款一般1-3个工作日到账。" + "结尾" * 40
    s = ranking.snippet(text, ["退款", "到账"])
    assert "<mark>退款</mark>" in s and "<mark>到账</mark>" in s
    assert "&lt;b&gt;" in s and "<b>" not in s
    assert s.startswith("…") and s.endswith("…")


def test_plain_text_drops_markdown():
    assert ranking.plain_text("## 步骤\n1. 打开**App**\n- [订单](/o)") == "步骤 打开App 订单"


# -- the bot's rules ------------------------------------------------------------------------------------------------
def test_asking_for_a_person_hands_over_at_once():
    d = bot.decide("转人工", [Candidate(1, 0.9)], failures=0)
    assert (d.action, d.reason) == ("handoff", "asked")
    assert bot.decide("我要找人工客服", [], failures=0).action == "handoff"


def test_a_clear_best_article_is_answered():
    assert bot.decide("红包用不了", [Candidate(7, 0.7), Candidate(8, 0.3)], failures=0) == bot.Decision("answer", (7,))


def test_close_candidates_are_offered_as_three():
    d = bot.decide("会员自动扣费", [Candidate(1, 0.6), Candidate(2, 0.58), Candidate(3, 0.5), Candidate(4, 0.4)],
                   failures=0)
    assert d == bot.Decision("options", (1, 2, 3))


def test_low_confidence_hands_over():
    d = bot.decide("我家猫不吃饭", [Candidate(1, 0.1)], failures=0)
    assert (d.action, d.reason) == ("handoff", "low_confidence")


def test_nothing_found_first_asks_to_say_more_then_hands_over():
    assert bot.decide("你好", [], failures=0).action == "clarify"
    assert bot.decide("你好", [], failures=1).reason == "low_confidence"


def test_the_second_failed_answer_hands_over():
    assert bot.after_feedback(helpful=False, failures=0).action == "retry"
    assert bot.after_feedback(helpful=False, failures=1) == bot.Decision("handoff", reason="failed_twice")
    assert bot.after_feedback(helpful=True, failures=1).action == "resolved"


def test_markdown_renders_structure_and_never_raw_html():
    from kefu.kb.markdown import render

    out = render("## 申请步骤\n1. 打开**App**\n2. 点击[订单](/orders)\n\n<script>alert(1)</script>"
                 "\n[x](javascript:alert(1))")
    assert "<h3>申请步骤</h3>" in out and "<ol><li>打开<strong>App</strong></li>" in out
    assert '<a href="/orders" rel="noopener">订单</a>' in out
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert 'href="javascript' not in out  # only http(s) and site links become links


def test_a_word_taken_out_of_the_dictionary_is_forgotten_and_jiebas_own_words_stay():
    from kefu.kb import lexicon

    try:
        segment.set_words(["糖醋小排王", "红包"])
        assert "糖醋小排王" in segment.terms("糖醋小排王")
        segment.set_words([])
        assert "糖醋小排王" not in segment.terms("糖醋小排王")
        assert "红包" in segment.terms("红包用不了")  # in jieba's own dictionary before we added it
    finally:
        lexicon.forget()  # the next search loads the store's dictionary again
