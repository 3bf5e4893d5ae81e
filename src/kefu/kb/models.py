"""Knowledge-base tables: articles and their versions, feedback, the search index (terms per article), the
user dictionary and synonyms, and the self-service bot's sessions.

The search index is plain tables, so one SQLAlchemy query ranks on SQLite and PostgreSQL alike (``kb.search``):
``kb_docs`` has one row per searchable (published) article with its length in terms and its filters,
``kb_postings`` one row per (term, article) with the field-weighted frequency, ``kb_terms`` each term's document
frequency, ``kb_index_stats`` the number of articles and their total length.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kefu.core.db import Base, JSONType, UTCDateTime

STATUSES = ("draft", "review", "published", "archived")
PLATFORMS = ("iphone", "android", "harmonyos", "web", "mini_program", "pc")
PLATFORM_LABELS = {"iphone": "iPhone", "android": "Android", "harmonyos": "鸿蒙", "web": "网页",
                   "mini_program": "小程序", "pc": "电脑客户端"}
BOT_STATUSES = ("open", "resolved", "handed_off", "abandoned")


class Article(Base):
    __tablename__ = "kb_articles"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # Markdown
    status: Mapped[str] = mapped_column(String(12), default="draft")
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    product: Mapped[str | None] = mapped_column(String(60))  # 用户App, 商家版, 骑手App …
    business_line: Mapped[str | None] = mapped_column(String(40))  # a business_lines.code
    platforms: Mapped[list] = mapped_column(JSONType, default=list)  # empty: every platform
    client_versions: Mapped[str | None] = mapped_column(String(60))  # "8.3 及以上"
    tags: Mapped[list] = mapped_column(JSONType, default=list)
    category_ids: Mapped[list] = mapped_column(JSONType, default=list)  # ticket categories it answers
    internal_only: Mapped[bool] = mapped_column(Boolean, default=False)  # staff only, never to customers
    version: Mapped[int] = mapped_column(Integer, default=1)
    views: Mapped[int] = mapped_column(Integer, default=0)
    helpful: Mapped[int] = mapped_column(Integer, default=0)
    not_helpful: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_kb_articles_status_updated", "status", "updated_at"),)


class ArticleVersion(Base):
    """Each saved state of an article, who made it and what it changed (an append-only history)."""

    __tablename__ = "kb_article_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    fields: Mapped[dict] = mapped_column(JSONType, default=dict)  # the other fields as they were
    changed: Mapped[list] = mapped_column(JSONType, default=list)  # names of the fields this version changed
    action: Mapped[str] = mapped_column(String(20))  # create | edit | submit | publish | reject | archive
    note: Mapped[str | None] = mapped_column(String(500))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("article_id", "version", name="uq_kb_article_versions_article_version"),)


class Feedback(Base):
    """有用 / 没用 on an article, from a customer (help center, bot) or a member of staff."""

    __tablename__ = "kb_feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"), index=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(12))  # help_center | bot | staff
    comment: Mapped[str | None] = mapped_column(String(500))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# -- the search index --------------------------------------------------------------------------------------------
class SearchDoc(Base):
    __tablename__ = "kb_docs"
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"), primary_key=True)
    length: Mapped[int] = mapped_column(Integer)
    internal_only: Mapped[bool] = mapped_column(Boolean, default=False)
    product: Mapped[str | None] = mapped_column(String(60))
    platforms: Mapped[str] = mapped_column(String(120), default="")  # ",iphone,android," (empty: all)


class Posting(Base):
    __tablename__ = "kb_postings"
    term: Mapped[str] = mapped_column(String(40), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"), primary_key=True)
    tf: Mapped[int] = mapped_column(Integer)  # field-weighted frequency (kb.ranking)
    length: Mapped[int] = mapped_column(Integer)  # the article's length, so ranking reads no other table
    impact: Mapped[float] = mapped_column(Float)  # BM25's term-frequency part when indexed: champion lists' order

    __table_args__ = (Index("ix_kb_postings_article", "article_id"),
                      # a term's postings best first, covering what scoring reads (kb.search champion lists)
                      Index("ix_kb_postings_champions", "term", "impact", "article_id", "tf", "length"))


class Term(Base):
    __tablename__ = "kb_terms"
    term: Mapped[str] = mapped_column(String(40), primary_key=True)
    df: Mapped[int] = mapped_column(Integer, default=0)


class IndexStats(Base):
    __tablename__ = "kb_index_stats"
    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    docs: Mapped[int] = mapped_column(Integer, default=0)
    total_length: Mapped[int] = mapped_column(Integer, default=0)


class DictionaryWord(Base):
    """A word of the platform the segmenter must keep whole (商户名, 活动名, 红包, 免单)."""

    __tablename__ = "kb_words"
    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(12), default="term")  # merchant | campaign | term
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SynonymGroup(Base):
    """Words and phrases that mean the same to a customer (退钱 ~ 退款 ~ 退费; 登不上 ~ 无法登录)."""

    __tablename__ = "kb_synonyms"
    id: Mapped[int] = mapped_column(primary_key=True)
    words: Mapped[list] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# -- the self-service bot ----------------------------------------------------------------------------------------
class BotSession(Base):
    __tablename__ = "kb_bot_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)  # the customer's handle on the session
    queue_code: Mapped[str] = mapped_column(String(40))  # the chat queue a handover goes to
    platform: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12), default="open")
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_article_ids: Mapped[list] = mapped_column(JSONType, default=list)  # what the bot last offered
    resolved_article_id: Mapped[int | None] = mapped_column(ForeignKey("kb_articles.id", ondelete="SET NULL"))
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id", ondelete="SET NULL"))
    handoff_reason: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_kb_bot_sessions_created", "created_at"),)


class BotTurn(Base):
    __tablename__ = "kb_bot_turns"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("kb_bot_sessions.id", ondelete="CASCADE"), index=True)
    sender: Mapped[str] = mapped_column(String(8))  # customer | bot
    kind: Mapped[str] = mapped_column(String(12))  # question | answer | options | handoff | feedback | greeting
    body: Mapped[str] = mapped_column(Text)
    article_ids: Mapped[list] = mapped_column(JSONType, default=list)
    score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
