"""The demo knowledge base loaded through the real workflow, in the test's transaction."""

from __future__ import annotations

import pytest


@pytest.fixture
def kb(db, clock) -> dict[str, int]:
    """``{article key: id}`` of the published demo articles (kefu.kb.demo_articles)."""
    from kefu.kb import demo

    ids = demo.load(db, now=clock.now())
    db.commit()
    return ids
