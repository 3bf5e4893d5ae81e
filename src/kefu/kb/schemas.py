"""Request and response shapes of the knowledge-base API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from kefu.core.schemas import Out, not_null

Platform = Literal["iphone", "android", "harmonyos", "web", "mini_program", "pc"]
Language = Literal["zh-CN", "en"]


class ArticlePublic(Out):
    id: int
    title: str
    body: str
    status: str
    language: str
    product: str | None
    business_line: str | None
    platforms: list[str]
    client_versions: str | None
    tags: list[str]
    category_ids: list[int]
    internal_only: bool
    version: int
    views: int
    helpful: int
    not_helpful: int
    created_by_id: int | None
    updated_by_id: int | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class CustomerArticle(Out):
    """What a customer sees of an article (help center, bot)."""

    id: int
    title: str
    body: str
    product: str | None
    platforms: list[str]
    client_versions: str | None
    tags: list[str]
    updated_at: datetime


class ArticleCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=50_000)
    language: Language = "zh-CN"
    product: str | None = Field(None, max_length=60)
    business_line: str | None = Field(None, max_length=40)
    platforms: list[Platform] = []
    client_versions: str | None = Field(None, max_length=60)
    tags: list[str] = Field([], max_length=20)
    category_ids: list[int] = []
    internal_only: bool = False


class ArticleUpdate(BaseModel):
    title: str | None = Field(None, min_length=1, max_length=200)
    body: str | None = Field(None, min_length=1, max_length=50_000)
    language: Language | None = None
    product: str | None = Field(None, max_length=60)
    business_line: str | None = Field(None, max_length=40)
    platforms: list[Platform] | None = None
    client_versions: str | None = Field(None, max_length=60)
    tags: list[str] | None = Field(None, max_length=20)
    category_ids: list[int] | None = None
    internal_only: bool | None = None
    note: str | None = Field(None, max_length=500)

    no_nulls = not_null("title", "body", "language", "platforms", "tags", "category_ids", "internal_only")


class ReviewAction(BaseModel):
    action: Literal["publish", "reject", "archive", "restore"]
    note: str | None = Field(None, max_length=500)


class Note(BaseModel):
    note: str | None = Field(None, max_length=500)


class VersionPublic(Out):
    id: int
    version: int
    status: str
    title: str
    body: str
    fields: dict
    changed: list[str]
    action: str
    note: str | None
    changed_by_id: int | None
    changed_at: datetime


class FeedbackIn(BaseModel):
    helpful: bool
    comment: str | None = Field(None, max_length=500)


class FeedbackOut(BaseModel):
    article_id: int
    helpful: int
    not_helpful: int


class SearchHit(BaseModel):
    id: int
    title: str
    score: float
    snippet: str  # HTML: escaped text, hits in <mark>


class SuggestRequest(BaseModel):
    text: str | None = Field(None, max_length=20_000)
    ticket_id: int | None = None
    chat_id: int | None = None
    limit: int = Field(5, ge=1, le=20)


class WordIn(BaseModel):
    word: str = Field(min_length=1, max_length=40)
    kind: Literal["term", "merchant", "campaign"] = "term"


class WordPublic(Out):
    id: int
    word: str
    kind: str
    created_at: datetime


class SynonymsIn(BaseModel):
    words: list[str] = Field(min_length=2, max_length=20)


class SynonymsPublic(Out):
    id: int
    words: list[str]
    created_at: datetime


class BotStart(BaseModel):
    queue: str = Field(min_length=1, max_length=40)
    platform: Platform | None = None


class Identity(BaseModel):
    """Who the customer is, for the chat a handover opens (all optional: a visitor otherwise)."""

    name: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=30)
    openid: str | None = Field(None, max_length=64)


class BotAsk(Identity):
    text: str = Field(min_length=1, max_length=500)


class BotFeedback(Identity):
    article_id: int
    helpful: bool


class BotArticle(BaseModel):
    id: int
    title: str
    body: str


class BotReply(BaseModel):
    token: str
    status: str
    action: str  # greeting | answer | options | clarify | retry | resolved | handoff
    text: str
    articles: list[BotArticle] = []
    chat_id: int | None = None
    visitor_token: str | None = None  # resumes the chat over /ws/chat/customer


class BotTurnPublic(Out):
    sender: str
    kind: str
    body: str
    article_ids: list[int]
    created_at: datetime
