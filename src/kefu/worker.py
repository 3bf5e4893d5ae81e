"""The timer worker loop, run inside ``kefu serve`` and as ``kefu worker``."""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.orm import Session, sessionmaker

import kefu.alerts.live  # noqa: F401  (growth sweep, deliveries, unacknowledged)
import kefu.callbacks.service  # noqa: F401  (registers timer handlers)
import kefu.channels.complaints  # noqa: F401
import kefu.channels.email.outbound  # noqa: F401  (mails replies; registers its reply hook)
import kefu.channels.outbox  # noqa: F401  (WeChat / Weibo replies; registers its reply hook)
import kefu.chat.flow  # noqa: F401  (chat idle flow, first-reply alerts, grace, queue timeout)
import kefu.listeners  # noqa: F401  (every contact listener: alert counts, KPI rollups, ratings)
import kefu.reports.mailing  # noqa: F401  (the weekly VOC report mailed to its subscribers)
import kefu.satisfaction.invitations  # noqa: F401  (survey invitations when a conversation ends)
import kefu.sla.service  # noqa: F401
from kefu.core.clock import Clock
from kefu.core.db import refresh_planner_statistics
from kefu.timers.service import run_due

log = logging.getLogger("kefu.worker")
STATISTICS_EVERY = 6 * 3600.0  # seconds between planner-statistics refreshes (real time, not the clock)


def run_forever(factory: sessionmaker[Session], clock: Clock, *, interval: float, batch: int,
                stop: threading.Event, on_fired=None, after_commit=None) -> None:
    """Fire due timers every ``interval`` seconds until ``stop``; ``after_commit`` as in ``run_due`` (live chat
    sockets hear of the idle flow's messages, closings and requeues through the hub)."""
    log.info("timer worker started (every %.1fs)", interval)
    statistics_due = time.monotonic()
    while not stop.is_set():
        if time.monotonic() >= statistics_due:
            statistics_due = time.monotonic() + STATISTICS_EVERY
            try:
                refresh_planner_statistics(factory.kw["bind"])
            except Exception:  # a busy database: try again next time
                log.warning("refreshing planner statistics failed", exc_info=True)
        try:
            while (fired := run_due(factory, clock, batch=batch, after_commit=after_commit)) > 0:
                if on_fired:
                    on_fired(fired)
                if fired < batch or stop.is_set():
                    break
        except Exception:  # keep the loop alive through a database hiccup
            log.exception("timer worker round failed")
        stop.wait(interval)
    log.info("timer worker stopped")


def start_thread(factory, clock, *, interval: float, batch: int, on_fired=None,
                 after_commit=None) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, name="kefu-worker", daemon=True,
                              kwargs={"factory": factory, "clock": clock, "interval": interval, "batch": batch,
                                      "stop": stop, "on_fired": on_fired, "after_commit": after_commit})
    thread.start()
    return thread, stop
