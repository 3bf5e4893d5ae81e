"""The count a list shows beside a page: exact while it is cheap, capped where counting would cost every page.

Counting a million matches costs more than the page itself, so lists count up to a cap ("1000+") and say
so (``count_capped``). The last page needs no count at all: offset plus what it holds is exact.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


def capped_count(session: Session, stmt: Select, cap: int) -> tuple[int, bool]:
    """How many rows ``stmt`` matches, counting no further than ``cap``: (count, capped)."""
    n = session.scalar(select(func.count()).select_from(stmt.limit(cap + 1).subquery())) or 0
    return min(n, cap), n > cap


def page_count(session: Session, stmt: Select, *, found: int, limit: int, offset: int,
               cap: int) -> tuple[int, bool]:
    """(count, capped) beside a page of ``found`` rows taken at ``offset`` with ``limit``: exact on the last page,
    otherwise counted up to ``cap`` (or ``offset + limit`` if larger)."""
    if found < limit and (found or offset == 0):
        return offset + found, False  # the last page: nothing to count
    return capped_count(session, stmt, max(cap, offset + limit))
