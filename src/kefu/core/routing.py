"""Routes whose database work takes one trip to a worker thread.

FastAPI runs a plain ``def`` endpoint in a worker thread, then validates its answer in another trip, and
a ``yield`` dependency's set-up and tear-down in two more; each trip waits for a thread and for the GIL.
A kefu endpoint is a unit of work on the request's Session, so this route runs the endpoint *and* its
commit in a single trip, and the answer is validated on the event loop (pure CPU, no I/O). The Session
dependency (``core.deps.get_session``) is created on the loop (no I/O) and finds nothing left to commit.

Every router in kefu is made with ``Router(...)``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool


def one_trip(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint`` (a plain function) and the commit of the Sessions it was given, in one worker thread."""

    @functools.wraps(endpoint)
    async def run(*args: Any, **kwargs: Any) -> Any:
        def work() -> Any:
            result = endpoint(*args, **kwargs)
            for value in kwargs.values():
                if isinstance(value, Session) and (value.in_transaction() or value.new or value.dirty
                                                   or value.deleted):
                    value.commit()
            return result

        return await run_in_threadpool(work)

    run.__kefu_one_trip__ = True  # type: ignore[attr-defined]
    return run


class UnitOfWorkRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint) and not getattr(endpoint, "__kefu_one_trip__", False) \
                and inspect.isfunction(endpoint):
            endpoint = one_trip(endpoint)
        super().__init__(path, endpoint, **kwargs)


Router = functools.partial(APIRouter, route_class=UnitOfWorkRoute)
