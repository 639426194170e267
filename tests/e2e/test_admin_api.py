"""The admin API end to end: tokens and roles, prompt versions, rollback, audit, people,
usage, scheduler audit, and a change made on one app instance seen by another."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from fitcoach.admin.people import web_fingerprint
from fitcoach.app import create_app
from fitcoach.bootstrap import Services
from fitcoach.config import Settings, get_settings
from fitcoach.storage import all_models  # noqa: F401
from fitcoach.storage.admin import AdminToken
from fitcoach.storage.database import Database
from fitcoach.storage.models import Base, utcnow
from fitcoach.storage.scheduling import ProactiveAudit
from fitcoach.webhooks import admin
from tests.fakes.gemini_server import FakeGemini

BOOT = "boot-admin-token-0123456789"
WIRED = "prompts" in getattr(Services, "__dataclass_fields__", {})
needs_wiring = pytest.mark.skipif(
    not WIRED, reason="needs the admin wiring in bootstrap/graph/tools (docs/admin.md)"
)


def admin_app(settings: Settings) -> FastAPI:
    """The app, with the admin router included if create_app does not include it yet."""
    app = create_app(settings)
    included = any(
        getattr(r, "original_router", None) is admin.router  # FastAPI >= 0.165 includes lazily
        or str(getattr(r, "path", "")).startswith("/admin/")
        for r in app.routes
    )
    if not included:
        app.include_router(admin.router)
    return app


@pytest.fixture
def admin_settings(tmp_path: Path) -> Settings:
    return get_settings(data_dir=tmp_path / "var", model="offline", admin_token=BOOT)


@pytest.fixture
def client(admin_settings: Settings) -> Iterator[TestClient]:
    with TestClient(admin_app(admin_settings)) as test_client:
        yield test_client


def call(client: TestClient, method: str, path: str, token: str | None = BOOT, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.request(method, path, headers=headers, **kw)


def token_for(client: TestClient, role: str, name: str | None = None) -> str:
    response = call(client, "POST", "/admin/tokens", json={"name": name or role, "role": role})
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def run(client: TestClient, work: Any) -> Any:
    assert client.portal is not None
    return client.portal.call(work)


def database(client: TestClient) -> Database:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return services.database


def chat(client: TestClient, text: str, session: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"text": text} | ({"session_id": session} if session else {})
    response = client.post("/api/chat", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_unauthorised_calls_get_401_and_low_roles_403(client: TestClient) -> None:
    assert call(client, "GET", "/admin/prompts", token=None).status_code == 401
    unknown = call(client, "GET", "/admin/prompts", token="fca_not-a-real-token")
    assert unknown.status_code == 401 and unknown.headers["www-authenticate"] == "Bearer"
    basic = client.get("/admin/prompts", headers={"Authorization": f"Basic {BOOT}"})
    assert basic.status_code == 401
    viewer, editor = token_for(client, "viewer"), token_for(client, "editor")
    assert call(client, "GET", "/admin/me", viewer).json() == {"name": "viewer", "role": "viewer"}
    assert call(client, "GET", "/admin/prompts", viewer).status_code == 200
    body = {"changes": {"persona": "You are fitcoach, edited by a viewer."}}
    assert call(client, "PATCH", "/admin/prompts/coach", viewer, json=body).status_code == 403
    assert call(client, "POST", "/admin/prompts/coach/rollback", viewer, json={}).status_code == 403
    assert call(client, "GET", "/admin/audit", editor).status_code == 403
    assert call(client, "GET", "/admin/tokens", editor).status_code == 403
    assert (
        call(
            client, "POST", "/admin/tokens", editor, json={"name": "x", "role": "admin"}
        ).status_code
        == 403
    )
    assert call(client, "GET", "/admin/people/1?include_messages=true", editor).status_code == 403


def test_tokens_are_stored_hashed_and_can_be_revoked(client: TestClient) -> None:
    created = call(client, "POST", "/admin/tokens", json={"name": "ops", "role": "editor"})
    token, token_id = created.json()["token"], created.json()["id"]
    assert token.startswith("fca_") and len(token) > 40

    async def stored() -> list[AdminToken]:
        async with database(client).session() as session:
            return list((await session.execute(select(AdminToken))).scalars())

    (row,) = run(client, stored)
    assert token not in (row.token_hash, row.prefix) and len(row.token_hash) == 64
    listed = call(client, "GET", "/admin/tokens").json()
    assert "token" not in listed[0] and "token_hash" not in listed[0]
    assert (
        call(client, "POST", "/admin/tokens", json={"name": "ops", "role": "viewer"}).status_code
        == 409
    )
    assert call(client, "GET", "/admin/me", token).json()["role"] == "editor"
    assert call(client, "DELETE", f"/admin/tokens/{token_id}").status_code == 200
    assert call(client, "GET", "/admin/me", token).status_code == 401


def test_invalid_edits_are_rejected_with_file_field_and_problem(client: TestClient) -> None:
    editor = token_for(client, "editor")
    before = call(client, "GET", "/admin/prompts/coach", editor).json()
    bad = call(client, "PATCH", "/admin/prompts/coach", editor, json={"changes": {"persona": "hi"}})
    assert bad.status_code == 422
    (problem,) = bad.json()["detail"]["problems"]
    assert problem["file"] == "coach.yaml (admin edit)" and problem["field"] == "persona"
    assert "at least 10 characters" in problem["problem"]
    content = before["content"] | {"safety": None}
    whole = call(client, "PUT", "/admin/prompts/coach", editor, json={"content": content})
    assert whole.status_code == 422
    assert whole.json()["detail"]["problems"][0]["field"] == "safety"
    assert call(client, "GET", "/admin/prompts/coach", editor).json() == before
    assert call(client, "GET", "/admin/prompts/nope", editor).status_code == 404


def test_versions_carry_who_when_diff_comment_and_rollback_restores(client: TestClient) -> None:
    editor = token_for(client, "editor", "eve")
    original = call(client, "GET", "/admin/prompts/coach").json()["content"]["persona"]
    for n in (1, 2):
        body = {"changes": {"persona": f"You are fitcoach, version {n}."}, "comment": f"try {n}"}
        saved = call(client, "PATCH", "/admin/prompts/coach", editor, json=body)
        assert saved.status_code == 200, saved.text
        assert saved.json()["version"] == n
    versions = call(client, "GET", "/admin/prompts/coach/versions", editor).json()
    assert [(v["version"], v["author"], v["comment"]) for v in versions] == [
        (2, "eve", "try 2"),
        (1, "eve", "try 1"),
    ]
    assert (
        versions[0]["created_at"]
        and "+persona: You are fitcoach, version 2." in versions[0]["diff"]
    )
    back = call(client, "POST", "/admin/prompts/coach/rollback", editor, json={"comment": "oops"})
    assert back.json()["restored_version"] == 1 and back.json()["action"] == "rollback"
    doc = call(client, "GET", "/admin/prompts/coach", editor).json()
    assert (
        doc["content"]["persona"] == "You are fitcoach, version 1."
        and doc["source"] == "override v3"
    )
    call(client, "POST", "/admin/prompts/coach/rollback", editor, json={"to_version": 0})
    assert call(client, "GET", "/admin/prompts/coach").json()["content"]["persona"] == original


def test_the_audit_log_records_every_change(client: TestClient) -> None:
    editor = token_for(client, "editor", "eve")
    body = {"changes": {"channels.telegram": "Telegram: two lines at most, no emoji."}}
    call(client, "PATCH", "/admin/prompts/channels", editor, json=body)
    call(client, "POST", "/admin/prompts/channels/rollback", editor, json={})
    call(client, "PATCH", "/admin/prompts/channels", editor, json={"changes": {"default": "x"}})
    entries = call(client, "GET", "/admin/audit").json()
    assert [(e["actor"], e["action"], e["target"]) for e in entries] == [
        ("eve", "prompt.rollback", "prompt:channels"),
        ("eve", "prompt.set", "prompt:channels"),
        ("bootstrap-admin", "token.create", "token:eve"),
    ]
    assert entries[1]["detail"]["version"] == 1 and entries[0]["client"]


def test_preview_renders_a_sample_person(client: TestClient) -> None:
    viewer = token_for(client, "viewer")
    body = {
        "channel": "slack",
        "personality": "data-driven",
        "sample": {"name": "Kim", "goal": "run 10k"},
    }
    result = call(client, "POST", "/admin/preview", viewer, json=body).json()
    assert "Coaching style (Data-driven)" in result["system_prompt"]
    assert "Channel style (slack)" in result["system_prompt"]
    assert "name Kim" in result["system_prompt"] and "goal: run 10k" in result["system_prompt"]
    draft = {"drafts": {"onboarding": {"instructions": "x"}}}
    bad = call(client, "POST", "/admin/preview", viewer, json=draft)
    assert (
        bad.status_code == 422
        and bad.json()["detail"]["problems"][0]["file"] == "onboarding.yaml (draft)"
    )


def test_people_search_shows_no_message_contents_by_default(client: TestClient) -> None:
    session = chat(client, "had 2 large eggs and a banana for breakfast")["session_id"]
    chat(client, "my name is Alex", session)
    viewer = token_for(client, "viewer")
    by_name = call(client, "GET", "/admin/people?q=alex", viewer).json()
    assert [p["name"] for p in by_name] == ["Alex"]
    # Web session ids are credentials: shown and searched only as their fingerprint.
    assert call(client, "GET", f"/admin/people?q={session[:10]}", viewer).json() == []
    fingerprint = web_fingerprint(session)
    by_id = call(client, "GET", f"/admin/people?q={fingerprint}&channel=web", viewer).json()
    assert by_id[0]["identities"] == [{"channel": "web", "external_id": fingerprint}]
    assert session not in str(by_id)
    assert by_id[0]["messages_in"] == 2 and "banana" not in str(by_id)
    person_id = by_id[0]["id"]
    assert call(client, "GET", "/admin/people?channel=telegram", viewer).json() == []
    detail = call(client, "GET", f"/admin/people/{person_id}", viewer).json()
    assert detail["messages"] is None
    full = call(client, "GET", f"/admin/people/{person_id}?include_messages=true").json()
    assert any("banana" in m["text"] for m in full["messages"])
    assert (
        call(client, "GET", "/admin/audit?action=people").json()[0]["action"]
        == "people.messages.read"
    )
    chosen = call(
        client, "PUT", f"/admin/people/{person_id}/personality", json={"personality": "tough love"}
    )
    assert chosen.json()["personality"] == "tough-love"
    assert (
        call(
            client, "PUT", f"/admin/people/{person_id}/personality", json={"personality": "mean"}
        ).status_code
        == 422
    )


def test_usage_counts_messages_per_channel_and_outcome(client: TestClient) -> None:
    chat(client, "bench 3x5 at 80kg")
    chat(client, "ran 5k in 27 min")
    usage = call(client, "GET", "/admin/usage?hours=1", token_for(client, "viewer")).json()
    assert {"channel": "web", "outcome": "done", "count": 2} in usage["messages"]
    assert {"model_calls", "tokens", "fallbacks", "tool_calls", "messages"} <= set(usage["replica"])
    assert usage["replica"]["tool_calls"].get("log_workout", 0) >= 1


def test_scheduler_audit_is_readable(client: TestClient) -> None:
    session = chat(client, "hi")["session_id"]
    viewer = token_for(client, "viewer")
    found = call(client, "GET", f"/admin/people?q={web_fingerprint(session)}", viewer).json()
    user_id = found[0]["id"]

    async def add_decision() -> None:
        async with database(client).engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        async with database(client).session() as s:
            s.add(
                ProactiveAudit(
                    at=utcnow(),
                    user_id=user_id,
                    trigger="inactivity",
                    decision="skipped",
                    reason="quiet_hours",
                )
            )

    run(client, add_decision)
    rows = call(client, "GET", f"/admin/scheduler/audit?user_id={user_id}", viewer).json()
    assert [(r["trigger"], r["decision"], r["reason"]) for r in rows] == [
        ("inactivity", "skipped", "quiet_hours")
    ]


def test_the_admin_api_is_documented_in_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {
        "/admin/prompts",
        "/admin/prompts/{document}/rollback",
        "/admin/preview",
        "/admin/people",
        "/admin/usage",
        "/admin/audit",
    } <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["AdminToken"]["scheme"] == "bearer"


def test_a_change_on_one_instance_is_seen_by_another_without_restart(
    admin_settings: Settings,
) -> None:
    with TestClient(admin_app(admin_settings)) as one, TestClient(admin_app(admin_settings)) as two:
        assert call(two, "GET", "/admin/me").status_code == 200
        two.app.state.admin.prompts.refresh_s = 0.2  # type: ignore[attr-defined]
        before = call(two, "POST", "/admin/preview", json={}).json()["system_prompt"]
        body = {"changes": {"persona": "You are fitcoach, changed on replica one."}}
        assert call(one, "PATCH", "/admin/prompts/coach", json=body).status_code == 200
        time.sleep(0.25)
        after = call(two, "POST", "/admin/preview", json={}).json()["system_prompt"]
        assert before.startswith("You are fitcoach, a warm")
        assert after.startswith("You are fitcoach, changed on replica one.")


@needs_wiring
def test_an_edited_persona_changes_the_next_replys_system_prompt(tmp_path: Path) -> None:
    with FakeGemini(api_key="test") as fake:
        settings = get_settings(
            data_dir=tmp_path / "var",
            model="google_genai:gemini-2.5-flash",
            google_api_key="test",
            model_base_url=fake.base_url,
            model_timeout_s=2.0,
            model_max_retries=0,
            admin_token=BOOT,
        )
        with TestClient(admin_app(settings)) as client:
            fake.reply_text("First answer.")
            session = chat(client, "what should I eat before a run?")["session_id"]
            body = {"changes": {"persona": "You are fitcoach, Coach Kim. Speak like Coach Kim."}}
            assert call(client, "PATCH", "/admin/prompts/coach", json=body).status_code == 200
            fake.reply_text("Second answer.")
            chat(client, "and after the run?", session)
        coach_calls = [  # the memory extractor makes its own calls: keep the coach's
            r for r in fake.requests_for("generateContent") if "Channel style" in r.system_text
        ]
        first, second = coach_calls[:2]
        assert first.system_text.startswith("You are fitcoach, a warm")
        assert second.system_text.startswith("You are fitcoach, Coach Kim.")
        assert "Channel style (web)" in second.system_text


@needs_wiring
def test_be_tougher_on_me_switches_the_personality_offline(client: TestClient) -> None:
    data = chat(client, "be tougher on me")
    assert data["replies"][0]["text"].startswith("Done: I'll coach you in Tough love mode")
    people = call(client, "GET", f"/admin/people?q={web_fingerprint(data['session_id'])}").json()
    assert people[0]["personality"] == "tough-love"
