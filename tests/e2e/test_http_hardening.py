"""Metrics, correlation ids and body limits on the real app."""

from __future__ import annotations

import gc
from pathlib import Path

from fastapi.testclient import TestClient

from fitcoach.app import create_app
from fitcoach.config import get_settings


def test_metrics_count_messages_tools_and_routes(client: TestClient) -> None:
    client.post("/api/chat", json={"text": "bench 3x5 at 80kg"})
    text = client.get("/metrics").text
    assert 'fitcoach_messages_total{channel="web",outcome="done"}' in text
    assert 'fitcoach_tool_calls_total{tool="log_workout"}' in text
    assert 'fitcoach_model_calls_total{route="offline"}' in text
    assert "fitcoach_http_seconds_bucket" in text


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    response = client.get("/health/live", headers={"X-Request-ID": "abc123"})
    assert response.headers["x-request-id"] == "abc123"
    generated = client.get("/health/live").headers["x-request-id"]
    assert len(generated) == 32


def test_oversized_bodies_are_rejected_with_413(client: TestClient) -> None:
    huge = "x" * (3 * 1024 * 1024)
    response = client.post("/api/chat", content=huge, headers={"content-type": "application/json"})
    assert response.status_code == 413

    def chunks() -> object:
        for _ in range(40):
            yield b"y" * 100_000

    response = client.post(
        "/api/chat", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_startup_freezes_long_lived_objects_and_gc_pauses_are_measured(tmp_path: Path) -> None:
    settings = get_settings(data_dir=tmp_path / "var", model="offline", gc_freeze=True)
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(settings)) as client:
        # the food and exercise indexes, the agent graph, ... are out of the collector's reach
        assert gc.get_freeze_count() > 100_000
        before = _gc_pauses(client.get("/metrics").text)
        gc.collect()
        after = _gc_pauses(client.get("/metrics").text)
        assert after > before
    assert gc.get_freeze_count() == 0  # given back on shutdown


def test_collector_thresholds_are_set_while_serving_and_given_back(tmp_path: Path) -> None:
    python_thresholds = gc.get_threshold()
    settings = get_settings(data_dir=tmp_path / "var", model="offline", gc_thresholds=(9000, 7, 5))
    with TestClient(create_app(settings)):
        assert gc.get_threshold() == (9000, 7, 5)
    assert gc.get_threshold() == python_thresholds


def test_gc_freeze_can_be_turned_off(client: TestClient) -> None:
    assert client.get("/health/live").status_code == 200
    assert gc.get_freeze_count() == 0


def _gc_pauses(metrics: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith('fitcoach_gc_pause_seconds_count{generation="2"}')
    )
