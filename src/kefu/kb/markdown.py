"""A small, safe Markdown renderer for articles (headings, lists, bold, italics, code, links, paragraphs): the
text is HTML-escaped first, so an article can carry no markup of its own. Pure."""

from __future__ import annotations

import html
import re

_INLINE = [(re.compile(r"`([^`]+)`"), r"<code>\1</code>"), (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
           (re.compile(r"(?<!\*)\*([^*]+)\*(?!\*)"), r"<em>\1</em>"),
           (re.compile(r"\[([^\]]+)\]\(((?:https?://|/)[^)\s&\"]*)\)"), r'<a href="\2" rel="noopener">\1</a>')]
_ITEM = re.compile(r"^\s*(?:[-*+]|(\d+)\.)\s+(.*)$")
_HEAD = re.compile(r"^(#{1,6})\s+(.*)$")


def _inline(text: str) -> str:
    out = html.escape(text, quote=True)
    for pattern, repl in _INLINE:
        out = pattern.sub(repl, out)
    return out


def render(markdown: str) -> str:
    blocks: list[str] = []
    para: list[str] = []
    items: list[str] = []
    ordered = False

    def flush() -> None:
        nonlocal items
        if para:
            blocks.append("<p>" + "<br>".join(_inline(x) for x in para) + "</p>")
            para.clear()
        if items:
            tag = "ol" if ordered else "ul"
            blocks.append(f"<{tag}>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + f"</{tag}>")
            items = []

    for line in (markdown or "").splitlines():
        if not line.strip():
            flush()
        elif m := _HEAD.match(line):
            flush()
            level = min(len(m.group(1)) + 1, 6)  # the page has its own h1
            blocks.append(f"<h{level}>{_inline(m.group(2))}</h{level}>")
        elif m := _ITEM.match(line):
            if para:
                flush()
            ordered = bool(m.group(1)) if not items else ordered
            items.append(m.group(2))
        else:
            if items:
                flush()
            para.append(line.strip())
    flush()
    return "\n".join(blocks)
