"""Logging that never lets customer PII out: every record is scrubbed of phones and ID numbers."""

from __future__ import annotations

import logging

from kefu.core.pii import scrub_text


class PiiScrubber(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub_text(message)
        if clean != message:
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
