"""End to end through POST /webhooks/telegram with the real python-telegram-bot client against
the fake Bot API server (tests/fakes/telegram_server.py): no test contacts Telegram."""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from fitcoach.app import create_app
from fitcoach.bootstrap import Services
from fitcoach.channels.base import Attachment, Button, InboundMessage, OutboundMessage
from fitcoach.channels.telegram import TelegramChannel, TelegramDeliverer, api_urls
from fitcoach.channels.telegram.text import split_text, utf16_len
from fitcoach.cli_telegram import run_polling, telegram_app
from fitcoach.config import Settings, get_settings
from fitcoach.storage.models import InboxMessage
from fitcoach.webhooks.telegram import plugin

try:
    from tests.fakes.telegram_server import (
        BOT_ID,
        BOT_USERNAME,
        DEFAULT_TOKEN,
        FakeTelegram,
        fake_telegram,
        ogg_bytes,
        png_bytes,
    )
except ModuleNotFoundError:  # repo root not on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.fakes.telegram_server import (
        BOT_ID,
        BOT_USERNAME,
        DEFAULT_TOKEN,
        FakeTelegram,
        fake_telegram,
        ogg_bytes,
        png_bytes,
    )

__all__ = ["fake_telegram"]  # the fixture, re-exported for pytest

SECRET = "s3cret-webhook-token_42"
USER = 42
GROUP = -1001234
_ids = itertools.count(100)


# ---- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def tg_settings(tmp_path: Path, fake_telegram: FakeTelegram) -> Settings:
    return get_settings(
        data_dir=tmp_path / "var",
        model="offline",
        telegram_bot_token=DEFAULT_TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_url=fake_telegram.url,
        access_policy={"telegram": "open"},  # pairing (the default) has its own test
    )


@pytest.fixture
def tg(tg_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(tg_settings, plugins=[plugin])) as client:
        yield client


# ---- update builders -----------------------------------------------------------------------


def _user(user_id: int = USER, *, is_bot: bool = False, name: str = "Ada") -> dict[str, Any]:
    return {"id": user_id, "is_bot": is_bot, "first_name": name}


def _chat(chat_id: int) -> dict[str, Any]:
    if chat_id < 0:
        return {"id": chat_id, "type": "supergroup", "title": "Gym buddies"}
    return {"id": chat_id, "type": "private", "first_name": "Ada"}


def _entities(text: str, key: str = "entities") -> dict[str, Any]:
    found: list[dict[str, Any]] = []
    if text.startswith("/"):
        found.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
    handle = f"@{BOT_USERNAME}"
    start = text.find(handle)
    if start >= 0:
        found.append({"type": "mention", "offset": utf16_len(text[:start]), "length": len(handle)})
    return {key: found} if found else {}


def message(
    text: str | None = None,
    *,
    chat_id: int = USER,
    user_id: int = USER,
    is_bot: bool = False,
    message_id: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "message_id": message_id or next(_ids),
        "date": 1_767_000_000,
        "chat": _chat(chat_id),
        "from": _user(user_id, is_bot=is_bot),
    }
    if text is not None:
        msg["text"] = text
        msg.update(_entities(text))
    if "caption" in extra:
        msg.update(_entities(extra["caption"], "caption_entities"))
    msg.update(extra)
    return msg


def update(msg: dict[str, Any], kind: str = "message") -> dict[str, Any]:
    return {"update_id": next(_ids), kind: msg}


def post(client: TestClient, body: dict[str, Any], secret: str | None = SECRET) -> int:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    return client.post("/webhooks/telegram", json=body, headers=headers).status_code


# ---- helpers -------------------------------------------------------------------------------


def drain(client: TestClient) -> None:
    """Wait until every accepted message was answered."""
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    assert client.portal is not None
    client.portal.call(services.conversation.drain)


def inbox(client: TestClient) -> list[dict[str, Any]]:
    """The accepted messages as the conversation service stored them."""
    database = client.app.state.services.database  # type: ignore[attr-defined]

    async def fetch() -> list[InboxMessage]:
        async with database.session() as session:
            return list((await session.execute(select(InboxMessage))).scalars())

    assert client.portal is not None
    return [
        json.loads(row.payload) | {"_status": row.status}
        for row in client.portal.call(fetch)
        if row.channel == "telegram"
    ]


def channel_of(client: TestClient) -> TelegramChannel:
    channel: TelegramChannel = client.app.state.telegram  # type: ignore[attr-defined]
    return channel


