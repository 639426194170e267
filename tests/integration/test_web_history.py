"""Web chat history after a reload: rebuilt from the inbox with images, photos and buttons,
only ever the caller's own, with images served to the owning session or token alone."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from fitcoach.channels.base import Attachment, Button, InboundMessage, OutboundMessage
from fitcoach.channels.web.tokens import new_session_id, sign_user_token
from fitcoach.config import Settings
from fitcoach.storage.database import Database
from fitcoach.storage.models import InboxMessage
from fitcoach.storage.repositories import UserDirectory
from fitcoach.webhooks import web_chat

SECRET = "host-shared-secret-for-tests"
SITE = "https://shop.example.com"
MEAL = "had 2 large eggs and a banana"
AMBIGUOUS = "had tofu scramble"  # the offline coach asks which food, with four options
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
T = TypeVar("T")


@pytest.fixture(autouse=True)
def web_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    object.__setattr__(settings, "web_user_secret", SecretStr(SECRET))
    object.__setattr__(settings, "web_allowed_origins", [SITE])
    monkeypatch.setattr(web_chat, "STREAM_DELAY_S", 0.0)


def bearer(uid: str, secret: str = SECRET) -> dict[str, str]:
    return {"Authorization": f"Bearer {sign_user_token(secret, uid, time.time() + 600)}"}


def run(client: TestClient, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` against the app's database on the client's event loop."""
    database: Database = client.app.state.services.database  # type: ignore[attr-defined]
    assert client.portal is not None
    return client.portal.call(work, database)


def say(client: TestClient, text: str, headers: dict[str, str]) -> None:
    """Send one message over HTTP as the session (``X-Fitcoach-Session``) or user token."""
    body: dict[str, Any] = {"text": text}
    if "X-Fitcoach-Session" in headers:
        body["session_id"] = headers["X-Fitcoach-Session"]
    response = client.post("/api/chat", json=body, headers=headers)
    assert response.status_code == 200, response.text


def send_photo(client: TestClient, headers: dict[str, str], caption: str = "") -> None:
    body: dict[str, Any] = {"text": caption, "image": {"data": base64.b64encode(PNG).decode()}}
    if "X-Fitcoach-Session" in headers:
        body["session_id"] = headers["X-Fitcoach-Session"]
    response = client.post("/api/chat/photo", json=body, headers=headers)
    assert response.status_code == 200, response.text


