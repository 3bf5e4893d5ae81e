"""Shared schema pieces."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, field_validator

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A list response: the rows of this page and how many match in all."""

    data: list[T]
    count: int


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Message(BaseModel):
    detail: str


def not_null(*fields: str):
    """A validator for PATCH schemas: these fields may be left out, but not set to null (their columns
    are NOT NULL, so a null would otherwise reach the store and fail there with a 500)."""

    def check(cls, value):
        if value is None:
            raise ValueError("may be left out but not set to null")
        return value

    return field_validator(*fields, mode="before")(check)
