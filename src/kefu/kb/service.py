"""Articles: writing, the review workflow (draft → review → published, archived), their versions (every saved
state, who changed which fields), feedback (有用/没用) and views. Every change is audited; the search index
follows the article (``kb.index``). Functions flush, never commit."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kefu.audit.service import record
from kefu.catalog.models import BusinessLine, Category
from kefu.core.context import Actor
from kefu.core.errors import Conflict, Forbidden, Invalid, NotFound
from kefu.core.roles import Perm
from kefu.kb import index
from kefu.kb.models import PLATFORMS, STATUSES, Article, ArticleVersion, Feedback

EDITABLE = ("title", "body", "language", "product", "business_line", "platforms", "client_versions", "tags",
            "category_ids", "internal_only")
SNAPSHOT = tuple(f for f in EDITABLE if f not in ("title", "body"))
# action -> (statuses it starts from, the status it leads to, the permission it needs)
TRANSITIONS = {
    "submit": (("draft",), "review", Perm.kb_write),
    "publish": (("review",), "published", Perm.kb_publish),
    "reject": (("review",), "draft", Perm.kb_publish),
    "archive": (("published", "draft", "review"), "archived", Perm.kb_publish),
    "restore": (("archived",), "draft", Perm.kb_publish),
}


def _check(session: Session, data: dict) -> dict:
    for name in ("title", "body"):
        if name in data and not (data[name] or "").strip():
            raise Invalid(f"{name} must not be empty", field=name)
    if "platforms" in data:
        data["platforms"] = sorted(set(data["platforms"] or []))
        if bad := [p for p in data["platforms"] if p not in PLATFORMS]:
            raise Invalid(f"unknown platform {bad[0]!r}; one of {', '.join(PLATFORMS)}", field="platforms")
    if "tags" in data:
        data["tags"] = list(dict.fromkeys(t.strip() for t in data["tags"] or [] if t and t.strip()))
    if data.get("business_line"):
        if session.scalar(select(BusinessLine.id).where(BusinessLine.code == data["business_line"])) is None:
            raise Invalid(f"no business line {data['business_line']!r}", field="business_line")
    if data.get("category_ids"):
        ids = sorted(set(data["category_ids"]))
        found = set(session.scalars(select(Category.id).where(Category.id.in_(ids))))
        if missing := [i for i in ids if i not in found]:
            raise Invalid(f"no category {missing[0]}", field="category_ids")
        data["category_ids"] = ids
    return data


def _snapshot(session: Session, *, article: Article, actor: Actor, action: str, changed: list[str],
              note: str | None = None) -> ArticleVersion:
    version = ArticleVersion(article_id=article.id, version=article.version, status=article.status,
                             title=article.title, body=article.body,
                             fields={f: getattr(article, f) for f in SNAPSHOT}, changed=changed, action=action,
                             note=note, changed_by_id=actor.user_id, changed_at=actor.now)
    session.add(version)
    record(session, actor=actor, action=f"kb.article.{action}", target_type="kb_article", target_id=article.id,
           detail={"version": article.version, "status": article.status, "changed": changed, "note": note})
    return version


def create_article(session: Session, *, actor: Actor, data: dict) -> Article:
    data = _check(session, {k: v for k, v in data.items() if k in EDITABLE})
    article = Article(**{"platforms": [], "tags": [], "category_ids": [], **data}, status="draft", version=1,
                      views=0, helpful=0, not_helpful=0, created_by_id=actor.user_id, updated_by_id=actor.user_id,
                      created_at=actor.now, updated_at=actor.now)
    session.add(article)
    session.flush()
    _snapshot(session, article=article, actor=actor, action="create", changed=sorted(data))
    session.flush()
    return article


def update_article(session: Session, *, actor: Actor, article: Article, changes: dict, note: str | None = None
                   ) -> Article:
    """Edit the article: a new version. A published article stays published (and is searched as edited) but
    only reviewers (``kb.publish``) may edit it; an archived one is restored first."""
    if article.status == "archived":
        raise Conflict("an archived article is restored before it is edited", field="status")
    if article.status == "published" and not actor.can(Perm.kb_publish):
        raise Forbidden("only a reviewer edits a published article", field="status")
    changes = _check(session, {k: v for k, v in changes.items() if k in EDITABLE})
    changed = sorted(k for k, v in changes.items() if getattr(article, k) != v)
    if not changed:
        return article
    for key in changed:
        setattr(article, key, changes[key])
    article.version += 1
    article.updated_by_id, article.updated_at = actor.user_id, actor.now
    _snapshot(session, article=article, actor=actor, action="edit", changed=changed, note=note)
    session.flush()
    if article.status == "published":
        index.index_article(session, article)
    return article


def transition(session: Session, *, actor: Actor, article: Article, action: str, note: str | None = None
               ) -> Article:
    """submit (draft → review), publish (review → published), reject (review → draft), archive, restore."""
    if action not in TRANSITIONS:
        raise Invalid(f"unknown action {action!r}; one of {', '.join(TRANSITIONS)}", field="action")
    sources, target, perm = TRANSITIONS[action]
    if not actor.can(perm):
        raise Forbidden(f"your role ({actor.role}) may not {action} an article", field="action")
    if article.status not in sources:
        raise Conflict(f"a {article.status} article cannot be {action}ed here (from {', '.join(sources)})",
                       field="status")
    if action == "reject" and not (note or "").strip():
        raise Invalid("say why the article goes back to its author", field="note")
    article.status = target
    article.version += 1
    article.updated_by_id, article.updated_at = actor.user_id, actor.now
    if target == "published":
        article.published_at = actor.now
    _snapshot(session, article=article, actor=actor, action=action, changed=["status"], note=note)
    session.flush()
    index.index_article(session, article)
    return article


def get_article(session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound(f"no article {article_id}")
    return article


def public_article(session: Session, article_id: int) -> Article:
    """An article a customer may read: published and not internal-only (else: not found)."""
    article = session.get(Article, article_id)
    if article is None or article.status != "published" or article.internal_only:
        raise NotFound(f"no article {article_id}")
    return article


def versions(session: Session, article: Article) -> list[ArticleVersion]:
    return list(session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article.id)
                                .order_by(ArticleVersion.version.desc())))


def list_articles(session: Session, *, status: str | None = None, q: str | None = None, product: str | None = None,
                  business_line: str | None = None, platform: str | None = None, limit: int = 50,
                  offset: int = 0) -> tuple[list[Article], int]:
    """Articles for the editors' list, newest change first (any status; ``q`` matches title or body)."""
    stmt = select(Article)
    if status:
        if status not in STATUSES:
            raise Invalid(f"status is one of {', '.join(STATUSES)}", field="status")
        stmt = stmt.where(Article.status == status)
    if q and q.strip():
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Article.title.like(like), Article.body.like(like)))
    if product:
        stmt = stmt.where(Article.product == product)
    if business_line:
        stmt = stmt.where(Article.business_line == business_line)
    rows = list(session.scalars(stmt.order_by(Article.updated_at.desc(), Article.id.desc())))
    if platform:
        rows = [a for a in rows if not a.platforms or platform in a.platforms]
    return rows[offset:offset + limit], len(rows)


def add_view(session: Session, article: Article) -> None:
    article.views = Article.views + 1
    session.flush()
    session.refresh(article, ["views"])


def add_feedback(session: Session, *, article: Article, helpful: bool, source: str, now, user_id: int | None = None,
                 comment: str | None = None) -> Feedback:
    fb = Feedback(article_id=article.id, helpful=helpful, source=source, comment=(comment or None),
                  user_id=user_id, created_at=now)
    session.add(fb)
    if helpful:
        article.helpful = Article.helpful + 1
    else:
        article.not_helpful = Article.not_helpful + 1
    session.flush()
    session.refresh(article, ["helpful", "not_helpful"])
    return fb


def counts_by_status(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Article.status, func.count()).group_by(Article.status)).all())
