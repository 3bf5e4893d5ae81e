"""/customers: PII is masked in every answer; /reveal shows it to permitted roles and audits it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from kefu.core.deps import Principal, SessionDep, require
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.schemas import Page
from kefu.customers import service
from kefu.customers.schemas import CustomerCreate, CustomerPublic, CustomerUpdate, RevealRequest

router = Router(prefix="/customers", tags=["customers"])


@router.get("", response_model=Page[CustomerPublic])
def list_customers(session: SessionDep, _: Annotated[Principal, require(Perm.customers_read)],
                   q: str | None = None, role: str | None = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0)] = 0):
    rows, count = service.search_customers(session, q=q, role=role, limit=limit, offset=offset)
    return {"data": [service.masked_view(c) for c in rows], "count": count}


@router.post("", response_model=CustomerPublic, status_code=201)
def create_customer(body: CustomerCreate, session: SessionDep,
                    principal: Annotated[Principal, require(Perm.customers_write)]):
    return service.masked_view(service.create_customer(session, actor=principal.actor, data=body.model_dump()))


@router.get("/{customer_id}", response_model=CustomerPublic)
def get_customer(customer_id: int, session: SessionDep, _: Annotated[Principal, require(Perm.customers_read)]):
    return service.masked_view(service.get_customer(session, customer_id))


@router.patch("/{customer_id}", response_model=CustomerPublic)
def update_customer(customer_id: int, body: CustomerUpdate, session: SessionDep,
                    principal: Annotated[Principal, require(Perm.customers_write)]):
    customer = service.get_customer(session, customer_id)
    changes = body.model_dump(exclude_unset=True)
    return service.masked_view(service.update_customer(session, actor=principal.actor, customer=customer,
                                                       changes=changes))


@router.post("/{customer_id}/reveal", response_model=CustomerPublic)
def reveal(customer_id: int, body: RevealRequest, session: SessionDep,
           principal: Annotated[Principal, require(Perm.pii_reveal)]):
    """The unmasked record; the reveal is written to the audit log with its reason."""
    customer = service.get_customer(session, customer_id)
    return service.reveal(session, actor=principal.actor, customer=customer, reason=body.reason)
