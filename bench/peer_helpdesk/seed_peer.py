"""Seed the django-helpdesk peer with N tickets from the same Chinese corpus as kefu's seeder.

    bench/.work/peer-venv/bin/python bench/peer_helpdesk/seed_peer.py --tickets 1000000

Creates bench/.work/peer-helpdesk.db (SQLite, WAL), runs Django's migrations, adds 15 queues (the teams),
300 staff agents and a superuser ``benchadmin``, and bulk_creates the tickets in chunks. Writes
bench/.work/peer-credentials.json with a DRF token and a session cookie for the load client.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")
WORK = HERE.parent / ".work"

import corpus  # noqa: E402

PRIORITY = {"urgent": 1, "high": 2, "normal": 3, "low": 4}
PRIORITIES = ["low"] * 15 + ["normal"] * 60 + ["high"] * 20 + ["urgent"] * 5


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--chunk", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    db = Path(os.environ.get("PEER_DB", WORK / "peer-helpdesk.db"))
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    t0 = time.perf_counter()

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone
    from helpdesk.models import Queue, Ticket
    from rest_framework.authtoken.models import Token

    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        cur.execute("PRAGMA journal_mode=WAL")
    now = timezone.now()
    queues = [Queue.objects.create(title=f"一线客服{i + 1}组", slug=f"team{i + 1}", email_address="")
              for i in range(14)]
    queues.append(Queue.objects.create(title="投诉处理组", slug="complaints", email_address=""))
    admin = User.objects.create_superuser("benchadmin", "admin@example.cn", "bench-Passw0rd")
    User.objects.bulk_create([User(username=f"agent{i + 1:03d}", email=f"agent{i + 1:03d}@example.cn",
                                   is_staff=True, password="!") for i in range(300)])
    agents = list(User.objects.filter(username__startswith="agent").order_by("id").values_list("id", flat=True))
    token = Token.objects.create(user=admin).key
    store = SessionStore()
    store["_auth_user_id"] = str(admin.pk)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = admin.get_session_auth_hash()
    store.create()
    (WORK / "peer-credentials.json").write_text(json.dumps({
        "token": token, "sessionid": store.session_key, "agents": agents[:20],
        "queues": [q.id for q in queues]}))
    print(f"world: 15 queues, 300 agents ({time.perf_counter() - t0:.1f} s)", flush=True)

    # bulk_create must keep our created/modified, not stamp "now"
    Ticket._meta.get_field("created").auto_now_add = False
    Ticket._meta.get_field("modified").auto_now = False
    rnd = random.Random(args.seed)
    year = 365 * 86400
    done, t1 = 0, time.perf_counter()
    while done < args.tickets:
        n = min(args.chunk, args.tickets - done)
        batch = []
        for _ in range(n):
            _issue, subject, description = corpus.ticket_text(rnd)
            age = rnd.random() * year if rnd.random() > 0.03 else rnd.random() * 3 * 86400
            created = now - timedelta(seconds=age)
            days = age / 86400
            p_active = 0.7 if days < 3 else 0.15 if days < 14 else 0.004
            if rnd.random() < p_active:
                status = rnd.choices([Ticket.OPEN_STATUS, Ticket.REOPENED_STATUS], weights=[95, 5])[0]
            else:
                status = rnd.choices([Ticket.RESOLVED_STATUS, Ticket.CLOSED_STATUS], weights=[20, 80])[0]
            team = rnd.randrange(15)
            batch.append(Ticket(
                title=subject, description=description, queue=queues[team], created=created,
                modified=created, submitter_email=f"1{rnd.randint(3000000000, 9999999999)}@example.cn",
                assigned_to_id=rnd.choice(agents), status=status, priority=PRIORITY[rnd.choice(PRIORITIES)],
                due_date=created + timedelta(hours=72), resolution="已处理" if status >= 3 else ""))
        with transaction.atomic():
            Ticket.objects.bulk_create(batch, batch_size=2000)
        done += n
        el = time.perf_counter() - t1
        print(f"  {done:>9,} tickets  {el:7.1f} s  {done / el:8.0f}/s", flush=True)
    t2 = time.perf_counter()
    print(f"seeded {args.tickets:,} tickets in {t2 - t0:.1f} s (tickets {t2 - t1:.1f} s) -> {db}", flush=True)


if __name__ == "__main__":
    main()
