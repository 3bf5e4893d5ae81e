"""Domain errors. Routes turn them into 4xx answers that name the field."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class Invalid(DomainError):
    status_code = 422


class TooManyRequests(DomainError):
    """Over a rate limit: try again in ``retry_after`` seconds (HTTP 429 with ``Retry-After``)."""

    status_code = 429

    def __init__(self, retry_after: int, *, field: str | None = "rate_limit") -> None:
        super().__init__(f"too many requests; try again in {retry_after} s", field=field)
        self.retry_after = retry_after
