"""``kefu serve`` with a trivial ``contacts.events.on_new`` listener registered, as alerts and KPI rollups
will: it counts the contacts it hears and writes the running count to $KEFU_BENCH_HEARD (once per batch).
``contacts_bench.py --listener`` starts the server through this.

    .venv/bin/python bench/serve_listening.py serve --workers 1 --port 8765

With one worker uvicorn serves in this process, so the listener is the one the bulk path calls.
"""

from __future__ import annotations

import os
from pathlib import Path

from kefu.cli import app
from kefu.contacts import events

heard = [0]
OUT = Path(os.environ.get("KEFU_BENCH_HEARD", os.devnull))


@events.on_new
def count(session, facts) -> None:
    heard[0] += len(facts)
    OUT.write_text(str(heard[0]))


if __name__ == "__main__":
    app()
