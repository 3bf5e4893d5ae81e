"""Business lines and the category tree, editable by admins."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.audit.service import record
from kefu.catalog.models import SEVERITY_CLASSES, BusinessLine, Category
from kefu.core.context import Actor
from kefu.core.errors import Conflict, Invalid, NotFound


def _check_parent(session: Session, category: Category | None, parent_id: int | None) -> None:
    if parent_id is None:
        return
    parent = session.get(Category, parent_id)
    if parent is None:
        raise Invalid(f"no category {parent_id}", field="parent_id")
    seen = set()
    node = parent
    while node is not None:
        if category is not None and node.id == category.id:
            raise Invalid("a category cannot be its own ancestor", field="parent_id")
        if node.id in seen:
            break
        seen.add(node.id)
        node = session.get(Category, node.parent_id) if node.parent_id else None


def _check_fields(session: Session, data: dict) -> None:
    if "severity_class" in data and data["severity_class"] not in SEVERITY_CLASSES:
        raise Invalid(f"severity_class must be one of {', '.join(SEVERITY_CLASSES)}", field="severity_class")
    if data.get("business_line_id") and session.get(BusinessLine, data["business_line_id"]) is None:
        raise Invalid(f"no business line {data['business_line_id']}", field="business_line_id")
    if "name" in data and not (data["name"] or "").strip():
        raise Invalid("name must not be empty", field="name")


def create_category(session: Session, *, actor: Actor, data: dict) -> Category:
    _check_fields(session, data)
    if session.scalar(select(Category.id).where(Category.code == data["code"])):
        raise Conflict(f"category code {data['code']!r} exists", field="code")
    _check_parent(session, None, data.get("parent_id"))
    category = Category(**data)
    session.add(category)
    session.flush()
    record(session, actor=actor, action="category.create", target_type="category", target_id=category.id,
           detail=data)
    return category


def update_category(session: Session, *, actor: Actor, category: Category, changes: dict) -> Category:
    _check_fields(session, changes)
    if "parent_id" in changes:
        _check_parent(session, category, changes["parent_id"])
    if "code" in changes and changes["code"] != category.code and session.scalar(
        select(Category.id).where(Category.code == changes["code"])
    ):
        raise Conflict(f"category code {changes['code']!r} exists", field="code")
    before = {k: getattr(category, k) for k in changes}
    for key, value in changes.items():
        setattr(category, key, value)
    record(session, actor=actor, action="category.update", target_type="category", target_id=category.id,
           detail={"before": before, "after": changes})
    return category


def get_category(session: Session, category_id: int) -> Category:
    category = session.get(Category, category_id)
    if category is None:
        raise NotFound(f"no category {category_id}")
    return category


def category_paths(session: Session) -> dict[int, str]:
    """'外卖 / 配送问题 / 超时未送达' for every category id, in one query."""
    rows = session.execute(select(Category.id, Category.name, Category.parent_id)).all()
    by_id = {r.id: r for r in rows}
    paths: dict[int, str] = {}

    def path(cid: int, depth: int = 0) -> str:
        if cid in paths:
            return paths[cid]
        row = by_id[cid]
        text = row.name if row.parent_id is None or depth > 20 else f"{path(row.parent_id, depth + 1)} / {row.name}"
        paths[cid] = text
        return text

    for cid in by_id:
        path(cid)
    return paths


def create_business_line(session: Session, *, actor: Actor, code: str, name: str) -> BusinessLine:
    if session.scalar(select(BusinessLine.id).where(BusinessLine.code == code)):
        raise Conflict(f"business line {code!r} exists", field="code")
    line = BusinessLine(code=code, name=name)
    session.add(line)
    session.flush()
    record(session, actor=actor, action="business_line.create", target_type="business_line", target_id=line.id)
    return line
