"""Loading the demo knowledge base (``kefu demo``) through the real workflow: each article written as a draft,
submitted and published, so it has its versions and is indexed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.catalog.models import BusinessLine
from kefu.core.context import Actor
from kefu.kb import service
from kefu.kb.demo_articles import ARTICLES, DemoArticle
from kefu.kb.models import Article


def article_data(a: DemoArticle, *, lines: set[str]) -> dict:
    return {"title": a.title, "body": a.body, "product": a.product,
            "business_line": a.line if a.line in lines else None, "platforms": list(a.platforms),
            "client_versions": a.versions, "tags": list(a.tags), "internal_only": a.internal}


def load(session: Session, *, now: datetime, writer: Actor | None = None, reviewer: Actor | None = None
         ) -> dict[str, int]:
    """Write and publish the demo articles; ``{key: article id}``. Articles already there (same title) are kept."""
    writer = writer or Actor.system(now)
    reviewer = reviewer or writer
    lines = set(session.scalars(select(BusinessLine.code)))
    have = dict(session.execute(select(Article.title, Article.id)).all())
    ids: dict[str, int] = {}
    for a in ARTICLES:
        if a.title in have:
            ids[a.key] = have[a.title]
            continue
        article = service.create_article(session, actor=writer, data=article_data(a, lines=lines))
        service.transition(session, actor=writer, article=article, action="submit")
        service.transition(session, actor=reviewer, article=article, action="publish")
        ids[a.key] = article.id
    session.flush()
    return ids
