"""/categories and /business-lines: readable by all staff, edited by admins."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field
from sqlalchemy import select

from kefu.catalog import service
from kefu.catalog.models import BusinessLine, Category
from kefu.core.deps import CurrentUser, Principal, SessionDep, require
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.schemas import Out, Page, not_null

router = Router(prefix="/categories", tags=["categories"])
lines = Router(prefix="/business-lines", tags=["categories"])


class CategoryPublic(Out):
    id: int
    code: str
    name: str
    parent_id: int | None
    severity_class: str
    business_line_id: int | None
    sort_order: int
    is_active: bool
    path: str = ""


class CategoryCreate(BaseModel):
    code: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str = Field(min_length=1, max_length=100)
    parent_id: int | None = None
    severity_class: str = Field("none", pattern="^(severe|general|intermittent|none)$")
    business_line_id: int | None = None
    sort_order: int = 0


class CategoryUpdate(BaseModel):
    code: str | None = Field(None, min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str | None = Field(None, min_length=1, max_length=100)
    parent_id: int | None = None
    severity_class: str | None = Field(None, pattern="^(severe|general|intermittent|none)$")
    business_line_id: int | None = None
    sort_order: int | None = None
    is_active: bool | None = None

    no_nulls = not_null("code", "name", "severity_class", "sort_order", "is_active")


class BusinessLinePublic(Out):
    id: int
    code: str
    name: str
    is_active: bool


class BusinessLineCreate(BaseModel):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str = Field(min_length=1, max_length=100)


def _public(category: Category, paths: dict[int, str]) -> CategoryPublic:
    out = CategoryPublic.model_validate(category)
    out.path = paths.get(category.id, category.name)
    return out


@router.get("", response_model=Page[CategoryPublic])
def list_categories(session: SessionDep, _: CurrentUser, severity_class: str | None = None,
                    parent_id: int | None = None, include_inactive: bool = False):
    stmt = select(Category).order_by(Category.parent_id.is_not(None), Category.sort_order, Category.id)
    if severity_class:
        stmt = stmt.where(Category.severity_class == severity_class)
    if parent_id is not None:
        stmt = stmt.where(Category.parent_id == parent_id)
    if not include_inactive:
        stmt = stmt.where(Category.is_active.is_(True))
    rows = session.scalars(stmt).all()
    paths = service.category_paths(session)
    return {"data": [_public(c, paths) for c in rows], "count": len(rows)}


@router.post("", response_model=CategoryPublic, status_code=201)
def create_category(body: CategoryCreate, session: SessionDep,
                    principal: Annotated[Principal, require(Perm.categories_write)]):
    category = service.create_category(session, actor=principal.actor, data=body.model_dump())
    return _public(category, service.category_paths(session))


@router.get("/{category_id}", response_model=CategoryPublic)
def get_category(category_id: int, session: SessionDep, _: CurrentUser):
    return _public(service.get_category(session, category_id), service.category_paths(session))


@router.patch("/{category_id}", response_model=CategoryPublic)
def update_category(category_id: int, body: CategoryUpdate, session: SessionDep,
                    principal: Annotated[Principal, require(Perm.categories_write)]):
    category = service.get_category(session, category_id)
    service.update_category(session, actor=principal.actor, category=category,
                            changes=body.model_dump(exclude_unset=True))
    session.flush()
    return _public(category, service.category_paths(session))


@lines.get("", response_model=Page[BusinessLinePublic])
def list_lines(session: SessionDep, _: CurrentUser):
    rows = session.scalars(select(BusinessLine).order_by(BusinessLine.id)).all()
    return {"data": rows, "count": len(rows)}


@lines.post("", response_model=BusinessLinePublic, status_code=201)
def create_line(body: BusinessLineCreate, session: SessionDep,
                principal: Annotated[Principal, require(Perm.categories_write)]):
    return service.create_business_line(session, actor=principal.actor, code=body.code, name=body.name)
