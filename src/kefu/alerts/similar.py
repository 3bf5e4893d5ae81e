"""Same issue by text: customers' words cut into Chinese words (jieba), compared by shared words.

Two texts report the same issue when they share at least two content words and the shared words are at
least ``similarity`` of the shorter one's words (the overlap coefficient: "登录不上去,提示网络错误" and
"App登录不了,一直提示网络错误" share 登录, 提示, 网络, 错误). Function words, punctuation and numbers
are dropped first.

``RecentTexts`` keeps the texts of the last few minutes with an index from word to text, so a new text is
compared only with those that share a word with it.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

STOPWORDS = frozenset(
    "的 了 是 我 你 他 她 它 们 在 和 与 及 或 也 都 就 还 又 很 太 把 被 给 让 对 "
    "从 向 到 于 为 着 过 吗 呢 吧 啊 呀 哦 嗯 "
    "这 那 这个 那个 一个 一下 什么 怎么 怎么办 为什么 可以 没有 不是 就是 但是 而且 然后 所以 因为 如果 "
    "请问 您好 你好 谢谢 麻烦 帮忙 一直 已经 现在 今天 刚才 用户 客服 问题 情况 时候 还是 有 没 不 会 能 要 想 "
    "说 看 去 来 上 下 里 中 个 次 下午 上午 晚上".split()
)
_KEEP = re.compile(r"[\w]", re.UNICODE)
_NUMBER = re.compile(r"^[\d.]+$")
MIN_SHARED = 2


@functools.cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> frozenset[str]:
    """The content words of ``text`` (lower-cased; no function words, punctuation or numbers)."""
    words = set()
    for word in _jieba().lcut(text or ""):
        word = word.strip().lower()
        if word and _KEEP.search(word) and word not in STOPWORDS and not _NUMBER.match(word) and word != "_":
            words.add(word)
    return frozenset(words)


def similar(a: frozenset[str], b: frozenset[str], threshold: float) -> bool:
    shared = len(a & b)
    return shared >= MIN_SHARED and shared >= threshold * min(len(a), len(b))


@dataclass(frozen=True, slots=True)
class Mention:
    at: float
    customer: Hashable
    words: frozenset[str]
    contact: int | None
    category: str | None


class RecentTexts:
    """Texts of the last ``window`` seconds, found by shared word. ``add`` returns the recent mentions similar
    to the new one (itself excluded), oldest first."""

    def __init__(self, window: float, threshold: float) -> None:
        self.window, self.threshold = window, threshold
        self.by_word: dict[str, deque[Mention]] = {}
        self.all: deque[Mention] = deque()

    def add(self, mention: Mention) -> list[Mention]:
        limit = mention.at - self.window
        self._expire(limit)
        shared: dict[int, int] = {}
        found: dict[int, Mention] = {}
        for word in mention.words:
            bucket = self.by_word.get(word)
            if bucket is None:
                self.by_word[word] = bucket = deque()
            while bucket and bucket[0].at <= limit:
                bucket.popleft()
            for other in bucket:
                key = id(other)
                shared[key] = shared.get(key, 0) + 1
                found[key] = other
            bucket.append(mention)
        self.all.append(mention)
        out = []
        for key, n in shared.items():
            other = found[key]
            if n >= MIN_SHARED and n >= self.threshold * min(len(mention.words), len(other.words)):
                out.append(other)
        out.sort(key=lambda m: m.at)
        return out

    def _expire(self, limit: float) -> None:
        while self.all and self.all[0].at <= limit:
            old = self.all.popleft()
            for word in old.words:
                bucket = self.by_word.get(word)
                while bucket and bucket[0].at <= limit:
                    bucket.popleft()
                if bucket is not None and not bucket:
                    del self.by_word[word]


def distinct(customers: Iterable[Hashable]) -> int:
    return len({c for c in customers if c is not None})