def texts(fake: FakeTelegram) -> list[str]:
    return [c.params["text"] for c in fake.sent("sendMessage")]


# ---- text, dedupe, secret ------------------------------------------------------------------


def test_a_text_message_gets_one_grounded_reply(
    tg: TestClient, fake_telegram: FakeTelegram
) -> None:
    assert post(tg, update(message("had 2 large eggs and a banana"))) == 200
    [reply] = fake_telegram.wait_for("sendMessage")
    assert reply.params["chat_id"] == USER
    assert "143 kcal" in reply.params["text"] and "105 kcal" in reply.params["text"]
    drain(tg)
    assert len(fake_telegram.sent("sendMessage")) == 1
    [stored] = inbox(tg)
    assert stored["message_id"] == f"{USER}:{stored['metadata']['telegram_message_id']}"
    assert stored["external_user_id"] == str(USER) and stored["_status"] == "done"
    assert "reply_parameters" not in reply.params  # private chats are not quoted


def test_a_redelivered_update_is_answered_once(tg: TestClient, fake_telegram: FakeTelegram) -> None:
    body = update(message("had 2 large eggs and a banana"))
    assert post(tg, body) == 200
    assert post(tg, body) == 200
    fake_telegram.wait_for("sendMessage")
    drain(tg)
    assert len(fake_telegram.sent("sendMessage")) == 1
    assert len(inbox(tg)) == 1


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x"])
def test_a_wrong_or_missing_secret_is_rejected(
    tg: TestClient, fake_telegram: FakeTelegram, secret: str | None
) -> None:
    assert post(tg, update(message("had a banana")), secret=secret) == 403
    drain(tg)
    assert fake_telegram.sent("sendMessage") == []
    assert inbox(tg) == []


def test_without_a_configured_secret_every_webhook_is_rejected(
    tg_settings: Settings, fake_telegram: FakeTelegram
) -> None:
    settings = tg_settings.model_copy(update={"telegram_webhook_secret": None})
    with TestClient(create_app(settings, plugins=[plugin])) as client:
        assert post(client, update(message("had a banana")), secret="") == 403
        assert post(client, update(message("had a banana")), secret="anything") == 403
    assert fake_telegram.sent("sendMessage") == []


def test_garbage_is_refused_and_unknown_updates_are_acknowledged(
    tg: TestClient, fake_telegram: FakeTelegram
) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    assert tg.post("/webhooks/telegram", content=b"{", headers=headers).status_code == 400
    assert post(tg, {"update_id": 1, "poll": {"id": "x"}}) == 200  # not a message: ignored
    # found by bench/fuzz_webhooks.py: PTB does not type-check ids; such an update is dropped
    odd = update(message("had 2 eggs"))
    odd["message"]["chat"]["id"] = ["1", {"\ud800": 1}]  # a lone surrogate, JSON-escaped
    assert (
        tg.post("/webhooks/telegram", content=json.dumps(odd), headers=headers).status_code == 200
    )
    drain(tg)
    assert fake_telegram.sent("sendMessage") == []
    assert inbox(tg) == []


def test_the_plugin_is_off_without_a_token(tmp_path: Path) -> None:
    settings = get_settings(data_dir=tmp_path / "var", model="offline")
    with TestClient(create_app(settings, plugins=[plugin])) as client:
        assert post(client, update(message("hi"))) == 404


# ---- media ---------------------------------------------------------------------------------


def _photo_sizes(fake: FakeTelegram, unique: str) -> list[dict[str, Any]]:
    large = fake.add_file(png_bytes(4, 3), file_path=f"photos/{unique}.png", file_unique_id=unique)
    return [
        {"file_id": "thumb-not-served", "file_unique_id": f"{unique}-s", "width": 90, "height": 67},
        {"file_id": large, "file_unique_id": unique, "width": 1280, "height": 960},
    ]


def test_a_photo_is_downloaded_stored_and_attached(
    tg: TestClient, tg_settings: Settings, fake_telegram: FakeTelegram
) -> None:
    sizes = _photo_sizes(fake_telegram, "AQADphoto1")
    assert post(tg, update(message(photo=sizes, caption="had 2 large eggs and a banana"))) == 200
    [reply] = fake_telegram.wait_for("sendMessage")  # what it says is the coach's business
    assert reply.params["chat_id"] == USER
    assert [c.params["file_id"] for c in fake_telegram.sent("getFile")] == [sizes[1]["file_id"]]
    assert fake_telegram.downloads == ["photos/AQADphoto1.png"]
    stored = tg_settings.data_dir / "files" / "telegram" / str(USER) / "AQADphoto1.png"
    assert stored.read_bytes() == png_bytes(4, 3)
    [message_row] = inbox(tg)
    assert message_row["images"] == [
        {
            "kind": "image",
            "mime_type": "image/png",
            "ref": str(stored),
            "size_bytes": len(png_bytes(4, 3)),
        }
    ]
    assert message_row["text"] == "had 2 large eggs and a banana"


