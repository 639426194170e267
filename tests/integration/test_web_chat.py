"""Web chat: user tokens, origin checks, history scoping, photo limits, the socket protocol."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from fitcoach.channels.base import Attachment, Button, InboundMessage, OutboundMessage
from fitcoach.channels.web import protocol
from fitcoach.channels.web.tokens import (
    TokenError,
    is_session_id,
    new_session_id,
    sign_user_token,
    verify_user_token,
)
from fitcoach.config import Settings
from fitcoach.storage.models import Meal, Media
from fitcoach.storage.outage import DatabaseUnavailable
from fitcoach.webhooks import web_chat
from fitcoach.webhooks.outage import RETRY_AFTER_S, UNAVAILABLE_MESSAGE

SECRET = "host-shared-secret-for-tests"
SITE = "https://shop.example.com"
MEAL = "had 2 large eggs and a banana"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


def configure(settings: Settings, **values: Any) -> None:
    """Set web settings whether or not config.py declares them yet."""
    for name, value in values.items():
        object.__setattr__(settings, name, value)


@pytest.fixture(autouse=True)
def web_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(settings, web_user_secret=SecretStr(SECRET), web_allowed_origins=[SITE])
    monkeypatch.setattr(web_chat, "STREAM_DELAY_S", 0.0)


def token(uid: str, ttl: float = 3600, secret: str = SECRET) -> str:
    return sign_user_token(secret, uid, time.time() + ttl)


def bearer(uid: str, **kwargs: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(uid, **kwargs)}"}


def rows(client: TestClient, model: type) -> list[Any]:
    database = client.app.state.services.database  # type: ignore[attr-defined]

    async def fetch() -> list[Any]:
        async with database.session() as session:
            return list((await session.execute(select(model))).scalars())

    assert client.portal is not None
    return client.portal.call(fetch)


def converse(ws: Any, text: str, message_id: str | None = None) -> list[dict[str, Any]]:
    """Send one message and collect frames up to the reply's ``end`` (or an error)."""
    frame: dict[str, Any] = {"type": "message", "text": text}
    if message_id:
        frame["id"] = message_id
    ws.send_json(frame)
    frames = []
    while True:
        frames.append(ws.receive_json())
        if frames[-1]["type"] in ("end", "error"):
            return frames


def hello(ws: Any, **fields: Any) -> dict[str, Any]:
    ws.send_json({"type": "hello", **fields})
    return ws.receive_json()


# ---------- the token scheme ----------


def test_a_signed_token_round_trips() -> None:
    expires = time.time() + 60
    claims = verify_user_token(SECRET, sign_user_token(SECRET, "user-42", expires))
    assert claims.uid == "user-42"
    assert claims.exp == int(expires)


def test_expired_forged_and_tampered_tokens_are_rejected() -> None:
    with pytest.raises(TokenError, match="expired"):
        verify_user_token(SECRET, token("a", ttl=-1))
    with pytest.raises(TokenError, match="signature"):
        verify_user_token(SECRET, token("a", secret="another secret"))
    head, signature = token("alice").split(".")
    forged_head = token("mallory").split(".")[0]
    with pytest.raises(TokenError, match="signature"):
        verify_user_token(SECRET, f"{forged_head}.{signature}")
    assert verify_user_token(SECRET, f"{head}.{signature}").uid == "alice"


@pytest.mark.parametrize(
    "bad",
    ["", "abc", "a.b.c", "x" * 2000, "!!.??", "bm90IGpzb24.c2ln", "W10.c2ln"],
)
def test_malformed_tokens_are_rejected(bad: str) -> None:
    with pytest.raises(TokenError):
        verify_user_token(SECRET, bad)


@pytest.mark.parametrize(
    "payload",
    [
        {"exp": 9_999_999_999},
        {"uid": "", "exp": 9_999_999_999},
        {"uid": "x" * 65, "exp": 9_999_999_999},
        {"uid": "a\nb", "exp": 9_999_999_999},
        {"uid": "a"},
        {"uid": "a", "exp": "soon"},
        {"uid": "a", "exp": True},
    ],
)
def test_tokens_need_a_valid_uid_and_exp(payload: dict[str, Any]) -> None:
    with pytest.raises(TokenError):
        verify_user_token(SECRET, hand_made_token(payload))


def test_padding_and_numeric_uids_are_accepted() -> None:
    # Hosts whose base64url keeps "=" padding sign the segment exactly as they send it.
    padded = hand_made_token({"uid": 7, "exp": 9_999_999_999}, pad=True)
    assert "=" in padded
    assert verify_user_token(SECRET, padded).uid == "7"
    assert verify_user_token(SECRET, sign_user_token(SECRET.encode(), "7", 2e9), now=1e9).uid


