"""Logging that never lets customer PII out: every record is scrubbed of phones and ID numbers."""

from __future__ import annotations

import logging

from kefu.core.pii import scrub_text


class PiiScrubber(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # scrub the template and each argument, keeping their shape: some formatters (uvicorn's
        # access log) read record.args themselves
        if isinstance(record.msg, str):
            record.msg = scrub_text(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(scrub_text(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: scrub_text(v) if isinstance(v, str) else v for k, v in record.args.items()}
        message = record.getMessage()
        clean = scrub_text(message)
        if clean != message:  # a number made whole only by formatting
            record.msg, record.args = clean, None
        # tracebacks carry PII too (a failed INSERT's parameters, an exception message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_text(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub_text(record.stack_info)
        return True


def setup(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not any(isinstance(f, PiiScrubber) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(PiiScrubber())
        root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
        for h in logging.getLogger(name).handlers:
            h.addFilter(PiiScrubber())


def uvicorn_log_config(level: str = "INFO") -> dict:
    """uvicorn's own logging config with the PII scrubber on every handler (its access log prints
    paths and query strings, which may hold a phone number someone searched for)."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["pii"] = {"()": "kefu.core.logging.PiiScrubber"}
    for handler in config.get("handlers", {}).values():
        handler.setdefault("filters", []).append("pii")
    for logger in config.get("loggers", {}).values():
        if "level" in logger:
            logger["level"] = level
    return config