def test_a_voice_note_becomes_audio(
    tg: TestClient, tg_settings: Settings, fake_telegram: FakeTelegram
) -> None:
    voice_id = fake_telegram.add_file(
        ogg_bytes(), file_path="voice/file_3.oga", file_unique_id="AgADvoice"
    )
    voice = {
        "file_id": voice_id,
        "file_unique_id": "AgADvoice",
        "duration": 2,
        "mime_type": "audio/ogg",
    }
    assert post(tg, update(message(voice=voice))) == 200
    fake_telegram.wait_for("sendMessage")
    [row] = inbox(tg)
    [audio] = row["audio"]
    assert audio["kind"] == "audio" and audio["mime_type"] == "audio/ogg"
    assert Path(audio["ref"]).read_bytes()[:4] == b"OggS"
    assert Path(audio["ref"]).parent == tg_settings.data_dir / "files" / "telegram" / str(USER)


def test_an_album_becomes_one_message_with_every_image(
    tg: TestClient, fake_telegram: FakeTelegram
) -> None:
    first = message(
        photo=_photo_sizes(fake_telegram, "AQalb1"),
        media_group_id="777",
        caption="lunch and dessert",
    )
    second = message(photo=_photo_sizes(fake_telegram, "AQalb2"), media_group_id="777")
    assert post(tg, update(first)) == 200
    assert post(tg, update(second)) == 200
    fake_telegram.wait_for("sendMessage")
    drain(tg)
    assert len(fake_telegram.sent("sendMessage")) == 1
    [row] = inbox(tg)
    assert row["message_id"] == f"{USER}:album:777"
    assert row["text"] == "lunch and dessert"
    assert [Path(i["ref"]).name for i in row["images"]] == ["AQalb1.png", "AQalb2.png"]
    assert post(tg, update(second)) == 200  # a late redelivery of one item: a duplicate
    channel = channel_of(tg)
    assert tg.portal is not None
    tg.portal.call(channel.albums.close)
    drain(tg)
    assert len(fake_telegram.sent("sendMessage")) == 1


