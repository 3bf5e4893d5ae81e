"""The self-service bot's sessions: the customer's questions answered from published, customer-visible
articles (``kb.bot`` decides), feedback, and the handover to a human — a chat in the session's queue
(``kefu.chat.service.start_chat``) that starts with the conversation so far, so the agent reads what was
asked and answered. Functions flush, never commit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.chat import service as chats
from kefu.chat.messages import post
from kefu.chat.models import Chat, ChatMessage, ChatQueue
from kefu.core.errors import Conflict, Invalid, NotFound
from kefu.kb import bot, search, service
from kefu.kb.models import PLATFORMS, Article, BotSession, BotTurn
from kefu.web.i18n import translate  # a table of strings (no web framework)

PHRASES = ("greeting", "clarify", "options", "retry", "resolved", "handoff.asked", "handoff.low_confidence",
           "handoff.failed_twice")  # the bot's own words: ``bot.<phrase>`` in kefu.web.i18n, zh-CN and English


def phrase(key: str, lang: str = "zh-CN") -> str:
    """One of the bot's own fixed phrases in the customer's language (the widget's: zh-CN or en); articles are
    shown as written."""
    return translate(f"bot.{key}", lang)


@dataclass
class Reply:
    session: BotSession
    action: str
    text: str
    articles: list[Article] = field(default_factory=list)
    chat: Chat | None = None


def _turn(session: Session, bs: BotSession, *, sender: str, kind: str, body: str, now: datetime,
          article_ids: list[int] | None = None, score: float | None = None) -> BotTurn:
    turn = BotTurn(session_id=bs.id, sender=sender, kind=kind, body=body, article_ids=article_ids or [],
                   score=score, created_at=now)
    session.add(turn)
    return turn


def start(session: Session, *, now: datetime, queue_code: str, platform: str | None = None, lang: str = "zh-CN"
          ) -> Reply:
    queue = session.scalar(select(ChatQueue).where(ChatQueue.code == queue_code, ChatQueue.is_active.is_(True)))
    if queue is None:
        raise NotFound(f"no chat queue {queue_code!r}", field="queue")
    if platform is not None and platform not in PLATFORMS:
        raise Invalid(f"platform is one of {', '.join(PLATFORMS)}", field="platform")
    bs = BotSession(token=secrets.token_urlsafe(24), queue_code=queue.code, platform=platform, status="open",
                    failures=0, last_article_ids=[], created_at=now)
    session.add(bs)
    session.flush()
    greeting = phrase("greeting", lang)
    _turn(session, bs, sender="bot", kind="greeting", body=greeting, now=now)
    session.flush()
    return Reply(bs, "greeting", greeting)


def by_token(session: Session, token: str) -> BotSession:
    bs = session.scalar(select(BotSession).where(BotSession.token == token))
    if bs is None:
        raise NotFound("no such bot session", field="token")
    return bs


def _open(bs: BotSession) -> None:
    if bs.status != "open":
        raise Conflict(f"this conversation is {bs.status.replace('_', ' ')}", field="token")


def _articles(session: Session, ids) -> list[Article]:
    found = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_(list(ids))))}
    return [found[i] for i in ids if i in found]


def ask(session: Session, *, bs: BotSession, text: str, now: datetime, identity: dict | None = None,
        lang: str = "zh-CN") -> Reply:
    """The customer wrote ``text``: the bot answers, offers articles, asks for more, or hands over."""
    _open(bs)
    text = (text or "").strip()
    if not text:
        raise Invalid("say something", field="text")
    if len(text) > 500:
        raise Invalid("a question has at most 500 characters", field="text")
    _turn(session, bs, sender="customer", kind="question", body=text, now=now)
    hits = [] if bot.wants_human(text) else search.search(session, text, limit=bot.OPTIONS, audience="customer",
                                                           platform=bs.platform)
    decision = bot.decide(text, [bot.Candidate(h.id, h.confidence) for h in hits], failures=bs.failures)
    top = hits[0].confidence if hits else None
    if decision.action == "handoff":
        return handoff(session, bs=bs, now=now, reason=decision.reason or "asked", lang=lang, **(identity or {}))
    if decision.action == "clarify":
        bs.failures += 1
        clarify = phrase("clarify", lang)
        _turn(session, bs, sender="bot", kind="clarify", body=clarify, now=now)
        session.flush()
        return Reply(bs, "clarify", clarify)
    articles = _articles(session, decision.article_ids)
    bs.last_article_ids = [a.id for a in articles]
    if decision.action == "answer":
        text_out = articles[0].title
        _turn(session, bs, sender="bot", kind="answer", body=text_out, now=now, article_ids=bs.last_article_ids,
              score=top)
    else:
        text_out = phrase("options", lang)
        _turn(session, bs, sender="bot", kind="options", body=text_out, now=now, article_ids=bs.last_article_ids,
              score=top)
    for a in articles:
        service.add_view(session, a)
    session.flush()
    return Reply(bs, decision.action, text_out, articles)


def feedback(session: Session, *, bs: BotSession, article_id: int, helpful: bool, now: datetime,
             identity: dict | None = None, lang: str = "zh-CN") -> Reply:
    """有用 ends the conversation as resolved by self-service; 没用 counts a failed answer (the second hands over)."""
    _open(bs)
    if article_id not in (bs.last_article_ids or []):
        raise Invalid("feedback is on an article the bot just offered", field="article_id")
    article = service.public_article(session, article_id)
    service.add_feedback(session, article=article, helpful=helpful, source="bot", now=now)
    _turn(session, bs, sender="customer", kind="feedback", body="有用" if helpful else "没用", now=now,
          article_ids=[article_id])
    decision = bot.after_feedback(helpful=helpful, failures=bs.failures)
    if decision.action == "resolved":
        bs.status, bs.ended_at, bs.resolved_article_id = "resolved", now, article_id
        resolved = phrase("resolved", lang)
        _turn(session, bs, sender="bot", kind="resolved", body=resolved, now=now)
        session.flush()
        return Reply(bs, "resolved", resolved)
    bs.failures += 1
    if decision.action == "handoff":
        return handoff(session, bs=bs, now=now, reason=decision.reason or "failed_twice", lang=lang,
                       **(identity or {}))
    retry = phrase("retry", lang)
    _turn(session, bs, sender="bot", kind="retry", body=retry, now=now)
    session.flush()
    return Reply(bs, "retry", retry)


def handoff(session: Session, *, bs: BotSession, now: datetime, reason: str = "asked", name: str | None = None,
            phone: str | None = None, openid: str | None = None, lang: str = "zh-CN") -> Reply:
    """Hand the customer to a human: a chat in the session's queue holding the conversation so far."""
    _open(bs)
    text = phrase(f"handoff.{reason}" if f"handoff.{reason}" in PHRASES else "handoff.asked", lang)
    _turn(session, bs, sender="bot", kind="handoff", body=text, now=now)
    session.flush()
    record = transcript(session, bs)  # the chat's first message, before the agent's greeting
    chat = chats.start_chat(session, now=now, queue_code=bs.queue_code, name=name, phone=phone, openid=openid,
                            opening=("bot_transcript", record))
    if session.scalar(select(ChatMessage.id).where(ChatMessage.chat_id == chat.id, ChatMessage.body == record)
                      .limit(1)) is None:  # the customer's chat already open: the conversation joins it
        post(session, chat=chat, sender="system", kind="bot_transcript", now=now, body=record)
    bs.status, bs.ended_at, bs.chat_id, bs.handoff_reason = "handed_off", now, chat.id, reason
    session.flush()
    return Reply(bs, "handoff", text, chat=chat)


def transcript(session: Session, bs: BotSession) -> str:
    """The conversation with the bot, as the agent reads it at the top of the chat."""
    lines = ["【智能客服对话记录】"]
    turns = session.scalars(select(BotTurn).where(BotTurn.session_id == bs.id).order_by(BotTurn.id))
    for t in turns:
        who = "顾客" if t.sender == "customer" else "智能客服"
        body = t.body
        if t.article_ids and t.kind in ("answer", "options"):
            body += " " + "、".join(f"《{a.title}》" for a in _articles(session, t.article_ids))
        lines.append(f"{who}:{body}")
    return "\n".join(lines)[:4900]


def end(session: Session, *, bs: BotSession, now: datetime) -> BotSession:
    """The customer closed the bot without asking for a person: resolved if an article was answered, else
    abandoned."""
    _open(bs)
    answered = session.scalar(select(BotTurn.article_ids).where(BotTurn.session_id == bs.id, BotTurn.kind == "answer")
                              .order_by(BotTurn.id.desc()).limit(1))
    bs.status, bs.ended_at = ("resolved" if answered else "abandoned"), now
    if answered:
        bs.resolved_article_id = answered[0]
    session.flush()
    return bs


def turns(session: Session, bs: BotSession) -> list[BotTurn]:
    return list(session.scalars(select(BotTurn).where(BotTurn.session_id == bs.id).order_by(BotTurn.id)))
