"""The real docker-compose.yml + Dockerfile under Docker (deploy/compose_up.py): the stack is
built and brought up, exercised through the proxy on :8080 (chat across replicas, WebSocket,
Chroma memory, Telegram webhook, 413, a replica killed, data kept across down/up) and torn
down with ``down -v``.

Skipped, with the reason, when no Docker daemon is reachable, Compose v2.24+ is missing, the
images docker-compose.yml names are not present locally (no registry: build the stand-ins
with deploy/standin_images.py) or port 8080 is taken. Nothing is installed or pulled here."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "compose_up.py"
MUST_PASS = {
    ("up", "compose build"),
    ("up", "compose up -d"),
    ("health", "app1"),
    ("health", "app2"),
    ("health", "chroma"),
    ("health", "postgres"),
    ("health", "redis"),
    ("proxy", "GET /health/ready"),
    ("proxy", "session continues on the other replica"),
    ("proxy", "both replicas serve (round robin)"),
    ("proxy", "WebSocket /ws/chat streams a reply"),
    ("proxy", "memory recalled by the other replica"),
    ("proxy", "PostgreSQL holds the data"),
    ("proxy", "Telegram webhook: secret checked, answered"),
    ("proxy", "body over client_max_body_size refused"),
    ("failover", "docker kill app1: app2 answers"),
    ("persistence", "meal logged before is still there"),
    ("teardown", "compose down -v"),
}

pytestmark = [pytest.mark.timeout(1500)]


def _skip_reason() -> str | None:
    """Why this machine cannot run the stack (checked before anything starts)."""
    sys.path.insert(0, str(ROOT / "deploy"))
    try:
        from standin_images import TAGS, docker_reachable, image_labels
    finally:
        sys.path.remove(str(ROOT / "deploy"))
    if problem := docker_reachable():
        return problem
    done = subprocess.run(
        ["docker", "compose", "version", "--short"], capture_output=True, text=True, timeout=30
    )
    if done.returncode != 0:
        return "no Docker Compose v2 (docker compose)"
    missing = [tag for tag in TAGS if image_labels(tag) is None]
    if missing:
        return f"images not built: {', '.join(missing)} (run deploy/standin_images.py)"
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", 8080)) == 0:
            return "port 8080 is in use"
    return None


def test_the_real_compose_stack_works_under_docker(tmp_path: Path) -> None:
    if reason := _skip_reason():
        pytest.skip(f"docker compose stack: {reason}")
    report = tmp_path / "compose.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--json", str(report)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=1450,
    )
    output = f"{done.stdout[-10000:]}\n{done.stderr[-4000:]}"
    assert report.exists(), output
    data = json.loads(report.read_text())
    if done.returncode == 3:
        reason = next(r["detail"] for r in data["results"] if r["phase"] == "prerequisite")
        pytest.skip(f"docker compose stack: {reason}")
    assert done.returncode == 0, output
    results = {(r["phase"], r["name"]): r for r in data["results"]}
    assert set(results) >= MUST_PASS, MUST_PASS - set(results)
    assert all(r["ok"] for r in data["results"]), output

    # Nothing is left running.
    left = subprocess.run(
        ["docker", "ps", "-aq", "--filter", "label=com.docker.compose.project=fitcoach-check"],
        capture_output=True,
        text=True,
    ).stdout.split()
    assert not left, left
