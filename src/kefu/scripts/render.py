"""Filling a script's placeholders (话术占位符). Pure functions: no database, no web framework.

A placeholder is ``{name}`` with a Chinese name or its English alias:

=========  ============  ==============================================================
name       alias         value
=========  ============  ==============================================================
{称呼}     {salutation}  the customer's salutation: 张女士 / 王先生 (surname only), else 您
{坐席}     {agent}       the agent's display name or work number
{中心}     {center}      the center's name (``KEFU_CENTER_NAME``)
{工单号}   {ticket}      the ticket number
{时间}     {time}        the time now in the center's time zone
=========  ============  ==============================================================

A value that is missing renders a sensible default (您, 客服代表, …); a ``{…}`` that is no placeholder
never reaches the customer (it renders as nothing) and is refused when an admin saves the script.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDERS = ("称呼", "坐席", "中心", "工单号", "时间")
ALIASES = {"salutation": "称呼", "agent": "坐席", "center": "中心", "ticket": "工单号", "time": "时间"}
DEFAULTS = {
    "zh-CN": {"称呼": "您", "坐席": "客服代表", "中心": "客服中心", "工单号": "(待生成)", "时间": ""},
    "en": {"称呼": "Sir or Madam", "坐席": "your service agent", "中心": "the service center",
           "工单号": "(pending)", "时间": ""},
}
TITLES = {"ms": ("女士", "Ms."), "mr": ("先生", "Mr.")}  # customers.title
_PATTERN = re.compile(r"\{([^{}\s]{1,20})\}")
# 复姓: the common two-character surnames
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 夏侯 令狐 司徒 宇文 独孤 端木 南宫 西门 轩辕 钟离 申屠 "
    "澹台 呼延 万俟 闻人 赫连 百里 东郭 太史 公羊 濮阳 淳于 单于 仲孙 拓跋 完颜".split()
)


def canonical(name: str) -> str | None:
    """The placeholder ``name`` stands for (``salutation`` → ``称呼``), or ``None`` if it is none."""
    if name in PLACEHOLDERS:
        return name
    return ALIASES.get(name.lower())


def unknown_placeholders(body: str) -> list[str]:
    """Every ``{…}`` in ``body`` that is no known placeholder, in order, once each."""
    seen: list[str] = []
    for found in _PATTERN.finditer(body):
        if canonical(found.group(1)) is None and found.group(1) not in seen:
            seen.append(found.group(1))
    return seen


def render(body: str, context: Mapping[str, str | None], *, lang: str = "zh-CN") -> str:
    """``body`` with each placeholder replaced by ``context[name]`` (Chinese names) or its default."""
    defaults = DEFAULTS.get(lang, DEFAULTS["zh-CN"])

    def fill(found: re.Match[str]) -> str:
        key = canonical(found.group(1))
        if key is None:
            return ""
        value = context.get(key)
        return value if value else defaults[key]

    return _PATTERN.sub(fill, body)


def _is_han(text: str) -> bool:
    return bool(text) and all("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)


def surname(name: str | None) -> str | None:
    """The surname of a customer's name: 张伟 → 张, 欧阳娜娜 → 欧阳, John Smith → Smith; ``None`` if unsure."""
    name = (name or "").strip()
    for title, _en in TITLES.values():  # callers often give their name as 张女士
        name = name.removesuffix(title)
    if not name:
        return None
    if _is_han(name):
        if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
            return name[:2]
        return name[0] if len(name) <= 4 else None
    words = name.split()
    if len(words) >= 2 and all(w.replace("-", "").replace("'", "").isalpha() and w.isascii() for w in words):
        return words[-1]
    return None


def salutation(name: str | None, title: str | None, *, lang: str = "zh-CN") -> str | None:
    """张女士 / 王先生 (Ms. 张) from the customer's name and title (``ms``/``mr``); ``None`` when the title
    is not known (the script's default, 您, is used): never the full name, which is personal data."""
    raw = (name or "").strip()
    if title not in TITLES:  # the name may carry it: a caller recorded as 张女士
        for code, (zh, _en) in TITLES.items():
            if raw.endswith(zh) and len(raw) > len(zh):
                title = code
    if title not in TITLES:
        return None
    family = surname(raw)
    if family is None:
        return None
    zh, en = TITLES[title]
    return f"{en} {family}" if lang == "en" else f"{family}{zh}"
