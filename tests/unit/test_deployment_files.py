"""The compose stack describes what production needs (docker itself is not on this machine)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_two_replicas_behind_a_proxy_with_real_services() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"app1", "app2", "proxy", "postgres", "redis", "chroma"} <= set(services)
    for name in ("app1", "app2"):
        env = services[name]["environment"]
        assert env["FITCOACH_DATABASE_URL"].startswith("postgresql://")
        assert env["FITCOACH_REDIS_URL"].startswith("redis://")
        assert env["FITCOACH_CHROMA_URL"].startswith("http://chroma")
        assert "healthcheck" in services[name]
    for name in ("postgres", "redis", "chroma"):
        assert "healthcheck" in services[name]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "server app1:8000" in nginx and "server app2:8000" in nginx
    assert "Upgrade" in nginx  # web chat sockets pass through


def test_env_example_names_every_secret_without_values() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    values = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    for secret in (
        "GOOGLE_API_KEY",
        "FITCOACH_TELEGRAM_BOT_TOKEN",
        "FITCOACH_SLACK_SIGNING_SECRET",
        "FITCOACH_ADMIN_TOKEN",
    ):
        assert values[secret] == ""
