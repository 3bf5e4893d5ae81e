"""/kb: the knowledge base. Staff read and search it (``kb.read``), write drafts (``kb.write``), review and
publish (``kb.publish``); ``/kb/public`` is the customers' help center (published, never internal-only) and
``/kb/bot`` the self-service bot's conversations — both open to anyone, like the chat widget."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import Depends, Query, Request

from kefu.chat.ws import visitor_token
from kefu.core.deps import ClockDep, Principal, SessionDep, client_ip, require
from kefu.core.errors import Invalid, TooManyRequests
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.schemas import Page
from kefu.kb import botservice, lexicon_admin, metrics, search, service
from kefu.kb.schemas import (
    ArticleCreate,
    ArticlePublic,
    ArticleUpdate,
    BotAsk,
    BotFeedback,
    BotReply,
    BotStart,
    BotTurnPublic,
    CustomerArticle,
    FeedbackIn,
    FeedbackOut,
    Identity,
    Note,
    Platform,
    ReviewAction,
    SearchHit,
    SuggestRequest,
    SynonymsIn,
    SynonymsPublic,
    VersionPublic,
    WordIn,
    WordPublic,
)
from kefu.kb.suggest import suggestion_text

router = Router(prefix="/kb", tags=["knowledge base"])
public = Router(prefix="/kb/public", tags=["help center"])


def bot_rate_limit(request: Request, clock: ClockDep) -> None:
    """Anyone may call the bot: each client IP address and each conversation (a visitor) has a number of calls
    per window (``KEFU_BOT_RATE_*``), counted across processes through Redis when it is configured; past it,
    429 in the caller's language (``?lang=``)."""
    settings, counter = request.app.state.settings, request.app.state.rate_counter
    keys = [("ip", client_ip(request) or "-", settings.bot_rate_per_ip)]
    if token := request.path_params.get("token"):
        keys.append(("visitor", token, settings.bot_rate_per_visitor))
    now = clock.now()
    for kind, who, limit in keys:
        key = f"bot:{kind}:" + hashlib.sha256(who.encode()).hexdigest()[:24]  # no address or token kept as is
        wait = counter.hit(key, limit=limit, window=settings.bot_rate_window_seconds, now=now)
        if wait is not None:
            raise TooManyRequests(wait)


bot = Router(prefix="/kb/bot", tags=["self-service bot"], dependencies=[Depends(bot_rate_limit)])
# the bot's own phrases follow the widget's language; the articles are shown as written
BotLang = Annotated[Literal["zh-CN", "en"], Query(description="the widget's language: zh-CN or en")]
Reader = Annotated[Principal, require(Perm.kb_read)]
Writer = Annotated[Principal, require(Perm.kb_write)]
Reviewer = Annotated[Principal, require(Perm.kb_publish)]
Analyst = Annotated[Principal, require(Perm.kb_metrics_read)]
Limit = Annotated[int, Query(ge=1, le=50)]


def _hits(hits) -> dict:
    data = [{"id": h.id, "title": h.title, "score": h.score, "snippet": h.snippet} for h in hits]
    return {"data": data, "count": len(data)}


# -- articles ----------------------------------------------------------------------------------------------------
@router.get("/articles", response_model=Page[ArticlePublic])
def list_articles(session: SessionDep, _: Reader, status: str | None = None, q: str | None = None,
                  product: str | None = None, business_line: str | None = None, platform: Platform | None = None,
                  limit: Limit = 50, offset: Annotated[int, Query(ge=0)] = 0):
    rows, total = service.list_articles(session, status=status, q=q, product=product, business_line=business_line,
                                        platform=platform, limit=limit, offset=offset)
    return {"data": rows, "count": total}


@router.post("/articles", response_model=ArticlePublic, status_code=201)
def create_article(body: ArticleCreate, session: SessionDep, principal: Writer):
    return service.create_article(session, actor=principal.actor, data=body.model_dump())


@router.get("/articles/{article_id}", response_model=ArticlePublic)
def get_article(article_id: int, session: SessionDep, _: Reader):
    return service.get_article(session, article_id)


@router.patch("/articles/{article_id}", response_model=ArticlePublic)
def update_article(article_id: int, body: ArticleUpdate, session: SessionDep, principal: Writer):
    article = service.get_article(session, article_id)
    changes = body.model_dump(exclude_unset=True)
    note = changes.pop("note", None)
    return service.update_article(session, actor=principal.actor, article=article, changes=changes, note=note)


