"""ASGI entry point for uvicorn/gunicorn: ``kefu.asgi:app``. A server process: its garbage collector is tuned
for long-lived sockets (``kefu.core.gc``, ``KEFU_GC_THRESHOLD``)."""

from kefu.app import create_app

app = create_app(tune_gc=True)