def test_unsupported_content_gets_a_short_explanation(
    tg: TestClient, fake_telegram: FakeTelegram
) -> None:
    sticker = {
        "file_id": "st",
        "file_unique_id": "st",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
    assert post(tg, update(message(sticker=sticker))) == 200
    [reply] = fake_telegram.wait_for("sendMessage")
    assert "photos and voice notes" in reply.params["text"]
    assert inbox(tg) == []


# ---- rendering -----------------------------------------------------------------------------


def _inbound(chat_id: int = USER) -> InboundMessage:
    return InboundMessage(
        channel="telegram",
        external_user_id=str(USER),
        conversation_id=str(chat_id),
        message_id=f"{chat_id}:1",
        metadata={"chat_id": chat_id},
    )


def test_a_long_reply_is_split_under_the_limit(tg: TestClient, fake_telegram: FakeTelegram) -> None:
    paragraph = "Squats build strong legs 💪 and protein helps you recover. " * 30
    long_text = "\n\n".join(f"{i}. {paragraph.strip()}" for i in range(8))
    assert len(long_text) > 3 * 4096
    buttons = [Button(label="1. Yes", value="1"), Button(label="2. No", value="2")]
    assert tg.portal is not None
    tg.portal.call(
        channel_of(tg).deliver, _inbound(), [OutboundMessage(text=long_text, buttons=buttons)]
    )
    sent = fake_telegram.sent("sendMessage")
    assert len(sent) >= 4
    assert all(utf16_len(c.params["text"]) <= 4096 for c in sent)
    assert " ".join(c.params["text"] for c in sent).split() == long_text.split()
    assert all("reply_markup" not in c.params for c in sent[:-1])
    keyboard = sent[-1].params["reply_markup"]["inline_keyboard"]
    assert keyboard == [
        [{"text": "1. Yes", "callback_data": "1"}],
        [{"text": "2. No", "callback_data": "2"}],
    ]
    assert "parse_mode" not in sent[0].params  # plain text: a cut can never break markup


def test_split_text_edge_cases() -> None:
    assert split_text("") == []
    assert split_text("short") == ["short"]
    hard = "x" * 9000
    assert [len(c) for c in split_text(hard)] == [4096, 4096, 808]
    emoji = "😀" * 3000  # 2 UTF-16 units each
    chunks = split_text(emoji)
    assert all(utf16_len(c) <= 4096 for c in chunks) and "".join(chunks) == emoji


def test_images_are_sent_as_photos_and_long_button_values_fall_back_to_text(
    tg: TestClient, tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    chart = tmp_path / "chart.png"
    chart.write_bytes(png_bytes())
    reply = OutboundMessage(
        text="Your week:",
        images=[Attachment(kind="image", mime_type="image/png", ref=str(chart))],
        buttons=[Button(label="A. " + "x" * 80, value="y" * 80)],
    )
    assert tg.portal is not None
    tg.portal.call(channel_of(tg).deliver, _inbound(), [reply])
    [photo] = fake_telegram.sent("sendPhoto")
    assert photo.files["photo"].content == png_bytes()
    [text] = fake_telegram.sent("sendMessage")
    assert "A. xxx" in text.params["text"] and "reply_markup" not in text.params


# ---- groups, bots, edits -------------------------------------------------------------------


def test_in_a_group_only_mentions_and_replies_are_answered(
    tg: TestClient, fake_telegram: FakeTelegram
) -> None:
    assert post(tg, update(message("had 2 large eggs", chat_id=GROUP))) == 200
    drain(tg)
    assert fake_telegram.sent("sendMessage") == [] and inbox(tg) == []

    mention = message(f"@{BOT_USERNAME} had 2 large eggs and a banana", chat_id=GROUP)
    assert post(tg, update(mention)) == 200
    [reply] = fake_telegram.wait_for("sendMessage")
    assert reply.params["chat_id"] == GROUP
    assert "143 kcal" in reply.params["text"]
    assert reply.params["reply_parameters"]["message_id"] == mention["message_id"]
    [row] = inbox(tg)
    assert row["text"] == "had 2 large eggs and a banana"
    assert row["conversation_id"] == f"{GROUP}:{USER}"  # members never share a thread

    bot_message = {
        "message_id": 9,
        "date": 1,
        "chat": _chat(GROUP),
        "from": _user(BOT_ID, is_bot=True),
        "text": "Logged your meal",
    }
    answer = message("how am I doing today?", chat_id=GROUP, reply_to_message=bot_message)
    assert post(tg, update(answer)) == 200
    replies = fake_telegram.wait_for("sendMessage", count=2)
    assert "248 kcal" in replies[1].params["text"]


def test_messages_from_bots_and_edits_are_ignored(
    tg: TestClient, fake_telegram: FakeTelegram
) -> None:
    assert post(tg, update(message("had a banana", user_id=777, is_bot=True))) == 200
    edited = message("had a banana") | {"edit_date": 1_767_000_100}
    assert post(tg, update(edited, kind="edited_message")) == 200
    drain(tg)
    assert fake_telegram.sent("sendMessage") == [] and inbox(tg) == []


# ---- buttons and commands ------------------------------------------------------------------


def test_a_button_press_is_answered_and_processed(
    tg: TestClient, fake_telegram: FakeTelegram
) -> None:
    keyboard_message = {
        "message_id": 555,
        "date": 1,
        "chat": _chat(USER),
        "from": _user(BOT_ID, is_bot=True),
        "text": "Which one?",
    }
    press = {
        "id": "cbq-1",
        "from": _user(),
        "chat_instance": "ci",
        "data": "undo",
        "message": keyboard_message,
    }
    body = update(press, kind="callback_query")
    assert post(tg, body) == 200
    [reply] = fake_telegram.wait_for("sendMessage")
    assert "nothing to undo" in reply.params["text"].lower()
    assert [c.params["callback_query_id"] for c in fake_telegram.sent("answerCallbackQuery")] == [
        "cbq-1"
    ]
    [edit] = fake_telegram.sent("editMessageReplyMarkup")
    assert edit.params["message_id"] == 555
    [row] = inbox(tg)
    assert row["message_id"] == "cb:cbq-1" and row["text"] == "undo"
    assert post(tg, body) == 200  # redelivered press
    drain(tg)
    assert len(fake_telegram.sent("sendMessage")) == 1


def test_today_maps_to_progress(tg: TestClient, fake_telegram: FakeTelegram) -> None:
    post(tg, update(message("had 2 large eggs and a banana")))
    fake_telegram.wait_for("sendMessage")
    post(tg, update(message("/today")))
    replies = fake_telegram.wait_for("sendMessage", count=2)
    assert "248 kcal" in replies[1].params["text"]
    post(tg, update(message("/week")))
    post(tg, update(message("/undo")))
    fake_telegram.wait_for("sendMessage", count=4)
    assert [r["text"] for r in inbox(tg)][1:] == [
        "how am I doing today?",
        "how was my week?",
        "undo",
    ]


def test_start_and_help_are_answered_here_once(tg: TestClient, fake_telegram: FakeTelegram) -> None:
    start = update(message("/start"))
    assert post(tg, start) == 200
    assert post(tg, start) == 200
    post(tg, update(message("/help")))
    welcome, help_text = (c.params["text"] for c in fake_telegram.wait_for("sendMessage", 2))
    assert all(word in welcome.lower() for word in ("goal", "units", "timezone"))
    assert "/today" in help_text
    drain(tg)
    assert len(fake_telegram.sent("sendMessage")) == 2
    assert inbox(tg) == []


def test_feature_commands_go_to_the_coach_unchanged(
    tg: TestClient, fake_telegram: FakeTelegram
) -> None:
    post(tg, update(message("/plan 3 days a week")))
    post(tg, update(message(f"/export@{BOT_USERNAME} csv", chat_id=GROUP)))
    post(tg, update(message("/delete@some_other_bot", chat_id=GROUP)))  # not for us
    fake_telegram.wait_for("sendMessage", count=2)
    drain(tg)
    assert sorted(r["text"] for r in inbox(tg)) == ["/export csv", "/plan 3 days a week"]
    assert len(fake_telegram.sent("sendMessage")) == 2


# ---- flood control and failures ------------------------------------------------------------


def test_retry_after_is_honoured(tg: TestClient, fake_telegram: FakeTelegram) -> None:
    fake_telegram.fail_next("sendMessage", error_code=429, retry_after=1)
    assert post(tg, update(message("had 2 large eggs and a banana"))) == 200
    [reply] = fake_telegram.wait_for("sendMessage")
    assert "143 kcal" in reply.params["text"]
    failed, succeeded = fake_telegram.attempts("sendMessage")
    assert failed.error_code == 429 and succeeded.ok
    assert succeeded.at - failed.at >= 1.0


def test_a_blocked_user_does_not_break_the_bot(
    tg: TestClient,
    fake_telegram: FakeTelegram,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_telegram.fail_next("sendMessage", error_code=403)
    post(tg, update(message("had a banana")))
    drain(tg)
    assert [c.error_code for c in fake_telegram.attempts("sendMessage")] == [403]  # no retry
    post(tg, update(message("had 2 large eggs", user_id=43, chat_id=43)))
    fake_telegram.wait_for("sendMessage")
    out = capsys.readouterr()
    logs = out.out + out.err + caplog.text
    assert DEFAULT_TOKEN not in logs and SECRET not in logs


def test_a_reply_the_platform_failed_to_take_is_sent_again_until_it_goes_out(
    tg_settings: Settings, fake_telegram: FakeTelegram
) -> None:
    tg_settings.recovery_sweep_s = 0.2
    with TestClient(create_app(tg_settings, plugins=[plugin])) as client:
        # the drain's send fails, and so does the sweep's first resend
        fake_telegram.fail_next("sendMessage", error_code=500, times=2)
        assert post(client, update(message("had 2 large eggs and a banana"))) == 200
        [reply] = fake_telegram.wait_for("sendMessage", timeout=10)
        assert "143 kcal" in reply.params["text"]
        codes = [c.error_code for c in fake_telegram.attempts("sendMessage")]
        assert codes[:2] == [500, 500] and len(codes) == 3, codes
        database = client.app.state.services.database  # type: ignore[attr-defined]

        async def delivered() -> list[bool]:
            async with database.session() as session:
                rows = (await session.execute(select(InboxMessage))).scalars()
                return [row.delivered_at is not None for row in rows]

        assert client.portal is not None
        deadline = time.monotonic() + 5
        while client.portal.call(delivered) != [True]:  # recorded right after the send
            assert time.monotonic() < deadline, "the reply was never recorded as delivered"
            time.sleep(0.05)


def test_a_static_reply_that_failed_is_answered_on_redelivery(
    tg_settings: Settings, fake_telegram: FakeTelegram
) -> None:
    app = create_app(tg_settings, plugins=[plugin])
    with TestClient(app, raise_server_exceptions=False) as client:
        fake_telegram.fail_next("sendMessage", error_code=500)
        start = update(message("/start"))
        assert post(client, start) == 500  # not answered: Telegram delivers the update again
        assert post(client, start) == 200
    codes = [c.error_code for c in fake_telegram.attempts("sendMessage")]
    assert codes[0] == 500 and codes[1:] == [None], codes


# ---- polling and the CLI -------------------------------------------------------------------


async def test_poll_mode_feeds_the_same_adapter(
    tg_settings: Settings, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.push_update(update(message("had 2 large eggs and a banana")))
    stop = asyncio.Event()
    task = asyncio.create_task(run_polling(tg_settings, stop, timeout=1))
    try:
        [reply] = await fake_telegram.await_for("sendMessage")
        assert "143 kcal" in reply.params["text"]
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert fake_telegram.sent("deleteWebhook")
    assert len(fake_telegram.sent("sendMessage")) == 1


def test_set_webhook_uses_the_secret(
    fake_telegram: FakeTelegram, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "FITCOACH_DATA_DIR": str(tmp_path / "var"),
        "FITCOACH_TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
        "FITCOACH_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "FITCOACH_TELEGRAM_API_URL": fake_telegram.url,
    }.items():
        monkeypatch.setenv(name, value)
    url = "https://coach.example/webhooks/telegram"
    result = CliRunner().invoke(telegram_app, ["set-webhook", url, "--drop-pending-updates"])
    assert result.exit_code == 0, result.output
    webhook = fake_telegram.webhook
    assert webhook is not None
    assert webhook["url"] == url and webhook["secret_token"] == SECRET
    assert webhook["drop_pending_updates"] is True
    assert webhook["allowed_updates"] == ["message", "callback_query"]
    assert fake_telegram.sent("setMyCommands")
    assert SECRET not in result.output and DEFAULT_TOKEN not in result.output


def test_api_urls_have_the_forms_ptb_expects() -> None:
    assert api_urls("http://127.0.0.1:8081/") == (
        "http://127.0.0.1:8081/bot",
        "http://127.0.0.1:8081/file/bot",
    )
    assert api_urls("https://api.telegram.org/bot")[1] == "https://api.telegram.org/file/bot"


def test_by_default_a_new_person_gets_a_pairing_code(
    tg_settings: Settings, fake_telegram: FakeTelegram
) -> None:
    settings = tg_settings.model_copy(update={"access_policy": {}})
    with TestClient(create_app(settings, plugins=[plugin])) as client:
        post(client, update(message("had 2 large eggs and a banana")))
        [reply] = fake_telegram.wait_for("sendMessage")
        drain(client)
    assert "pairing code" in reply.params["text"]


def test_files_are_sent_as_documents(
    tg: TestClient, tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    export = tmp_path / "export.json"
    export.write_text('{"meals": []}')
    reply = OutboundMessage(
        text="Your export.",
        files=[Attachment(kind="file", mime_type="application/json", ref=str(export))],
    )
    assert tg.portal is not None
    tg.portal.call(channel_of(tg).deliver, _inbound(), [reply])
    [document] = fake_telegram.sent("sendDocument")
    assert document.files["document"].content == b'{"meals": []}'
    assert document.files["document"].filename == "export.json"
    assert [c.params["text"] for c in fake_telegram.sent("sendMessage")] == ["Your export."]


def test_proactive_messages_report_sent_and_blocked(
    tg: TestClient, fake_telegram: FakeTelegram
) -> None:
    deliverer = TelegramDeliverer(channel_of(tg).sender)
    nudge = OutboundMessage(text="Time for a walk?")
    assert tg.portal is not None
    sent = tg.portal.call(deliverer.deliver, 1, "telegram", f"{GROUP}:{USER}", nudge)
    assert sent.status == "sent"
    assert fake_telegram.sent("sendMessage")[0].params["chat_id"] == GROUP
    fake_telegram.fail_next("sendMessage", error_code=403)
    blocked = tg.portal.call(deliverer.deliver, 1, "telegram", str(USER), nudge)
    assert blocked.status == "blocked"
