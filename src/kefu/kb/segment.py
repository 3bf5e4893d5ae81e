"""Chinese word segmentation for the knowledge base (jieba), at index time and at query time alike.

One ``jieba.Tokenizer`` per process, built lazily on first use from the dictionary inside the jieba package
(offline), quietly (jieba's "Building prefix dict" chatter is silenced). The platform's own words (商户名,
活动名, 红包, 免单 …) are added to it so that they come out whole; ``terms`` gives the index terms of a text:
search-mode words (a long word and its parts), lower-cased Latin words and numbers, no stop words or
punctuation. Pure: no database, no web framework.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]|[0-9a-z]")
_LOCK = threading.Lock()
_STATE: dict = {"tokenizer": None, "words": set(), "before": {}}  # before: a word's frequency before we added it

# words that carry no meaning for retrieval in customers' questions (语气词, 代词, 疑问词 …)
STOP_WORDS = frozenset(
    "的 了 吗 呢 啊 呀 吧 哦 嘛 么 我 你 您 他 她 它 我们 你们 是 在 有 和 与 及 或 就 都 也 还 又 把 被 给 让 "
    "怎么 怎么办 怎样 如何 什么 为什么 为啥 啥 咋 咋办 哪里 哪儿 哪 多少 几 请问 请 一下 一个 这个 那个 这 那 "
    "要 想 能 会 可以 可 得 地 着 过 个 下 上 里 中 后 前 时 时候 现在 已经 然后 但是 因为 所以 如果 "
    "一直 还是 没 的话 能不能 可不可以 是不是 有没有 一 二 之 对 从 到 向 为 于 以 及其 等 等等 "
    "a an the to of and or is are i my me you your how what why can do does not".split()
)


def _tokenizer():
    if _STATE["tokenizer"] is None:
        with _LOCK:
            if _STATE["tokenizer"] is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.initialize()
                for word in _STATE["words"]:
                    _add(tk, word)
                _STATE["tokenizer"] = tk
    return _STATE["tokenizer"]


def normalize(text: str) -> str:
    """Full-width to half-width, lower case (NFKC)."""
    return unicodedata.normalize("NFKC", text or "").lower()


def _add(tk, word: str) -> None:
    _STATE["before"].setdefault(word, tk.FREQ.get(word) or None)
    tk.add_word(word, freq=None)


def _remove(tk, word: str) -> None:
    before = _STATE["before"].pop(word, None)
    if before:
        tk.add_word(word, freq=before)  # a word of jieba's own dictionary keeps its own frequency
    else:
        tk.del_word(word)


def add_words(words: Iterable[str]) -> int:
    """Teach the segmenter words it must keep whole (the user dictionary); returns how many were new."""
    new = {normalize(w).strip() for w in words} - _STATE["words"] - {""}
    with _LOCK:
        _STATE["words"] |= new
        if _STATE["tokenizer"] is not None:
            for word in new:
                _add(_STATE["tokenizer"], word)
    return len(new)


def set_words(words: Iterable[str]) -> None:
    """The user dictionary is exactly ``words``: new ones added, words no longer in it forgotten."""
    wanted = {normalize(w).strip() for w in words} - {""}
    add_words(wanted)
    with _LOCK:
        gone = _STATE["words"] - wanted
        _STATE["words"] -= gone
        if _STATE["tokenizer"] is not None:
            for word in gone:
                _remove(_STATE["tokenizer"], word)


def known_words() -> frozenset[str]:
    return frozenset(_STATE["words"])


def words(text: str) -> list[str]:
    """The words of ``text`` in order (search mode: a long word is followed by its parts), stop words kept."""
    text = normalize(text)
    if not text.strip():
        return []
    return [w for w in _tokenizer().cut_for_search(text) if _WORD.search(w)]


def terms(text: str) -> list[str]:
    """Index / query terms of ``text``: ``words`` less the stop words (a text of stop words only keeps them)."""
    all_words = words(text)
    kept = [w for w in all_words if w not in STOP_WORDS]
    return kept or all_words
