"""Importing call-detail records from a CSV file (``kefu import contacts FILE.csv``).

The columns are the record's fields (``call_id``, ``offered_at``, ``outcome``, ``customer_phone``…); the
file is UTF-8 (with or without the BOM Excel writes) or GB18030 (what Excel on a Chinese Windows saves).
Rows go to ``contacts.service.ingest`` a chunk at a time and each chunk is committed: a run stopped
anywhere (killed, a power cut) keeps what it committed, and running it again stores the rest, each row
once (``call_id`` is unique per channel, so the rows already stored come back as duplicates).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from kefu.contacts import service
from kefu.contacts.schemas import ContactRecord

REQUIRED_COLUMNS = ("call_id", "offered_at", "outcome")
BLOCK = 1 << 20


class ImportFileError(Exception):
    """The file cannot be read as a contacts CSV at all (missing columns, not text)."""


@dataclass
class BadRow:
    line: int  # the line of the file where the row ends (the header is line 1)
    field: str | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field + ': ' if self.field else ''}{self.message}"


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    duplicates: int = 0
    bad: list[BadRow] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({b.line for b in self.bad})


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` if the whole file is UTF-8 (a BOM or not), else ``gb18030``."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as f:
        try:
            while block := f.read(BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8-sig"


def count_rows(path: Path) -> int:
    """Lines after the header (an estimate when quoted fields hold line breaks; for the progress bar)."""
    n, last = 0, b"\n"
    with path.open("rb") as f:
        while block := f.read(BLOCK):
            n, last = n + block.count(b"\n"), block[-1:]
    return max(0, n - 1 + (last != b"\n"))


def read_rows(path: Path, encoding: str) -> Iterator[tuple[int, dict]]:
    """(line number, record) per data row; empty cells are left out (an absent optional field)."""
    fields = set(ContactRecord.model_fields)
    with path.open(encoding=encoding, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise ImportFileError("the file is empty")
        names = [h.strip() for h in header]
        missing = [c for c in REQUIRED_COLUMNS if c not in names]
        if missing:
            raise ImportFileError(f"missing column(s): {', '.join(missing)} (the header is line 1)")
        columns = [(i, n) for i, n in enumerate(names) if n in fields]
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            yield reader.line_num, {n: cells[i] for i, n in columns if i < len(cells) and cells[i].strip()}


def import_csv(session_factory: Callable[[], Session], path: Path, *, now: Callable[[], datetime],
               chunk: int = 5000, on_chunk: Callable[[int], None] | None = None) -> ImportResult:
    """Import ``path`` (see the module's docstring), committing every ``chunk`` rows."""
    encoding = detect_encoding(path)
    result = ImportResult()
    batch: list[tuple[int, dict]] = []

    def flush() -> None:
        with session_factory() as session:
            outcome = service.ingest(session, [rec for _, rec in batch], now=now())
            session.commit()
        result.rows += len(batch)
        result.created += outcome.created
        result.duplicates += outcome.duplicates
        result.bad += [BadRow(batch[e["index"]][0], e["field"], e["message"]) for e in outcome.errors]
        if on_chunk:
            on_chunk(len(batch))
        batch.clear()

    for line, record in read_rows(path, encoding):
        batch.append((line, record))
        if len(batch) >= chunk:
            flush()
    if batch:
        flush()
    return result
