"""What one chat message costs the server in CPU, without sockets: one thread, a fresh SQLite store.

    .venv/bin/python bench/chat_cost.py [--chats 200] [--rounds 3]

Times (``time.process_time``, so the machine's other load counts less than in wall time) a chat start, a
customer message, an agent message (through the etiquette checker) and one socket's read of a chat after a
message (``kefu.chat.ws.Feed.read``: the chat's state and the new messages). A delivered exchange costs two
writes and four reads (each message is read by the customer's and the agent's socket) when sockets read the
store, two writes alone when this process's hub hands the messages to sockets that are up to date.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from chat_bench import QUEUE, WORK, prepare  # noqa: E402

from kefu.accounts.models import User  # noqa: E402
from kefu.chat import service  # noqa: E402
from kefu.chat.ws import Feed  # noqa: E402
from kefu.core.db import make_engine, session_scope  # noqa: E402


class Reader(Feed):
    """A socket's reading half, without a socket."""

    def __init__(self) -> None:  # noqa: D107 (no socket, no app)
        self.agent, self.names = None, {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chats", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    WORK.mkdir(exist_ok=True)
    path = WORK / "chat-cost.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    prepare(url, -(-args.chats // 5))
    factory = sessionmaker(make_engine(url), expire_on_commit=False)
    now = datetime.now(UTC)
    with session_scope(factory) as session:
        for user in session.scalars(select(User)):
            service.set_ready(session, user=user, now=now, concurrency=5)
    chats = []
    t = time.process_time()
    for n in range(args.chats):
        with session_scope(factory) as session:
            chat = service.start_chat(session, now=now, queue_code=QUEUE, name=f"顾客{n}",
                                      phone=f"1{n + 3000000000:010d}")
            chats.append((chat.id, chat.agent_id))
    start = (time.process_time() - t) / args.chats
    spent = {"customer": 0.0, "agent": 0.0, "read": 0.0}
    for r in range(args.rounds):
        for chat_id, agent_id in chats:
            t0 = time.process_time()
            with session_scope(factory) as session:
                service.customer_message(session, chat=service.get_chat(session, chat_id), body="我的外卖还没到",
                                         now=now, client_msg_id=f"c{r}")
            t1 = time.process_time()
            with session_scope(factory) as session:
                service.agent_message(session, chat=service.get_chat(session, chat_id),
                                      agent=session.get(User, agent_id), body="您好,我们正在为您查询,请您稍等。",
                                      now=now, client_msg_id=f"a{r}")
            t2 = time.process_time()
            with session_scope(factory) as session:
                Reader().read(session, {chat_id: 2 * r}, False)
            t3 = time.process_time()
            spent["customer"] += t1 - t0
            spent["agent"] += t2 - t1
            spent["read"] += t3 - t2
    n = args.rounds * len(chats)
    c, a, r = (1000 * spent[k] / n for k in ("customer", "agent", "read"))
    print(f"chat start {1000 * start:.2f} ms, customer message {c:.2f} ms, agent message {a:.2f} ms, "
          f"one socket's read {r:.2f} ms of CPU; an exchange (2 writes, 4 reads) {c + a + 4 * r:.2f} ms; "
          f"(2 writes, the messages handed to up-to-date sockets by the hub, no read) {c + a:.2f} ms")


if __name__ == "__main__":
    main()
