"""Reading a text file a Chinese user hands to the CLI: UTF-8 (with or without a BOM, as Excel writes it) or
GB18030 (which covers GBK and GB2312, as Chinese Windows tools write it)."""

from __future__ import annotations

from pathlib import Path

ENCODINGS = ("utf-8-sig", "gb18030")


class TextFileError(ValueError):
    """The file cannot be read, or is in neither encoding; the message names the file."""


def read_chinese_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TextFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TextFileError(f"{path} is neither UTF-8 nor GB18030 text")
