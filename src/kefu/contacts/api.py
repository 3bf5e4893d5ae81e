"""/contacts: call-detail records (and other channels' contacts) in, one or 10,000 at a time; the list by
time window and filters. Writers are admins and integrations (API keys, which admins create)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request, Response

from kefu.contacts import queries, service
from kefu.contacts.schemas import BulkRequest, BulkResult, ContactPage, ContactPublic, ContactRecord
from kefu.core.deps import ClockDep, CurrentUser, Principal, SessionDep, require
from kefu.core.errors import Forbidden, Invalid
from kefu.core.roles import Perm
from kefu.core.routing import Router

router = Router(prefix="/contacts", tags=["contacts"])
Reader = Annotated[Principal, require(Perm.contacts_read)]


async def _writer(principal: CurrentUser) -> Principal:
    """Roles holding contacts.write, and any API key: a key is an integration an admin set up (the
    telephony system, the channel gateways), whatever the role of the account it acts as."""
    if principal.via == "api_key" or principal.can(Perm.contacts_write):
        return principal
    raise Forbidden(f"your role ({principal.user.role}) may not {Perm.contacts_write.value}")


Writer = Annotated[Principal, Depends(_writer)]


async def _raw_body(request: Request) -> bytes:
    """The request body as it came: the bulk endpoint decodes and checks it in one call (``service.read_bulk``),
    instead of FastAPI decoding it into Python objects and each record being checked from those."""
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]


def _bulk_body_doc() -> dict:
    """The documented request body of /bulk: BulkRequest, its records referring to ContactRecord's schema
    (which the single-record endpoint puts in the components)."""
    schema = BulkRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


@router.post("", response_model=ContactPublic, status_code=201,
             responses={200: {"model": ContactPublic, "description": "already stored (same channel and call_id)"}})
def create_contact(body: ContactRecord, response: Response, session: SessionDep, clock: ClockDep, _: Writer):
    """One record: 201 with the new contact, or 200 with the stored one when this call_id was sent before."""
    result = service.ingest(session, [body.model_dump()], now=clock.now())
    if result.errors:
        raise Invalid(f"{result.errors[0]['field']}: {result.errors[0]['message']}", field=result.errors[0]["field"])
    if not result.created:
        response.status_code = 200
    return queries.publics(session, [queries.find(session, channel=body.channel, external_id=body.call_id)])[0]


@router.post("/bulk", response_model=BulkResult, openapi_extra=_bulk_body_doc(),
             responses={413: {"description": "more than 10,000 records"}})
def bulk(body: RawBody, session: SessionDep, clock: ClockDep, _: Writer):
    """Up to 10,000 records (``BulkRequest``). Good ones are stored, bad ones reported ``{index, field,
    message}``, ones already stored counted as ``duplicates``; sending the same batch again is safe. A body
    that is not JSON, or not ``{"contacts": [...]}``, is refused (422); more than 10,000 records, 413."""
    result = service.ingest_json(session, body, now=clock.now())
    return {"created": result.created, "duplicates": result.duplicates, "errors": result.errors}


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise Invalid(f"{name} needs a time zone offset, e.g. 2026-11-23T09:00:00+08:00", field=name)
    return value


@router.get("", response_model=ContactPage)
def list_contacts(session: SessionDep, _: Reader, channel: str | None = None, outcome: str | None = None,
                  queue: str | None = None, category_id: int | None = None, business_line_id: int | None = None,
                  customer_id: int | None = None, agent_id: int | None = None, ticket_id: int | None = None,
                  offered_from: Annotated[datetime | None, Query(description="inclusive, with offset")] = None,
                  offered_to: Annotated[datetime | None, Query(description="exclusive, with offset")] = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0)] = 0):
    """Contacts matching every filter, newest offered first. ``count`` is exact up to 1,000 matches (or
    offset + limit if larger), then stops there with ``count_capped: true``."""
    f = queries.ContactFilter(channel=channel, outcome=outcome, queue=queue, category_id=category_id,
                              business_line_id=business_line_id, customer_id=customer_id, agent_id=agent_id,
                              ticket_id=ticket_id, offered_from=_aware("offered_from", offered_from),
                              offered_to=_aware("offered_to", offered_to))
    page = queries.page_contacts(session, f, limit=limit, offset=offset)
    return {"data": page.rows, "count": page.count, "count_capped": page.capped}


@router.get("/{contact_id}", response_model=ContactPublic)
def get_contact(contact_id: int, session: SessionDep, _: Reader):
    return queries.get_contact(session, contact_id)
