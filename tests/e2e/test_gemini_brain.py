"""The Gemini path through the real langchain-google-genai client against a local fake."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from fitcoach.agent.coach import LIMITED_MODE_NOTE
from fitcoach.bootstrap import Services, open_services
from fitcoach.channels.base import Attachment, InboundMessage
from fitcoach.config import Settings, get_settings
from fitcoach.storage.models import MealItem
from tests.fakes.gemini_server import FakeGemini, FakeReply, RecordedRequest

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg=="
)
PHOTO = re.compile(r"\[photo:([A-Za-z0-9_-]+)\]")


@pytest.fixture
def fake() -> Iterator[FakeGemini]:
    with FakeGemini(api_key="test") as server:
        yield server


def gemini_settings(tmp_path: Path, fake: FakeGemini, **extra: object) -> Settings:
    options: dict[str, object] = {
        "data_dir": tmp_path / "var",
        "model": "google_genai:gemini-2.5-flash",
        "google_api_key": "test",
        "model_base_url": fake.base_url,
        "model_timeout_s": 2.0,
        "model_max_retries": 0,
    }
    options.update(extra)
    return get_settings(**options)


def inbound(text: str = "", **extra: object) -> InboundMessage:
    return InboundMessage(
        channel="test",
        external_user_id="u1",
        conversation_id="c1",
        message_id=uuid.uuid4().hex,
        text=text,
        **extra,  # type: ignore[arg-type]
    )


async def ask(services: Services, text: str = "", **extra: object) -> str:
    replies = await services.conversation.handle(inbound(text, **extra))
    assert len(replies) == 1
    return replies[0].text


async def meal_items(services: Services) -> list[MealItem]:
    async with services.database.session() as session:
        return list((await session.execute(select(MealItem))).scalars())


async def test_model_answer_with_tools_declared_and_system_prompt(
    tmp_path: Path, fake: FakeGemini
) -> None:
    fake.reply_text("Eat a banana about an hour before your run.")
    async with open_services(gemini_settings(tmp_path, fake)) as services:
        reply = await ask(services, "what should I eat before an evening run?")
    assert reply == "Eat a banana about an hour before your run."
    request = fake.requests_for("generateContent")[0]
    assert {"log_meal", "log_workout", "check_progress", "analyze_food_photo"} <= set(
        request.tool_names
    )
    assert "fitcoach" in request.system_text
    assert request.headers["x-goog-api-key"] == "test"


async def test_function_calling_round_trip_logs_grounded_numbers(
    tmp_path: Path, fake: FakeGemini
) -> None:
    fake.reply_function_call("log_meal", {"description": "2 large eggs"})
    fake.reply_text("Logged your eggs: 143 kcal.")
    async with open_services(gemini_settings(tmp_path, fake)) as services:
        reply = await ask(services, "please record my usual breakfast from earlier")
        items = await meal_items(services)
    assert reply == "Logged your eggs: 143 kcal."
    assert [(i.ndb_no, round(i.kcal)) for i in items] == [("01123", 143)]
    second = fake.requests_for("generateContent")[1]
    responses = second.function_responses
    assert responses and responses[0]["name"] == "log_meal"
    assert "01123" in json.dumps(responses[0])


async def test_fast_path_logs_without_calling_the_model(tmp_path: Path, fake: FakeGemini) -> None:
    async with open_services(gemini_settings(tmp_path, fake)) as services:
        reply = await ask(services, "bench 3x5 at 80kg")
    assert "Barbell Bench Press" in reply
    assert fake.requests_for("generateContent") == []


@pytest.mark.parametrize("status", [429, 500])
async def test_model_errors_fall_back_to_the_offline_model(
    tmp_path: Path, fake: FakeGemini, status: int
) -> None:
    fake.fail(status, times=5)
    async with open_services(gemini_settings(tmp_path, fake, model_max_retries=1)) as services:
        reply = await ask(services, "what should I eat before a run? also had 2 large eggs")
    assert LIMITED_MODE_NOTE in reply
    assert len(fake.requests_for("generateContent")) == 2  # one retry, then fallback


async def test_a_slow_model_times_out_and_falls_back(tmp_path: Path, fake: FakeGemini) -> None:
    fake.delay(10, times=3)
    settings = gemini_settings(tmp_path, fake, model_timeout_s=1.0)
    async with open_services(settings) as services:
        reply = await ask(services, "give me a motivational quote")
    assert LIMITED_MODE_NOTE in reply


def mime_of(blob: dict[str, object]) -> object:
    return blob.get("mimeType", blob.get("mime_type"))


def photo_model(request: RecordedRequest) -> FakeReply:
    """Vision calls get a structured analysis; chat calls with a photo call the tool."""
    if request.inline_data_parts:
        analysis = {
            "items": [
                {
                    "name": "white rice, cooked",
                    "grams_low": 150,
                    "grams_high": 250,
                    "confidence": 0.8,
                },
                {
                    "name": "chicken breast, roasted",
                    "grams_low": 100,
                    "grams_high": 140,
                    "confidence": 0.7,
                },
            ]
        }
        return FakeReply(parts=[{"text": json.dumps(analysis)}])
    if request.function_responses:
        return FakeReply(parts=[{"text": "Done!"}])
    match = PHOTO.search(request.last_user_text)
    if match:
        return FakeReply(
            parts=[
                {
                    "functionCall": {
                        "name": "analyze_food_photo",
                        "args": {"photo_id": match.group(1)},
                    }
                }
            ]
        )
    return FakeReply(parts=[{"text": "ok"}])


async def test_photo_confirm_then_log_survives_a_restart(tmp_path: Path, fake: FakeGemini) -> None:
    fake.default = photo_model
    image = tmp_path / "plate.png"
    image.write_bytes(PNG)
    settings = gemini_settings(tmp_path, fake)
    async with open_services(settings) as services:
        question = await ask(
            services,
            "lunch",
            images=[Attachment(kind="image", mime_type="image/png", ref=str(image))],
        )
        assert await meal_items(services) == []
    assert "From your photo" in question and "kcal" in question and "–" in question
    vision = [r for r in fake.requests if r.inline_data_parts]
    assert len(vision) == 1
    assert mime_of(vision[0].inline_data_parts[0]) == "image/png"
    # The process restarts; the pending confirmation is in the checkpoint, not in memory.
    async with open_services(settings) as services:
        reply = await ask(services, "yes")
        items = await meal_items(services)
    assert sorted((i.ndb_no, i.grams) for i in items) == [("05064", 120.0), ("20045", 200.0)]
    assert all(i.portion_assumed for i in items)
    assert len([r for r in fake.requests if r.inline_data_parts]) == 1  # not analysed twice
    assert reply == "Done!"  # the model phrased the reply after the tool logged the meal
    checkpoint = (tmp_path / "var" / "checkpoints.sqlite").read_bytes()
    assert base64.b64encode(PNG)[:40] not in checkpoint


async def test_photo_can_be_declined(tmp_path: Path, fake: FakeGemini) -> None:
    fake.default = photo_model
    image = tmp_path / "plate.png"
    image.write_bytes(PNG)
    async with open_services(gemini_settings(tmp_path, fake)) as services:
        await ask(
            services, "", images=[Attachment(kind="image", mime_type="image/png", ref=str(image))]
        )
        await ask(services, "no")
        assert await meal_items(services) == []


async def test_voice_note_is_transcribed_then_logged(tmp_path: Path, fake: FakeGemini) -> None:
    fake.reply_text("had 2 large eggs and a banana")
    clip = tmp_path / "note.ogg"
    clip.write_bytes(b"OggS fake audio")
    async with open_services(gemini_settings(tmp_path, fake)) as services:
        reply = await ask(
            services, "", audio=[Attachment(kind="audio", mime_type="audio/ogg", ref=str(clip))]
        )
        items = await meal_items(services)
    assert "had 2 large eggs and a banana" in reply and "248 kcal" in reply
    assert {i.ndb_no for i in items} == {"01123", "09040"}
    audio_parts = fake.requests_for("generateContent")[0].inline_data_parts
    assert mime_of(audio_parts[0]) == "audio/ogg"


async def test_voice_offline_says_it_needs_a_model(tmp_path: Path) -> None:
    clip = tmp_path / "note.ogg"
    clip.write_bytes(b"OggS fake audio")
    settings = get_settings(data_dir=tmp_path / "var", model="offline")
    async with open_services(settings) as services:
        reply = await ask(
            services, "", audio=[Attachment(kind="audio", mime_type="audio/ogg", ref=str(clip))]
        )
    assert "voice" in reply.lower() and "type" in reply.lower()


async def test_photo_offline_asks_for_words(tmp_path: Path) -> None:
    image = tmp_path / "plate.png"
    image.write_bytes(PNG)
    settings = get_settings(data_dir=tmp_path / "var", model="offline")
    async with open_services(settings) as services:
        reply = await ask(
            services, "", images=[Attachment(kind="image", mime_type="image/png", ref=str(image))]
        )
    assert "needs an AI model" in reply


def test_http_api_uses_gemini(tmp_path: Path, fake: FakeGemini) -> None:
    from fastapi.testclient import TestClient

    from fitcoach.app import create_app

    fake.reply_function_call("check_progress", {"period": "today"})
    fake.reply_text("Nothing logged yet today, let's start!")
    with TestClient(create_app(gemini_settings(tmp_path, fake))) as client:
        data = client.post("/api/chat", json={"text": "anything to report for me?"}).json()
    assert data["replies"][0]["text"] == "Nothing logged yet today, let's start!"
    assert "check_progress" in fake.requests_for("generateContent")[0].tool_names


def test_cli_chat_uses_gemini(tmp_path: Path, fake: FakeGemini) -> None:
    import os
    import subprocess
    import sys

    fake.reply_text("Hello from Gemini!")
    env = dict(
        os.environ,
        FITCOACH_MODEL="google_genai:gemini-2.5-flash",
        GOOGLE_API_KEY="test",
        FITCOACH_MODEL_BASE_URL=fake.base_url,
        FITCOACH_DATA_DIR=str(tmp_path / "var"),
    )
    fitcoach = str(Path(sys.executable).parent / "fitcoach")
    result = subprocess.run(
        [fitcoach, "chat", "--user", "g"],
        input="tell me something nice\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Hello from Gemini!" in result.stdout
    assert fake.requests_for("generateContent")[0].tool_names