@router.post("/articles/{article_id}/submit", response_model=ArticlePublic)
def submit_article(article_id: int, body: Note, session: SessionDep, principal: Writer):
    """Draft → review."""
    article = service.get_article(session, article_id)
    return service.transition(session, actor=principal.actor, article=article, action="submit", note=body.note)


@router.post("/articles/{article_id}/review", response_model=ArticlePublic)
def review_article(article_id: int, body: ReviewAction, session: SessionDep, principal: Reviewer):
    """publish (review → published), reject (→ draft, with a note), archive, restore (→ draft)."""
    article = service.get_article(session, article_id)
    return service.transition(session, actor=principal.actor, article=article, action=body.action, note=body.note)


@router.get("/articles/{article_id}/versions", response_model=Page[VersionPublic])
def article_versions(article_id: int, session: SessionDep, _: Reader):
    rows = service.versions(session, service.get_article(session, article_id))
    return {"data": rows, "count": len(rows)}


@router.post("/articles/{article_id}/feedback", response_model=FeedbackOut)
def staff_feedback(article_id: int, body: FeedbackIn, session: SessionDep, clock: ClockDep, principal: Reader):
    article = service.get_article(session, article_id)
    service.add_feedback(session, article=article, helpful=body.helpful, source="staff", now=clock.now(),
                         user_id=principal.user.id, comment=body.comment)
    return {"article_id": article.id, "helpful": article.helpful, "not_helpful": article.not_helpful}


# -- search and suggestions ---------------------------------------------------------------------------------------
@router.get("/search", response_model=Page[SearchHit])
def search_articles(session: SessionDep, _: Reader, q: Annotated[str, Query(min_length=1, max_length=200)],
                    platform: Platform | None = None, product: str | None = None, limit: Limit = 10):
    """Published articles (internal-only ones too) best matching ``q``, with highlighted snippets."""
    return _hits(search.search(session, q, limit=limit, platform=platform, product=product))


@router.post("/suggestions", response_model=Page[SearchHit])
def suggestions(body: SuggestRequest, session: SessionDep, _: Reader):
    """The articles for the conversation at hand: from ``text``, a ticket's subject, description and messages,
    or a chat's customer messages."""
    text = suggestion_text(session, text=body.text, ticket_id=body.ticket_id, chat_id=body.chat_id)
    return _hits(search.search(session, text, limit=body.limit))


# -- dictionary and synonyms ---------------------------------------------------------------------------------------
@router.get("/words", response_model=Page[WordPublic])
def list_words(session: SessionDep, _: Reader):
    rows = lexicon_admin.list_words(session)
    return {"data": rows, "count": len(rows)}


@router.post("/words", response_model=WordPublic, status_code=201)
def add_word(body: WordIn, session: SessionDep, principal: Reviewer):
    return lexicon_admin.add_word(session, actor=principal.actor, word=body.word, kind=body.kind)


@router.delete("/words/{word_id}", status_code=204)
def delete_word(word_id: int, session: SessionDep, principal: Reviewer):
    lexicon_admin.delete_word(session, actor=principal.actor, word_id=word_id)


@router.get("/synonyms", response_model=Page[SynonymsPublic])
def list_synonyms(session: SessionDep, _: Reader):
    rows = lexicon_admin.list_synonyms(session)
    return {"data": rows, "count": len(rows)}


@router.post("/synonyms", response_model=SynonymsPublic, status_code=201)
def add_synonyms(body: SynonymsIn, session: SessionDep, principal: Reviewer):
    return lexicon_admin.add_synonyms(session, actor=principal.actor, words=body.words)


@router.delete("/synonyms/{group_id}", status_code=204)
def delete_synonyms(group_id: int, session: SessionDep, principal: Reviewer):
    lexicon_admin.delete_synonyms(session, actor=principal.actor, group_id=group_id)


