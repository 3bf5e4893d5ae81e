"""ASGI entry point for uvicorn/gunicorn: ``kefu.asgi:app``."""

from kefu.app import create_app

app = create_app()
