"""End to end through POST /api/chat: grounded logging, progress, undo, isolation."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from fitcoach.storage.database import Database
from fitcoach.storage.models import Meal, MealItem, Workout, WorkoutSet


def say(client: TestClient, text: str, session: str | None = None) -> tuple[str, str]:
    body: dict[str, Any] = {"text": text}
    if session:
        body["session_id"] = session
    response = client.post("/api/chat", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert len(data["replies"]) == 1
    return data["session_id"], data["replies"][0]["text"]


def rows(client: TestClient, model: type) -> list[Any]:
    database: Database = client.app.state.services.database  # type: ignore[attr-defined]

    async def fetch() -> list[Any]:
        async with database.session() as session:
            return list((await session.execute(select(model))).scalars())

    assert client.portal is not None
    return client.portal.call(fetch)


def test_meal_is_logged_with_usda_ids_and_kcal(client: TestClient) -> None:
    _, reply = say(client, "had 2 large eggs and a banana for breakfast")
    items = {i.ndb_no: i for i in rows(client, MealItem)}
    assert set(items) == {"01123", "09040"}
    assert abs(items["01123"].kcal - 143) <= 143 * 0.05
    assert abs(items["01123"].grams - 100) <= 1
    assert abs(items["09040"].kcal - 105) <= 105 * 0.05
    assert rows(client, Meal)[0].meal_type == "breakfast"
    assert "143" in reply and "105" in reply
    assert "248" in reply  # meal total, from the data, in the reply


def test_workout_is_logged_against_the_catalog(client: TestClient) -> None:
    _, reply = say(client, "bench 3x5 at 80kg")
    sets = rows(client, WorkoutSet)
    assert len(sets) == 3
    assert {s.exercise_id for s in sets} == {"Barbell_Bench_Press_-_Medium_Grip"}
    assert [s.reps for s in sets] == [5, 5, 5]
    assert all(s.weight_kg == 80.0 for s in sets)
    assert "Bench Press" in reply and "80 kg" in reply


def test_progress_reports_the_days_totals(client: TestClient) -> None:
    session, _ = say(client, "had 2 large eggs and a banana for breakfast")
    say(client, "bench 3x5 at 80kg", session)
    _, reply = say(client, "how am I doing today?", session)
    assert "248 kcal" in reply
    assert "1 workout" in reply and "3 sets" in reply and "1200 kg volume" in reply


def test_undo_removes_the_last_entry(client: TestClient) -> None:
    session, _ = say(client, "had 2 large eggs and a banana for breakfast")
    say(client, "bench 3x5 at 80kg", session)
    _, reply = say(client, "undo", session)
    assert "workout" in reply.lower()
    assert rows(client, Workout) == []
    assert len(rows(client, Meal)) == 1
    _, reply = say(client, "how am I doing today?", session)
    assert "No workouts" in reply


def test_one_user_never_sees_another_users_entries(client: TestClient) -> None:
    alice, _ = say(client, "had 2 large eggs and a banana for breakfast")
    bob, reply = say(client, "how am I doing today?")
    assert alice != bob
    assert "haven't logged anything" in reply
    _, reply = say(client, "undo", bob)
    assert "nothing to undo" in reply.lower()
    assert len(rows(client, Meal)) == 1  # bob's undo did not touch alice's meal
    _, reply = say(client, "how am I doing today?", alice)
    assert "248 kcal" in reply


def test_impossible_values_are_questioned_not_logged(client: TestClient) -> None:
    session, reply = say(client, "bench 3x5 at 5000kg")
    assert "record" in reply.lower() or "typo" in reply.lower()
    _, reply = say(client, "ran for 40 hours", session)
    assert rows(client, Workout) == []


def test_a_forged_session_id_is_rejected(client: TestClient) -> None:
    response = client.post("/api/chat", json={"text": "hi", "session_id": "../../admin"})
    assert response.status_code == 422


def test_empty_message_gets_a_clear_error(client: TestClient) -> None:
    response = client.post("/api/chat", json={"text": ""})
    assert response.status_code == 422


def test_health_checks_the_database(client: TestClient) -> None:
    assert client.get("/health/live").json() == {"status": "ok"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"
    assert client.get("/").status_code == 200


def test_a_redelivered_message_is_processed_once(client: TestClient) -> None:
    body = {"text": "had 2 large eggs and a banana", "message_id": "m-1"}
    first = client.post("/api/chat", json=body).json()
    again = client.post("/api/chat", json=body | {"session_id": first["session_id"]}).json()
    assert again["replies"] == first["replies"]
    assert len(rows(client, Meal)) == 1


def test_message_ids_are_scoped_to_the_session(client: TestClient) -> None:
    alice = client.post("/api/chat", json={"text": "had a banana", "message_id": "x"}).json()
    bob = client.post("/api/chat", json={"text": "how am I doing today?", "message_id": "x"}).json()
    assert bob["session_id"] != alice["session_id"]
    assert "banana" not in bob["replies"][0]["text"].lower()
    assert "haven't logged anything" in bob["replies"][0]["text"]


def test_charts_reach_the_web_as_inline_images_not_server_paths(client: TestClient) -> None:
    session, _ = say(client, "I weigh 82 kg")
    say(client, "had 2 large eggs", session)
    data = client.post(
        "/api/chat", json={"text": "chart my calories", "session_id": session}
    ).json()
    [image] = data["replies"][0]["images"]
    assert image["ref"].startswith("data:image/png;base64,")
    assert "/media/" not in str(data)