@router.get("/metrics/deflection")
def deflection(session: SessionDep, clock: ClockDep, _: Analyst, since: datetime | None = None,
               until: datetime | None = None):
    """Bot conversations resolved by self-service, handed over (and why); the articles deflecting most and least.
    Default: the last 7 days."""
    until = until or clock.now()
    since = since or until - timedelta(days=7)
    if since.tzinfo is None or until.tzinfo is None:
        raise Invalid("since and until need a UTC offset", field="since")
    return metrics.deflection(session, since=since, until=until)


# -- the help center (anyone) -------------------------------------------------------------------------------------
@public.get("/search", response_model=Page[SearchHit])
def public_search(session: SessionDep, q: Annotated[str, Query(min_length=1, max_length=200)],
                  platform: Platform | None = None, limit: Annotated[int, Query(ge=1, le=20)] = 10):
    return _hits(search.search(session, q, limit=limit, platform=platform, audience="customer"))


@public.get("/articles/{article_id}", response_model=CustomerArticle)
def public_article(article_id: int, session: SessionDep):
    article = service.public_article(session, article_id)
    service.add_view(session, article)
    return article


@public.post("/articles/{article_id}/feedback", response_model=FeedbackOut)
def public_feedback(article_id: int, body: FeedbackIn, session: SessionDep, clock: ClockDep):
    article = service.public_article(session, article_id)
    service.add_feedback(session, article=article, helpful=body.helpful, source="help_center", now=clock.now(),
                         comment=body.comment)
    return {"article_id": article.id, "helpful": article.helpful, "not_helpful": article.not_helpful}


# -- the self-service bot (anyone holding the conversation's token) ----------------------------------------------
def _reply(request: Request, r: botservice.Reply) -> dict:
    out = {"token": r.session.token, "status": r.session.status, "action": r.action, "text": r.text,
           "articles": [{"id": a.id, "title": a.title, "body": a.body} for a in r.articles]}
    if r.chat is not None:
        secret = request.app.state.settings.secret_key
        out.update(chat_id=r.chat.id, visitor_token=visitor_token(secret, chat_id=r.chat.id,
                                                                  customer_id=r.chat.customer_id))
    return out


@bot.post("", response_model=BotReply, status_code=201)
def bot_start(body: BotStart, request: Request, session: SessionDep, clock: ClockDep, lang: BotLang = "zh-CN"):
    """Open a conversation with the bot for a chat queue (where a handover goes)."""
    return _reply(request, botservice.start(session, now=clock.now(), queue_code=body.queue, platform=body.platform,
                                            lang=lang))


@bot.get("/{token}/turns", response_model=Page[BotTurnPublic])
def bot_turns(token: str, session: SessionDep):
    rows = botservice.turns(session, botservice.by_token(session, token))
    return {"data": rows, "count": len(rows)}


@bot.post("/{token}/messages", response_model=BotReply)
def bot_ask(token: str, body: BotAsk, request: Request, session: SessionDep, clock: ClockDep,
            lang: BotLang = "zh-CN"):
    bs = botservice.by_token(session, token)
    identity = body.model_dump(include={"name", "phone", "openid"})
    return _reply(request, botservice.ask(session, bs=bs, text=body.text, now=clock.now(), identity=identity,
                                          lang=lang))


@bot.post("/{token}/feedback", response_model=BotReply)
def bot_feedback(token: str, body: BotFeedback, request: Request, session: SessionDep, clock: ClockDep,
                 lang: BotLang = "zh-CN"):
    bs = botservice.by_token(session, token)
    identity = body.model_dump(include={"name", "phone", "openid"})
    return _reply(request, botservice.feedback(session, bs=bs, article_id=body.article_id, helpful=body.helpful,
                                               now=clock.now(), identity=identity, lang=lang))


@bot.post("/{token}/handoff", response_model=BotReply)
def bot_handoff(token: str, body: Identity, request: Request, session: SessionDep, clock: ClockDep,
                lang: BotLang = "zh-CN"):
    """转人工: a chat in the queue, starting with the conversation so far."""
    bs = botservice.by_token(session, token)
    return _reply(request, botservice.handoff(session, bs=bs, now=clock.now(), reason="asked", lang=lang,
                                              **body.model_dump()))


@bot.post("/{token}/end", response_model=BotReply)
def bot_end(token: str, request: Request, session: SessionDep, clock: ClockDep):
    bs = botservice.end(session, bs=botservice.by_token(session, token), now=clock.now())
    return _reply(request, botservice.Reply(bs, "end", ""))