def hand_made_token(payload: dict[str, Any], pad: bool = False) -> str:
    """A token built the way a host would, independently of sign_user_token."""
    head = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    head = head if pad else head.rstrip("=")
    mac = hmac.new(SECRET.encode(), head.encode(), hashlib.sha256).digest()
    signature = base64.urlsafe_b64encode(mac).decode()
    return f"{head}.{signature if pad else signature.rstrip('=')}"


def test_session_ids_are_unguessable_and_validated() -> None:
    ids = {new_session_id() for _ in range(100)}
    assert len(ids) == 100 and all(is_session_id(i) and len(i) == 32 for i in ids)
    assert not is_session_id("user:alice") and not is_session_id("short")


# ---------- tokens over HTTP ----------


def test_user_token_identifies_the_person_across_sessions(client: TestClient) -> None:
    first = client.post("/api/chat", json={"text": MEAL}, headers=bearer("alice"))
    assert first.status_code == 200
    again = client.post(
        "/api/chat", json={"text": "how am I doing today?"}, headers=bearer("alice")
    )
    assert again.json()["session_id"] != first.json()["session_id"]  # a new device
    assert "248 kcal" in again.json()["replies"][0]["text"]
    other = client.post("/api/chat", json={"text": "how am I doing today?"}, headers=bearer("bob"))
    assert "haven't logged anything" in other.json()["replies"][0]["text"]


@pytest.mark.parametrize("path", ["/api/chat", "/api/chat/photo"])
def test_forged_or_expired_tokens_get_401(client: TestClient, path: str) -> None:
    body: dict[str, Any] = {"text": "hi", "image": {"data": base64.b64encode(PNG).decode()}}
    for headers in (
        bearer("alice", ttl=-5),
        bearer("alice", secret="guess"),
        {"Authorization": "Bearer not-a-token"},
    ):
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 401, response.text
    history = client.get("/api/chat/history", headers=bearer("alice", ttl=-5))
    assert history.status_code == 401
    assert rows(client, Media) == []


def test_user_tokens_are_refused_when_no_secret_is_configured(
    client: TestClient, settings: Settings
) -> None:
    configure(settings, web_user_secret=None)
    response = client.post("/api/chat", json={"text": "hi"}, headers=bearer("alice"))
    assert response.status_code == 401
    assert "not enabled" in response.json()["detail"]


# ---------- origins and CORS ----------


def test_allowed_origin_gets_cors_headers_and_preflight(client: TestClient) -> None:
    response = client.post("/api/chat", json={"text": "hi"}, headers={"Origin": SITE})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SITE
    preflight = client.options(
        "/api/chat/history",
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-fitcoach-session",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == SITE
    assert "X-Fitcoach-Session" in preflight.headers["access-control-allow-headers"]
    error = client.post("/api/chat", json={"text": ""}, headers={"Origin": SITE})
    assert error.status_code == 422  # errors are readable by the allowed site too
    assert error.headers["access-control-allow-origin"] == SITE


def test_other_origins_are_refused(client: TestClient) -> None:
    evil = {"Origin": "https://evil.example"}
    assert client.post("/api/chat", json={"text": MEAL}, headers=evil).status_code == 403
    assert client.options("/api/chat", headers=evil).status_code == 403
    history = client.get("/api/chat/history", headers=evil | {"X-Fitcoach-Session": "a" * 32})
    assert history.status_code == 403
    assert "access-control-allow-origin" not in history.headers
    assert rows(client, Meal) == []


def test_same_origin_and_wildcard_are_allowed(client: TestClient, settings: Settings) -> None:
    same = client.post("/api/chat", json={"text": "hi"}, headers={"Origin": "http://testserver"})
    assert same.status_code == 200
    configure(settings, web_allowed_origins="https://a.example, *")
    response = client.post("/api/chat", json={"text": "hi"}, headers={"Origin": "https://x.dev"})
    assert response.status_code == 200


def test_websocket_handshake_checks_the_origin(client: TestClient) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect("/ws/chat", headers={"Origin": "https://evil.example"}),
    ):
        pass
    assert refused.value.code == 1008
    with client.websocket_connect("/ws/chat", headers={"Origin": SITE}) as ws:
        assert hello(ws)["type"] == "ready"


# ---------- history ----------


