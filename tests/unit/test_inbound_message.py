"""The neutral inbound message only carries values every database can store."""

from __future__ import annotations

from fitcoach.channels.base import MAX_ID_LENGTH, InboundMessage


def message(**fields: str) -> InboundMessage:
    base = {"channel": "web", "external_user_id": "u", "conversation_id": "c", "message_id": "m"}
    return InboundMessage(**{**base, **fields})


def test_nul_and_lone_surrogates_in_text_are_replaced() -> None:
    text = message(text="a\x00b\ud83d").text
    assert text.startswith("a\ufffdb\ufffd")
    text.encode("utf-8")  # no lone surrogate left
    assert message(text="ok", user_name="x\x00").user_name == "x\ufffd"


def test_overlong_ids_become_a_stable_digest() -> None:
    long_id = "cb:" + "x" * 400
    first, again = message(message_id=long_id), message(message_id=long_id)
    assert first.message_id == again.message_id  # a redelivery is still recognised
    assert first.message_id.startswith("sha256:") and len(first.message_id) <= MAX_ID_LENGTH
    assert message(message_id=long_id + "y").message_id != first.message_id
    assert message(conversation_id="c" * 300).conversation_id.startswith("sha256:")
    assert message(message_id="12345").message_id == "12345"  # real ids are kept as they are


def test_nul_in_ids_is_replaced() -> None:
    assert message(message_id="a\x00").message_id == "a\ufffd"
