"""``_scrub``'s quick test (one search of a union pattern) never skips a string that one of
the secret patterns would change."""

from __future__ import annotations

import random

from fitcoach.observability import _SECRET_PATTERNS, _scrub

FRAGMENTS = [
    "123456789:AAHfake-bot-token_0123456789",
    "12:short",
    "Bearer abc.def-ghi",
    "bearer xyz",
    "Authorization: Basic dXNlcjpwYXNz",
    "authorization='tok'",
    "xoxb-1-2-abc",
    "XOXP-9-x",
    "xapp-1-A1",
    "AIzaSyA1234567890abcdefghijklmnop",
    "aizasy0123456789012345678901",
    "?token=abc",
    "&api_key=K1",
    "?Access_Token=z",
    "&password=hunter2",
    "https://api.telegram.org/bot",
    "/sendMessage",
    "2026-11-23T23:24:04.311369Z",
    "user 42 logged 3 sets",
    " ",
    ":",
    "-",
    "\n",
]


def _scrub_with_every_pattern(value: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        value = pattern.sub(replacement, value)
    return value


def test_scrub_matches_trying_every_pattern() -> None:
    rng = random.Random(11)
    texts = list(FRAGMENTS)
    for _ in range(5000):
        texts.append("".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 5))))
    changed = 0
    for text in texts:
        expected = _scrub_with_every_pattern(text)
        assert _scrub(text) == expected, text
        changed += expected != text
    assert changed > 1000  # the texts do exercise the secret patterns
    assert _scrub("plain words, 2026-11-23T23:24:04Z") == "plain words, 2026-11-23T23:24:04Z"