def history(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/chat/history", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["messages"])


def test_history_is_scoped_to_the_session(client: TestClient) -> None:
    alice = client.post("/api/chat", json={"text": MEAL}).json()["session_id"]
    bob = client.post("/api/chat", json={"text": "bench 3x5 at 80kg"}).json()["session_id"]
    mine = history(client, {"X-Fitcoach-Session": alice})
    assert [m["role"] for m in mine] == ["user", "coach"]
    assert mine[0]["text"] == MEAL and "143 kcal" in mine[1]["text"]
    theirs = history(client, {"X-Fitcoach-Session": bob})
    assert "bench" in theirs[0]["text"] and all("143" not in m["text"] for m in theirs)
    assert history(client, {"X-Fitcoach-Session": new_session_id()}) == []
    assert len(history(client, {"X-Fitcoach-Session": alice}, limit=1)) == 1


def test_history_of_users_and_sessions_never_mix(client: TestClient) -> None:
    client.post("/api/chat", json={"text": MEAL}, headers=bearer("alice"))
    assert len(history(client, bearer("alice"))) == 2
    assert history(client, bearer("bob")) == []
    # A session id can never name a signed user, whatever the client sends.
    for forged in ("user:alice", "alice"):
        response = client.get("/api/chat/history", headers={"X-Fitcoach-Session": forged})
        assert response.status_code == 422
    assert client.get("/api/chat/history").status_code == 422


def test_a_resend_of_a_message_not_yet_answered_gets_its_answer(client: TestClient) -> None:
    """The first attempt was stored but never run here (its request timed out, the client
    went away): the same message sent again is answered, once."""
    from fitcoach.channels.web.identity import resolve_identity
    from fitcoach.channels.web.settings import web_config

    services = client.app.state.services  # type: ignore[attr-defined]
    session = client.post("/api/chat", json={"text": "hi"}).json()["session_id"]
    identity = resolve_identity(web_config(services.settings), session, None)
    first = identity.inbound(MEAL, "m-late")
    assert client.portal is not None
    assert client.portal.call(services.conversation.accept, first)
    again = {"session_id": session, "message_id": "m-late", "text": MEAL}
    response = client.post("/api/chat", json=again)
    assert response.status_code == 200, response.text
    assert "kcal" in response.json()["replies"][0]["text"]
    assert len(rows(client, Meal)) == 1
    assert client.post("/api/chat", json=again).json()["replies"] == response.json()["replies"]
    assert len(rows(client, Meal)) == 1


# ---------- photos ----------


def test_photo_is_stored_and_passed_as_an_image_attachment(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversation = client.app.state.services.conversation  # type: ignore[attr-defined]
    original = conversation.handle
    seen: list[InboundMessage] = []

    async def spy(message: InboundMessage, on_stored: Any = None) -> list[OutboundMessage]:
        seen.append(message)
        return list(await original(message, on_stored))

    monkeypatch.setattr(conversation, "handle", spy)
    body = {"text": "lunch", "image": {"data": base64.b64encode(PNG).decode(), "mime_type": "x"}}
    response = client.post("/api/chat/photo", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["replies"][0]["text"]
    [image] = seen[0].images
    assert isinstance(image, Attachment)
    assert (image.kind, image.mime_type, image.size_bytes) == ("image", "image/png", len(PNG))
    path = Path(image.ref)
    assert path.parent == settings.data_dir / "files" / "web" and path.read_bytes() == PNG
    assert [m.kind for m in rows(client, Media)] == ["image"]


def test_a_photo_sent_again_is_one_file_and_delete_removes_it(
    client: TestClient, settings: Settings
) -> None:
    session = client.post("/api/chat", json={"text": "hi"}).json()["session_id"]
    body = {
        "session_id": session,
        "message_id": "m-photo-1",
        "text": "lunch",
        "image": {"data": base64.b64encode(PNG).decode()},
    }
    first = client.post("/api/chat/photo", json=body)
    again = client.post("/api/chat/photo", json=body)  # the widget's retry
    assert first.status_code == again.status_code == 200, again.text
    photos = list((settings.data_dir / "files" / "web").iterdir())
    assert len(photos) == 1 and session not in photos[0].name
    delete = {"session_id": session, "text": "/delete"}
    assert client.post("/api/chat", json=delete).status_code == 200
    confirm = {"session_id": session, "text": "yes, delete everything"}
    assert client.post("/api/chat", json=confirm).status_code == 200
    assert not any((settings.data_dir / "files" / "web").iterdir())


def test_photo_replies_carry_no_server_paths(client: TestClient, settings: Settings) -> None:
    session = client.post("/api/chat", json={"text": "hi"}).json()["session_id"]
    photo = {"data": base64.b64encode(PNG).decode()}
    body = {"session_id": session, "text": "/export", "image": photo}
    response = client.post("/api/chat/photo", json=body)
    assert response.status_code == 200, response.text
    files = [f for reply in response.json()["replies"] for f in reply["files"]]
    assert files and all("/" not in f["ref"] for f in files), files
    assert str(settings.data_dir) not in response.text


def test_photo_limits(client: TestClient, settings: Settings) -> None:
    configure(settings, web_max_photo_bytes=1000)
    big = PNG + b"\0" * 2000
    cases = [
        (base64.b64encode(big).decode(), 413),
        ("data:image/png;base64," + base64.b64encode(big).decode(), 413),
        (base64.b64encode(b"GIF-but-not-really" * 3).decode(), 415),
        ("not base64 at all!", 415),
    ]
    for data, status in cases:
        response = client.post("/api/chat/photo", json={"image": {"data": data}})
        assert response.status_code == status, (status, response.text)
    ok = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert client.post("/api/chat/photo", json={"image": {"data": ok}}).status_code == 200
    huge = {"image": {"data": "A" * (3 * 1024 * 1024)}}
    assert client.post("/api/chat/photo", json=huge).status_code == 413  # body limit
    assert not any((settings.data_dir / "files" / "web").glob("*.bin"))


def test_photo_over_the_socket(client: TestClient, settings: Settings) -> None:
    configure(settings, web_max_photo_bytes=1000)
    with client.websocket_connect("/ws/chat") as ws:
        assert hello(ws)["max_photo_bytes"] == 1000
        ws.send_json(
            {"type": "message", "id": "p1", "image": {"data": base64.b64encode(PNG * 20).decode()}}
        )
        assert ws.receive_json() == {
            "type": "error",
            "code": "photo_too_large",
            "message": "photo too large (max 1000 bytes)",
            "in_reply_to": "p1",
        }
        ws.send_json(
            {"type": "message", "id": "p2", "image": {"data": base64.b64encode(PNG).decode()}}
        )
        frames = [ws.receive_json()]
        while frames[-1]["type"] != "end":
            frames.append(ws.receive_json())
    assert frames[0] == {"type": "ack", "id": "p2"}
    assert len(list((settings.data_dir / "files" / "web").iterdir())) == 1


# ---------- the socket protocol ----------


def test_a_message_the_database_could_not_store_is_not_acknowledged(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ``ack`` before the message is stored: while the database is away the socket says
    "unavailable" with the pause after which the same message may be sent again."""
    writer = client.app.state.services.conversation.inbox_writer  # type: ignore[attr-defined]
    store = writer.accept
    down = [True]

    async def maybe(*args: Any) -> bool:
        if down[0]:
            raise DatabaseUnavailable("the database is restarting")
        return bool(await store(*args))

    monkeypatch.setattr(writer, "accept", maybe)
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_json({"type": "message", "id": "m-1", "text": MEAL})
        refused = ws.receive_json()
        down[0] = False
        frames = converse(ws, MEAL, "m-1")  # the widget sends it again, same id
    assert refused == {
        "type": "error",
        "code": "unavailable",
        "message": UNAVAILABLE_MESSAGE,
        "in_reply_to": "m-1",
        "retry_after_s": RETRY_AFTER_S,
    }
    assert frames[0] == {"type": "ack", "id": "m-1"}
    assert "143 kcal" in frames[-1]["text"]


def test_socket_streams_a_reply_in_chunks(client: TestClient) -> None:
    with client.websocket_connect("/ws/chat") as ws:
        ready = hello(ws)
        assert ready["type"] == "ready" and ready["identity"] == "anonymous"
        assert is_session_id(ready["session_id"])
        frames = converse(ws, MEAL, "m-1")
    assert frames[0] == {"type": "ack", "id": "m-1"}
    start, *deltas, end = frames[1:]
    assert start["type"] == "start" and start["in_reply_to"] == "m-1"
    assert len(deltas) >= 3 and {d["type"] for d in deltas} == {"delta"}
    assert {f["id"] for f in frames[1:]} == {start["id"]}
    assert end["type"] == "end" and "".join(d["text"] for d in deltas) == end["text"]
    assert "143 kcal" in end["text"] and end["buttons"] == [] and end["images"] == []


def test_socket_resumes_a_session_and_dedupes_retries(client: TestClient) -> None:
    with client.websocket_connect("/ws/chat") as ws:
        session = hello(ws)["session_id"]
        first = converse(ws, MEAL, "same-id")[-1]["text"]
    with client.websocket_connect("/ws/chat") as ws:
        assert hello(ws, session_id=session)["session_id"] == session
        assert converse(ws, MEAL, "same-id")[-1]["text"] == first  # a retry after reconnect
        progress = converse(ws, "how am I doing today?")[-1]["text"]
    assert "248 kcal" in progress
    assert len(rows(client, Meal)) == 1
    assert len(history(client, {"X-Fitcoach-Session": session})) == 4


def test_socket_with_user_token(client: TestClient) -> None:
    with client.websocket_connect("/ws/chat") as ws:
        assert hello(ws, user_token=token("carol"))["identity"] == "user"
        converse(ws, MEAL)
    assert len(history(client, bearer("carol"))) == 2
    for bad in (token("carol", ttl=-1), token("carol", secret="nope"), "garbage"):
        with client.websocket_connect("/ws/chat") as ws:
            assert hello(ws, user_token=bad)["code"] == "unauthorized"
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == protocol.CLOSE_UNAUTHORIZED


def test_socket_closes_when_the_user_token_expires(client: TestClient) -> None:
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws, user_token=token("dave", ttl=1.2))
        time.sleep(1.5)
        assert converse(ws, "hi")[-1]["code"] == "unauthorized"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == protocol.CLOSE_UNAUTHORIZED


def test_socket_needs_hello_first(client: TestClient) -> None:
    with client.websocket_connect("/ws/chat") as ws:
        ws.send_json({"type": "message", "text": MEAL})
        assert ws.receive_json()["code"] == "bad_request"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == protocol.CLOSE_BAD_REQUEST
    with client.websocket_connect("/ws/chat") as ws:
        assert hello(ws, session_id="../../admin")["code"] == "bad_request"


def test_socket_reports_bad_frames_and_stays_open(client: TestClient) -> None:
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_text("{not json")
        assert ws.receive_json()["code"] == "bad_request"
        ws.send_json({"type": "shout"})
        assert ws.receive_json()["code"] == "bad_request"
        ws.send_json({"type": "message", "text": "   "})
        assert ws.receive_json()["code"] == "bad_request"
        ws.send_json({"type": "message", "text": "x" * 5000})
        assert ws.receive_json()["code"] == "bad_request"
        ws.send_bytes(b"\x00\x01")
        assert ws.receive_json()["code"] == "bad_request"
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_socket_sends_quick_replies_and_rate_limits(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def handle(message: InboundMessage, on_stored: Any = None) -> list[OutboundMessage]:
        if on_stored is not None:
            await on_stored()
        options = [Button(label="1. Small", value="1"), Button(label="2. Large", value="2")]
        return [OutboundMessage(text="Which size?", buttons=options)]

    conversation = client.app.state.services.conversation  # type: ignore[attr-defined]
    monkeypatch.setattr(conversation, "handle", handle)
    settings.rate_limit_ip_per_min = 1
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        end = converse(ws, "had an apple")[-1]
        assert end["buttons"] == [
            {"label": "1. Small", "value": "1"},
            {"label": "2. Large", "value": "2"},
        ]
        assert converse(ws, "2", "m-2")[-1] == {
            "type": "error",
            "code": "rate_limited",
            "message": "too many messages",
            "in_reply_to": "m-2",
        }


@pytest.mark.parametrize(
    "text", ["", "one", "Logged your meal:\n• Egg — 143 kcal\n\nTotal", "  lead and trail  ", "\n"]
)
def test_chunks_join_back_to_the_reply(text: str) -> None:
    chunks = protocol.chunk_text(text)
    assert "".join(chunks) == text
    assert all(len(c.split()) <= protocol.WORDS_PER_DELTA for c in chunks)


def test_server_file_paths_never_reach_the_browser() -> None:
    reply = OutboundMessage(
        text="chart",
        images=[
            Attachment(kind="image", mime_type="image/png", ref="/srv/var/media/1/chart.png"),
            Attachment(kind="image", mime_type="image/png", ref="https://cdn.example/c.png"),
        ],
    )
    assert protocol.public_images(reply) == [
        {"url": "https://cdn.example/c.png", "mime_type": "image/png"}
    ]


def test_widget_assets_and_demo_page(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and '<script src="/widget.js"' in page.text
    script = client.get("/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "/ws/chat" in script.text
    assert client.get("/widget.css").headers["content-type"].startswith("text/css")
