"""Splitting long replies into Telegram-sized plain-text messages."""

from __future__ import annotations

MAX_MESSAGE_LENGTH = 4096
"""Telegram's limit for one text message, counted in UTF-16 code units."""

_SEPARATORS = ("\n\n", "\n", ". ", " ")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: emoji outside the BMP count twice)."""
    return len(text.encode("utf-16-le")) // 2


def _fitting_prefix(text: str, limit: int) -> int:
    """The largest index ``i`` such that ``text[:i]`` fits in ``limit`` UTF-16 units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` units, at paragraph, line, sentence or
    word boundaries when one is in the second half of the window (else a hard cut).

    Replies are sent as plain text (no parse mode), so no markup can be broken by a cut."""
    chunks: list[str] = []
    rest = text.strip()
    while rest:
        end = _fitting_prefix(rest, limit)
        if end >= len(rest):
            chunks.append(rest)
            break
        window = rest[:end]
        cut = end
        for separator in _SEPARATORS:
            position = window.rfind(separator)
            if position >= end // 2:
                cut = position + (1 if separator == ". " else 0)
                break
        chunk = rest[:cut].rstrip()
        if not chunk:  # only whitespace before the cut: take the hard window instead
            chunk, cut = window, end
        chunks.append(chunk)
        rest = rest[cut:].lstrip()
    return chunks
