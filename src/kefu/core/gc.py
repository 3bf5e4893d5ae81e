"""The server process's garbage collector, tuned for thousands of long-lived chat sockets.

CPython frees most objects by reference counting; its cyclic collector only finds garbage in reference cycles. It
collects the youngest generation every 700 net allocations, so under chat traffic objects that live a few
milliseconds (a message's rows, futures, a poll's snapshots) are often alive at a collection and are promoted;
when the promoted objects reach a quarter of the old generation, a *full* collection walks every object of every
socket (a server with 2,000 chats holds about 600,000), holding the event loop for hundreds of milliseconds every
few seconds — the tail of message delivery. Two remedies, applied once the server has started (``tune``):

- the objects made at start-up (modules, routes, mappers, settings: a quarter of a million) are *frozen* into the
  permanent generation, which no collection walks again (``gc.freeze``, made for long-running servers);
- a larger first threshold (``KEFU_GC_THRESHOLD``) lets short-lived objects die before anyone looks, so fewer are
  promoted and full collections become rare; a young collection then walks at most that many objects.

Only the server entry (``kefu.asgi``) tunes: tests and the command-line tools keep Python's defaults.
"""

from __future__ import annotations

import gc


def parse_threshold(value: str) -> tuple[int, ...] | None:
    """``"10000,20,10"`` → (10000, 20, 10); empty → None (Python's own). A ValueError names the bad part."""
    value = (value or "").strip()
    if not value:
        return None
    parts = [p.strip() for p in value.split(",")]
    if not 1 <= len(parts) <= 3:
        raise ValueError(f"KEFU_GC_THRESHOLD is one to three whole numbers (gen0,gen1,gen2), not {value!r}")
    out = []
    for part in parts:
        if not part.isdigit() or int(part) < 1:
            raise ValueError(f"KEFU_GC_THRESHOLD: {part!r} is not a whole number ≥ 1")
        out.append(int(part))
    return tuple(out)


def tune(threshold: str) -> None:
    """Freeze what start-up made and set the thresholds (``parse_threshold``)."""
    gc.collect()
    gc.freeze()
    parsed = parse_threshold(threshold)
    if parsed:
        gc.set_threshold(*parsed)