def history(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/chat/history", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["messages"])


def conversation(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Weigh-in, a photo, a chart and a question with quick replies; returns the history."""
    say(client, "I weigh 82 kg", headers)
    send_photo(client, headers, caption="lunch")
    say(client, "show my weight chart", headers)
    say(client, AMBIGUOUS, headers)
    return history(client, headers)


def new_session(client: TestClient) -> dict[str, str]:
    session = client.post("/api/chat", json={"text": "hi"}).json()["session_id"]
    return {"X-Fitcoach-Session": session}


# ---------- what the history holds ----------


def test_history_restores_photos_charts_and_buttons(client: TestClient, settings: Settings) -> None:
    me = {"X-Fitcoach-Session": new_session_id()}
    messages = conversation(client, me)
    assert [m["role"] for m in messages] == ["user", "coach"] * 4
    weigh, logged, photo, _, ask, chart, tofu, question = messages
    # The text API is unchanged: role, text, at.
    assert (weigh["text"], logged["text"]) == ("I weigh 82 kg", "Logged your weight: 82 kg.")
    assert all({"role", "text", "at"} <= set(m) for m in messages)
    assert photo["text"] == "lunch" and photo["images"] == [
        {"url": f"/api/chat/media/{photo['id']}/0", "mime_type": "image/png"}
    ]
    assert ask["images"] == [] and chart["images"][0]["url"].startswith("/api/chat/media/out-")
    assert "weigh-in" in chart["text"]
    assert question["buttons"][2] == {"label": "3. Tofu, fried", "value": "3"}
    assert len(question["buttons"]) == 4 and question["buttons_active"] is True
    assert not any(m["buttons_active"] for m in messages[:-1])
    assert not any(m["pending"] for m in messages)
    assert tofu["message_id"] == question["message_id"]  # one turn: the reply names its message
    # No server path ever reaches the browser.
    raw = client.get("/api/chat/history", headers=me).text
    assert str(settings.data_dir) not in raw and "files/web" not in raw

    picture = client.get(photo["images"][0]["url"], headers=me)
    assert picture.status_code == 200 and picture.content == PNG
    assert picture.headers["content-type"] == "image/png"
    assert picture.headers["x-content-type-options"] == "nosniff"
    assert picture.headers["cache-control"].startswith("private")
    drawn = client.get(chart["images"][0]["url"], headers=me)
    assert drawn.status_code == 200 and drawn.content.startswith(b"\x89PNG")

    # Answering the question moves the live buttons to nowhere: the last reply has none.
    say(client, "3", me)
    later = history(client, me)
    assert later[-2]["text"] == "3" and "Tofu, fried" in later[-1]["text"]
    assert not any(m["buttons_active"] for m in later)
    assert later[-3]["buttons"] == question["buttons"]  # still there, shown as chips


def test_history_limit_counts_messages_oldest_first(client: TestClient) -> None:
    me = {"X-Fitcoach-Session": new_session_id()}
    conversation(client, me)
    last = history(client, me, limit=3)
    assert [m["role"] for m in last] == ["coach", "user", "coach"]
    assert last[-1]["buttons_active"] is True and last[1]["text"] == AMBIGUOUS
    assert history(client, me, limit=1)[0]["buttons_active"] is True


def test_signed_users_get_their_images_on_any_device(client: TestClient) -> None:
    alice = bearer("alice")
    messages = conversation(client, alice)
    urls = [image["url"] for m in messages for image in m["images"]]
    assert len(urls) == 2
    for url in urls:
        assert client.get(url, headers=bearer("alice")).status_code == 200  # a fresh token
        assert client.get(url, headers=bearer("bob")).status_code == 404
    with client.websocket_connect("/ws/chat") as ws:  # the socket writes the same history
        ws.send_json({"type": "hello", "user_token": bearer("alice")["Authorization"][7:]})
        assert ws.receive_json()["identity"] == "user"
        ws.send_json({"type": "message", "id": "w-1", "text": "show my weight chart"})
        frames = [ws.receive_json()]
        while frames[-1]["type"] != "end":
            frames.append(ws.receive_json())
    [live_image] = frames[-1]["images"]
    assert live_image["url"].startswith("data:image/png;base64,")
    last = history(client, bearer("alice"))[-1]
    assert last["message_id"] == "w-1" and last["text"] == frames[-1]["text"]
    restored = client.get(last["images"][0]["url"], headers=bearer("alice"))
    assert base64.b64encode(restored.content).decode() == live_image["url"].split(",", 1)[1]


# ---------- images are the owner's alone ----------


def test_images_answer_only_their_owner(client: TestClient) -> None:
    me = {"X-Fitcoach-Session": new_session_id()}
    messages = conversation(client, me)
    url = messages[2]["images"][0]["url"]
    stranger = new_session(client)
    assert client.get(url, headers=stranger).status_code == 404
    assert client.get(url, headers={"X-Fitcoach-Session": new_session_id()}).status_code == 404
    assert client.get(url, headers=bearer("alice")).status_code == 404
    assert client.get(url).status_code == 422
    assert client.get(url, headers=bearer("alice", secret="guess")).status_code == 401
    assert client.get(url, headers={"X-Fitcoach-Session": "user:alice"}).status_code == 422
    evil = me | {"Origin": "https://evil.example"}
    assert client.get(url, headers=evil).status_code == 403
    allowed = client.get(url, headers=me | {"Origin": SITE})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == SITE
    preflight = client.options(
        url,
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-fitcoach-session",
        },
    )
    assert preflight.status_code == 204
    row = url.split("/")[-2]
    for bad in (
        f"/api/chat/media/{row}/1",  # no second image
        f"/api/chat/media/{row.replace('in-', 'out-')}-0/0",  # the reply has none
        "/api/chat/media/in-999999/0",
        "/api/chat/media/..%2F..%2Fetc%2Fpasswd/0",
        "/api/chat/media/in-1/../../0",
        "/api/chat/media/in-1/-1",
    ):
        response = client.get(bad, headers=me)
        assert response.status_code in (404, 405, 422), bad  # never the file
        assert not response.content.startswith(b"\x89PNG")


async def add_row(
    database: Database,
    *,
    conversation: str,
    external: str,
    user_id: int | None,
    text: str,
    replies: list[OutboundMessage] | None,
    status: str = "done",
    images: list[Attachment] | None = None,
    raw_reply: str | None = None,
) -> int:
    """Write an inbox row the way the conversation service does."""
    message = InboundMessage(
        channel="web",
        external_user_id=external,
        conversation_id=conversation,
        message_id=f"{conversation}:{text}-{time.monotonic_ns()}",
        text=text,
        images=images or [],
    )
    reply = raw_reply
    if replies is not None:
        reply = json.dumps([r.model_dump() for r in replies])
    async with database.session() as session:
        row = InboxMessage(
            channel="web",
            message_id=message.message_id,
            conversation_id=conversation,
            user_id=user_id,
            payload=message.model_dump_json(),
            status=status,
            reply=reply,
        )
        session.add(row)
        await session.flush()
        return row.id


async def user_id_of(database: Database, external: str) -> int:
    async with database.session() as session:
        user = await UserDirectory(session).resolve("web", external)
        return user.id


def test_other_peoples_rows_in_the_conversation_are_never_shown(
    client: TestClient, settings: Settings
) -> None:
    me = new_session(client)
    session = me["X-Fitcoach-Session"]
    other = run(client, lambda db: user_id_of(db, "someone-else"))
    secret_chart = settings.data_dir / "media" / str(other) / "charts" / "theirs.png"
    secret_chart.parent.mkdir(parents=True)
    secret_chart.write_bytes(PNG)
    chart = Attachment(kind="image", mime_type="image/png", ref=str(secret_chart))
    # A row in my conversation attributed to another person, and an unattributed row whose
    # payload names another identity: neither is mine.
    run(
        client,
        lambda db: add_row(
            db,
            conversation=session,
            external=session,
            user_id=other,
            text="their message",
            replies=[OutboundMessage(text="their chart", images=[chart])],
        ),
    )
    run(
        client,
        lambda db: add_row(
            db,
            conversation=session,
            external="someone-else",
            user_id=None,
            text="not mine either",
            replies=[OutboundMessage(text="no")],
        ),
    )
    texts = [m["text"] for m in history(client, me)]
    assert texts[:1] == ["hi"] and len(texts) == 2
    assert not any("their" in t or "mine" in t for t in texts)
    for row in range(1, 6):
        assert client.get(f"/api/chat/media/out-{row}-0/0", headers=me).status_code == 404


def test_images_outside_their_folder_are_never_served(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    me = new_session(client)
    session = me["X-Fitcoach-Session"]
    mine = run(client, lambda db: user_id_of(db, session))
    stray = tmp_path / "elsewhere.png"
    stray.write_bytes(PNG)
    their_folder = settings.data_dir / "media" / str(mine + 1) / "charts" / "x.png"
    their_folder.parent.mkdir(parents=True)
    their_folder.write_bytes(PNG)
    not_an_image = settings.data_dir / "media" / str(mine) / "notes.png"
    not_an_image.parent.mkdir(parents=True, exist_ok=True)
    not_an_image.write_text("secret text")
    refs = [stray, their_folder, not_an_image, settings.data_dir / "media" / str(mine) / "gone.png"]
    images = [Attachment(kind="image", mime_type="image/png", ref=str(p)) for p in refs]
    run(
        client,
        lambda db: add_row(
            db,
            conversation=session,
            external=session,
            user_id=mine,
            text="show me",
            replies=[OutboundMessage(text="odd images", images=images)],
            images=[Attachment(kind="image", mime_type="image/png", ref=str(stray))],
        ),
    )
    last = history(client, me)[-2:]
    assert len(last[0]["images"]) == 1 and len(last[1]["images"]) == 4
    for image in last[0]["images"] + last[1]["images"]:
        assert client.get(image["url"], headers=me).status_code == 404, image


def test_pending_and_unreadable_rows_fall_back_gracefully(client: TestClient) -> None:
    me = new_session(client)
    session = me["X-Fitcoach-Session"]
    mine = run(client, lambda db: user_id_of(db, session))
    question = OutboundMessage(text="Which size?", buttons=[Button(label="1. Small", value="1")])

    async def my_rows(database: Database) -> None:
        def mine_row(
            text: str,
            replies: list[OutboundMessage] | None,
            status: str = "done",
            raw_reply: str | None = None,
        ) -> Awaitable[int]:
            return add_row(
                database,
                conversation=session,
                external=session,
                user_id=mine,
                text=text,
                replies=replies,
                status=status,
                raw_reply=raw_reply,
            )

        await mine_row("an apple", [question])
        await mine_row("broken", None, raw_reply="{not json")
        await mine_row("1", None, status="processing")

    run(client, my_rows)
    messages = history(client, me)
    tail = [(m["role"], m["text"], m["pending"]) for m in messages[-4:]]
    assert tail == [
        ("user", "an apple", False),
        ("coach", "Which size?", False),
        ("user", "broken", False),
        ("user", "1", True),
    ]
    assert not any(m["buttons_active"] for m in messages)  # the question was answered


def test_after_deletion_the_conversation_starts_empty(client: TestClient) -> None:
    me = {"X-Fitcoach-Session": new_session_id()}
    conversation(client, me)
    chart_url = history(client, me)[5]["images"][0]["url"]
    say(client, "/delete", me)
    say(client, "yes, delete everything", me)
    assert history(client, me) == []  # nothing of the deleted person, not even the goodbye
    assert client.get(chart_url, headers=me).status_code == 404
    say(client, MEAL, me)
    assert [(m["role"], m["text"]) for m in history(client, me)][:1] == [("user", MEAL)]
    assert len(history(client, me)) == 2


def test_rows_older_than_a_deletion_are_never_shown(client: TestClient) -> None:
    session = new_session_id()
    me = {"X-Fitcoach-Session": session}

    async def earlier_person_then_deletion(database: Database) -> None:
        # Left over from a person who was deleted: unattributed, naming this same session.
        await add_row(
            database,
            conversation=session,
            external=session,
            user_id=None,
            text="old secret",
            replies=[OutboundMessage(text="old answer")],
        )
        async with database.session() as db:
            db.add(
                InboxMessage(
                    channel="web",
                    message_id=f"{session}:gone",
                    conversation_id=session,
                    payload="{}",
                    status="deleted",
                )
            )

    run(client, earlier_person_then_deletion)
    say(client, MEAL, me)
    assert [(m["role"], m["text"]) for m in history(client, me)][:1] == [("user", MEAL)]
    assert len(history(client, me)) == 2
    assert "old" not in json.dumps(history(client, me))
