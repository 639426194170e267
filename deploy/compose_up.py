#!/usr/bin/env python3
"""Run the real docker-compose.yml + Dockerfile under Docker and exercise the stack.

``docker compose -p fitcoach-check -f docker-compose.yml -f <generated override> up -d --build``
with a scratch env file made from ``.env.example`` (secrets random, no API keys: the offline
model answers), then, through the proxy on http://127.0.0.1:8080, the checks of
``deploy/rehearse.py`` adapted to containers (which replica answered is read from each
replica's own /metrics at its container address), plus:

* a Telegram webhook with the secret header is accepted and answered through the Bot API
  (a fake Bot API on the host, reached from the containers over the docker0 address),
  a wrong or missing secret gets 403;
* ``docker kill`` of app1: requests are still answered, by app2; app1 started again rejoins;
* ``down`` (volumes kept) and ``up`` again: the meal, the Redis data and the Chroma memory
  logged before are still there.

The generated override only replaces ``env_file: .env`` of the app services with the scratch
file (``!override``, Compose ≥ 2.24) so no ``.env`` is written into the checkout; every other
line of docker-compose.yml is used as is. ``--offline-file`` adds an override of your own
(e.g. host networking for builds). Everything is torn down (``down -v``) unless ``--keep``.
Exit codes: 0 all passed, 1 a check failed, 3 a prerequisite is missing (no Docker daemon,
no Compose v2, images missing: run deploy/standin_images.py).

    .venv/bin/python deploy/compose_up.py [--json report.json] [--keep]
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
import yaml

DEPLOY = Path(__file__).resolve().parent
ROOT = DEPLOY.parent
sys.path.insert(0, str(DEPLOY))
sys.path.insert(0, str(ROOT))  # tests.fakes (the fake Bot API) when run as a script

from checklog import (  # noqa: E402 -- deploy/ is not a package
    CheckLog,
    Interrupted,
    PrerequisiteMissing,
    Result,
    raise_interrupted,
)
from rehearse import BAD_LOG_LINE, DAY_KCAL, MEAL, MEAL_KCAL, metric_sum  # noqa: E402
from standin_images import TAGS, docker_reachable, image_labels  # noqa: E402

PROJECT = "fitcoach-check"
BASE_URL = "http://127.0.0.1:8080"
EXIT_OK, EXIT_FAILED, EXIT_PREREQUISITE = 0, 1, 3
REPLICAS = ("app1", "app2")
TELEGRAM_CHAT = 424242


# ---------------------------------------------------------------- compose and docker


def compose_cli() -> list[str]:
    """``docker compose`` (v2 plugin) or a ``docker-compose`` that is v2; raises otherwise."""
    for argv in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(argv[0]) is None:
            continue
        done = subprocess.run(
            [*argv, "version", "--short"], capture_output=True, text=True, timeout=30
        )
        version = done.stdout.strip().lstrip("v")
        numbers = tuple(int(p) for p in re.findall(r"\d+", version)[:2])
        if done.returncode == 0 and numbers >= (2, 24):
            return argv
    raise PrerequisiteMissing(
        "Compose v2.24 or newer not found (docker compose / docker-compose); the generated "
        "override uses !override"
    )


def compose_version(cli: list[str]) -> str:
    """What ``version --short`` says."""
    done = subprocess.run([*cli, "version", "--short"], capture_output=True, text=True)
    return f"{' '.join(cli)} {done.stdout.strip()}"


def docker_ip_of_host() -> str:
    """The host's address on the default bridge (docker0): containers reach the host there."""
    name = subprocess.run(
        [
            "docker",
            "network",
            "inspect",
            "bridge",
            "--format",
            '{{index .Options "com.docker.network.bridge.name"}}',
        ],
        capture_output=True,
        text=True,
    ).stdout.strip()
    done = subprocess.run(
        ["ip", "-4", "-o", "addr", "show", name or "docker0"], capture_output=True, text=True
    )
    found = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/", done.stdout)
    if not found:
        raise PrerequisiteMissing(f"no IPv4 address on the docker bridge {name or 'docker0'}")
    return found.group(1)


def scratch_env(example: Path, telegram_url: str | None) -> dict[str, str]:
    """``.env.example`` with its secrets filled in with random values; API keys stay empty."""
    values: dict[str, str] = {}
    for raw in example.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip()] = value.strip()
    values["POSTGRES_PASSWORD"] = secrets.token_urlsafe(18)
    values["FITCOACH_ADMIN_TOKEN"] = secrets.token_urlsafe(32)
    values["FITCOACH_TELEGRAM_WEBHOOK_SECRET"] = secrets.token_urlsafe(24)
    if telegram_url:  # a fake Bot API: the bot's getMe and sendMessage never leave the host
        from tests.fakes.telegram_server import DEFAULT_TOKEN

        values["FITCOACH_TELEGRAM_BOT_TOKEN"] = DEFAULT_TOKEN
        values["FITCOACH_TELEGRAM_API_URL"] = telegram_url
    return values


def write_env(path: Path, values: dict[str, str]) -> None:
    """KEY=VALUE lines; values with spaces or quotes single-quoted (JSON stays intact)."""
    lines = []
    for key, value in values.items():
        needs_quotes = any(c in value for c in " \"'#$")
        lines.append(f"{key}='{value}'" if needs_quotes and "'" not in value else f"{key}={value}")
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


class Relay:
    """A TCP relay from ``listen_host:<free port>`` to a loopback port (the fake Bot API
    listens on 127.0.0.1, which containers cannot reach)."""

    def __init__(self, listen_host: str, target_port: int) -> None:
        self.target_port = target_port
        self.server = socket.create_server((listen_host, 0))
        self.port = int(self.server.getsockname()[1])
        self.closed = False
        threading.Thread(target=self._accept, name="relay", daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        """Stop accepting."""
        self.closed = True
        self.server.close()


@dataclass
class Run(CheckLog):
    """State of one check run."""

    cli: list[str]
    tmp: Path
    env: dict[str, str]
    files: list[Path]
    exit_code: int = EXIT_FAILED
    telegram: Any = None  # tests.fakes.telegram_server.FakeTelegram when enabled
    anonymous: set[str] = field(default_factory=set)
    """Anonymous volumes (image VOLUMEs nothing mounts) left behind by a ``down`` without -v."""
    brought_up: bool = False

    # ---- compose

    def compose(self, *args: str, timeout: float = 900) -> str:
        """One compose command on the project; raises with the output's tail on failure."""
        argv = [*self.cli, "-p", PROJECT, "--project-directory", str(ROOT)]
        for path in self.files:
            argv += ["-f", str(path)]
        argv += ["--env-file", str(self.tmp / "env"), *args]
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
        )
        output = done.stdout + done.stderr
        if done.returncode != 0:
            raise RuntimeError(
                f"`compose {' '.join(args)}` exited {done.returncode}:\n{output[-2500:]}"
            )
        return output

    def containers(self) -> dict[str, dict[str, Any]]:
        """Service → ``docker inspect`` of its container (the project's, by label)."""
        ids = subprocess.run(
            ["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}"],
            capture_output=True,
            text=True,
        ).stdout.split()
        if not ids:
            return {}
        data = json.loads(
            subprocess.run(["docker", "inspect", *ids], capture_output=True, text=True).stdout
        )
        return {c["Config"]["Labels"]["com.docker.compose.service"]: c for c in data}

    def ip(self, service: str) -> str:
        """The service container's address on the project network (reachable from the host)."""
        container = self.containers()[service]
        for network in container["NetworkSettings"]["Networks"].values():
            if network.get("IPAddress"):
                return str(network["IPAddress"])
        raise AssertionError(f"{service} has no IP address (not running?)")

    def wait_healthy(self, phase: str, services: list[str], timeout: float) -> bool:
        """Poll until every service is healthy (proxy: running and answering); one line each."""
        started = time.monotonic()
        pending = list(services)
        while pending and time.monotonic() - started < timeout:
            containers = self.containers()
            for service in list(pending):
                state = containers.get(service, {}).get("State", {})
                health = (state.get("Health") or {}).get("Status")
                if health == "healthy" or (health is None and state.get("Running")):
                    if health is None and not _answers(BASE_URL + "/health/live"):
                        continue
                    label = (
                        f"healthy {_healthy_after(containers[service])}"
                        if health
                        else "running, answering on :8080 (no healthcheck declared)"
                    )
                    self.results.append(
                        Result(phase, service, True, time.monotonic() - started, label)
                    )
                    pending.remove(service)
            time.sleep(1)
        for service in pending:
            state = self.containers().get(service, {}).get("State", {})
            log = self.logs(service)[-1500:]
            detail = f"not healthy after {timeout:.0f} s: {state.get('Status')}\n{log}"
            self.results.append(Result(phase, service, False, time.monotonic() - started, detail))
        return not pending

    def logs(self, service: str) -> str:
        """The container's output (stdout and stderr)."""
        container = self.containers().get(service)
        if not container:
            return ""
        done = subprocess.run(["docker", "logs", container["Id"]], capture_output=True, text=True)
        return done.stdout + done.stderr


def _timestamp(value: str) -> float:
    """Docker's RFC 3339 timestamps (nanoseconds) → epoch seconds."""
    from datetime import datetime

    found = re.match(r"(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", value)
    if not found:
        return 0.0
    base, fraction, zone = found.groups()
    zone = "+00:00" if zone == "Z" else zone
    return datetime.fromisoformat(base + zone).timestamp() + float(fraction or 0)


def _healthy_after(container: dict[str, Any]) -> str:
    """``N s after start``: the first passing healthcheck Docker still remembers."""
    state = container["State"]
    started = _timestamp(state["StartedAt"])
    passing = [
        _timestamp(e["End"])
        for e in (state.get("Health") or {}).get("Log") or []
        if e.get("ExitCode") == 0 and _timestamp(e["Start"]) >= started
    ]
    if not passing:
        return "(when: not in the health log)"
    took = passing[0] - started
    return f"{took:.1f} s after its container started"


def _answers(url: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(url, timeout=3).status_code == 200
    return False


# ---------------------------------------------------------------- the checks


class Client:
    """HTTP through the proxy; which replica answered comes from the replicas' /metrics."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.http = httpx.Client(base_url=BASE_URL, timeout=60)

    def counts(self, route: str) -> dict[str, float]:
        """fitcoach_http_seconds_count for ``route`` on each live replica (its own /metrics)."""
        found: dict[str, float] = {}
        for replica in REPLICAS:
            try:
                text = httpx.get(f"http://{self.run.ip(replica)}:8000/metrics", timeout=5).text
            except (httpx.HTTPError, AssertionError, KeyError):
                continue
            found[replica] = metric_sum(text, "fitcoach_http_seconds_count", route=route)
        return found

    @contextlib.contextmanager
    def served(self, route: str) -> Iterator[list[str]]:
        """``with client.served("/api/chat") as who:`` → who[0] is the replica that answered."""
        who: list[str] = []
        before = self.counts(route)
        yield who
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            after = self.counts(route)
            grew = [r for r in after if after[r] > before.get(r, 0)]
            if grew:
                who.append(grew[0])
                return
            time.sleep(0.05)
        who.append("?")

    def chat(self, text: str, session: str | None = None) -> tuple[str, str, str]:
        """POST /api/chat → (session id, first reply, replica)."""
        body: dict[str, str] = {"text": text}
        if session:
            body["session_id"] = session
        with self.served("/api/chat") as who:
            response = self.http.post("/api/chat", json=body)
            response.raise_for_status()
        data = response.json()
        return data["session_id"], data["replies"][0]["text"], who[0]

    def chat_elsewhere(
        self, text: str, session: str, not_on: str, tries: int = 4
    ) -> tuple[str, str]:
        """Repeat a read-only message until another replica than ``not_on`` answers it."""
        for _ in range(tries):
            _, reply, replica = self.chat(text, session)
            if replica != not_on:
                return reply, replica
        raise AssertionError(f"{tries} requests all went to {not_on}: no round robin")


def _chroma_memories(host: str, word: str, wait_s: float = 10) -> str:
    """Memories containing ``word`` on the Chroma server, read with chromadb.HttpClient."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.HttpClient(
        host=host, port=8000, settings=ChromaSettings(anonymized_telemetry=False)
    )
    deadline = time.monotonic() + wait_s
    while True:
        for collection in client.list_collections():
            if not collection.name.startswith("fc_mem_"):
                continue
            documents = collection.get(include=["documents"])
            hits = [d for d in documents.get("documents") or [] if d and word in d.lower()]
            if hits:
                return f"{collection.name}: {hits}"
        if time.monotonic() > deadline:
            return ""
        time.sleep(0.3)


def _postgres(run: Run) -> Any:
    """A psycopg connection to the postgres container, with the password of the env file."""
    import psycopg

    password = run.env["POSTGRES_PASSWORD"]
    return psycopg.connect(
        host=run.ip("postgres"),
        port=5432,
        user="fitcoach",
        password=password,
        dbname="fitcoach",
        connect_timeout=5,
    )


def _redis(run: Run) -> Any:
    import redis

    return redis.Redis(host=run.ip("redis"), port=6379, db=0, socket_timeout=5)


def proxy_checks(run: Run, state: dict[str, Any]) -> None:
    """Through nginx on :8080: what rehearse.py checks, plus the Telegram webhook."""
    client = Client(run)

    def ready() -> str:
        response = client.http.get("/health/ready")
        body = response.json()
        assert response.status_code == 200 and body["status"] == "ok", response.text
        assert body["checks"]["database"] == "ok", body
        return f"200 {body['checks']} model={body['model']}"

    def page() -> str:
        response = client.http.get("/")
        assert response.status_code == 200, response.status_code
        assert '<script src="/widget.js"' in response.text, "no widget script tag"
        script = client.http.get("/widget.js")
        assert script.status_code == 200, script.status_code
        return f"/ and /widget.js 200 ({len(response.text)} + {len(script.text)} bytes)"

    def request_id() -> str:
        rid = client.http.get("/health/live").headers.get("x-request-id", "")
        assert re.fullmatch(r"[0-9a-f]{32}", rid), f"x-request-id {rid!r} is not nginx's"
        return f"the replica echoes nginx's $request_id ({rid[:8]}…)"

    def chat() -> str:
        session, reply, replica = client.chat(MEAL)
        assert MEAL_KCAL in reply, reply
        state.update(session=session, first_replica=replica)
        return f"{replica}: {reply.splitlines()[0][:60]}…"

    def shared_session() -> str:
        reply, replica = client.chat_elsewhere(
            "how am I doing today?", state["session"], state["first_replica"]
        )
        assert DAY_KCAL in reply, reply
        return f"meal logged on {state['first_replica']}, day total {DAY_KCAL} read on {replica}"

    def balanced() -> str:
        before = client.counts("/api/chat")
        served = [client.chat("how am I doing this week?")[2] for _ in range(4)]
        after = client.counts("/api/chat")
        grew = {r: after[r] - before[r] for r in REPLICAS}
        assert all(grew.values()), f"per-replica /api/chat counts grew by {grew}"
        assert set(served) == set(REPLICAS), f"served by {served}"
        return f"4 messages served by {served}; /metrics per replica +{grew}"

    def websocket() -> str:
        from websockets.sync.client import connect

        url = BASE_URL.replace("http://", "ws://") + "/ws/chat"
        with connect(url, additional_headers={"Origin": BASE_URL}, open_timeout=10) as ws:
            ws.send(json.dumps({"type": "hello"}))
            ready_frame = json.loads(ws.recv(timeout=10))
            assert ready_frame["type"] == "ready", ready_frame
            ws.send(json.dumps({"type": "message", "id": "ws-1", "text": MEAL}))
            frames: list[dict[str, Any]] = []
            while not frames or frames[-1]["type"] not in ("end", "error"):
                frames.append(json.loads(ws.recv(timeout=30)))
        kinds = [f["type"] for f in frames]
        deltas = [f["text"] for f in frames if f["type"] == "delta"]
        assert kinds[0] == "ack" and kinds[1] == "start" and kinds[-1] == "end", kinds
        assert len(deltas) >= 2 and "".join(deltas) == frames[-1]["text"], kinds
        assert MEAL_KCAL in frames[-1]["text"], frames[-1]["text"]
        return f"Origin {BASE_URL} accepted (Host kept); {len(deltas)} deltas joined == end"

    def websocket_foreign_origin() -> str:
        from websockets.exceptions import InvalidStatus
        from websockets.sync.client import connect

        url = BASE_URL.replace("http://", "ws://") + "/ws/chat"
        try:
            with connect(
                url, additional_headers={"Origin": "https://evil.example"}, open_timeout=10
            ):
                pass
        except InvalidStatus as exc:
            assert exc.response.status_code == 403, exc.response.status_code
            return "handshake refused with 403 through nginx"
        raise AssertionError("a foreign origin was accepted")

    def memory() -> str:
        session, reply, replica = client.chat("remember that I'm vegetarian")
        state.update(memory_session=session, memory_replica=replica)
        found = _chroma_memories(run.ip("chroma"), "vegetarian")
        assert found, f"no memory about 'vegetarian' on the chroma server (reply: {reply})"
        return f"{replica} stored it; chroma container: {found}"

    def recall() -> str:
        reply, replica = client.chat_elsewhere(
            "what do you remember about me?", state["memory_session"], state["memory_replica"]
        )
        assert "vegetarian" in reply.lower(), reply
        return f"{replica} recalls what {state['memory_replica']} stored"

    def metrics() -> str:
        response = client.http.get("/metrics")
        assert response.status_code == 200, response.status_code
        total = metric_sum(response.text, "fitcoach_messages_total", channel="web")
        assert total > 0, "fitcoach_messages_total{channel=web} is 0"
        return f"200, fitcoach_messages_total{{channel=web}} {total:.0f} on the replica asked"

    def redis_keys() -> str:
        found = list(_redis(run).scan_iter(f"fitcoach:rate:*{state['session']}*"))
        assert found, "no fitcoach:rate:* key for the chat session in the redis container"
        aof = _redis(run).config_get("appendonly")
        assert aof.get("appendonly") == "yes", aof
        return f"{len(found)} rate-limit key(s) for the session; appendonly={aof['appendonly']}"

    def postgres_rows() -> str:
        with _postgres(run) as conn:
            version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            inbox = conn.execute("SELECT count(*) FROM inbox WHERE channel = 'web'").fetchone()
            meals = conn.execute("SELECT count(*) FROM meals").fetchone()
            server = conn.execute("SHOW server_version").fetchone()
        assert version and inbox and meals and inbox[0] > 0 and meals[0] >= 2, (inbox, meals)
        state["meals"] = meals[0]
        return (
            f"password auth over the network ok; PostgreSQL {server[0] if server else '?'}, "
            f"migrated to {version[0]}; {inbox[0]} web inbox rows, {meals[0]} meals"
        )

    def telegram() -> str:
        fake = run.telegram
        secret = run.env["FITCOACH_TELEGRAM_WEBHOOK_SECRET"]
        header = "X-Telegram-Bot-Api-Secret-Token"
        message = {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": TELEGRAM_CHAT, "type": "private", "first_name": "Ada"},
            "from": {"id": TELEGRAM_CHAT, "is_bot": False, "first_name": "Ada"},
            "text": MEAL,
        }
        update = {"update_id": 9001, "message": message}
        wrong = client.http.post("/webhooks/telegram", json=update, headers={header: "wrong"})
        missing = client.http.post("/webhooks/telegram", json=update)
        assert wrong.status_code == 403 and missing.status_code == 403, (wrong, missing)
        assert not fake.sent("sendMessage"), "a rejected update was answered"
        accepted = client.http.post("/webhooks/telegram", json=update, headers={header: secret})
        assert accepted.status_code == 200, accepted.status_code
        [reply] = fake.wait_for("sendMessage", timeout=30)
        assert str(reply.params.get("chat_id")) == str(TELEGRAM_CHAT), reply.params
        text = str(reply.params.get("text", ""))
        assert "pairing code" in text, text  # .env.example: telegram access is "pairing"
        getme = len(fake.sent("getMe"))
        return (
            f"wrong/missing secret 403/403; right secret 200 → sendMessage to {TELEGRAM_CHAT} "
            f"via the fake Bot API (pairing code, the .env.example policy); getMe ×{getme}"
        )

    def body_cap() -> str:
        response = client.http.post("/api/chat", content=b"x" * (3 * 1024 * 1024))
        assert response.status_code == 413, response.status_code
        assert "x-request-id" not in response.headers, "the app answered, not nginx"
        return "3 MB body refused with 413 by nginx (client_max_body_size), never reached a replica"

    def clean_logs() -> str:
        found = []
        for replica in REPLICAS:
            for line in run.logs(replica).splitlines():
                if BAD_LOG_LINE.search(line):
                    found.append(f"{replica}: {line[:200]}")
        assert not found, "\n".join(found[:5])
        return f"no errors, tracebacks or Redis fallbacks in {', '.join(REPLICAS)} (docker logs)"

    checks: list[tuple[str, Callable[[], str]]] = [
        ("GET /health/ready", ready),
        ("GET / (web chat page)", page),
        ("X-Request-ID passed through", request_id),
        ("POST /api/chat gets a coach reply", chat),
        ("session continues on the other replica", shared_session),
        ("both replicas serve (round robin)", balanced),
        ("WebSocket /ws/chat streams a reply", websocket),
        ("WebSocket from a foreign origin refused", websocket_foreign_origin),
        ("memory stored on the Chroma server", memory),
        ("memory recalled by the other replica", recall),
        ("GET /metrics", metrics),
        ("Redis used for rate limits", redis_keys),
        ("PostgreSQL holds the data", postgres_rows),
    ]
    if run.telegram is not None:
        checks.append(("Telegram webhook: secret checked, answered", telegram))
    checks += [
        ("body over client_max_body_size refused", body_cap),
        ("replica logs are clean", clean_logs),
    ]
    try:
        for name, check in checks:
            run.record("proxy", name, check)
    finally:
        client.http.close()


def failover_checks(run: Run, state: dict[str, Any]) -> None:
    """docker kill app1: app2 answers everything; app1 started again takes traffic again."""
    client = Client(run)
    victim, survivor = REPLICAS

    def killed() -> str:
        container = run.containers()[victim]
        subprocess.run(["docker", "kill", container["Id"]], capture_output=True, check=True)
        body = {"text": "how am I doing today?", "session_id": state["session"]}
        before = client.counts("/api/chat").get(survivor, 0)
        timings = []
        for _ in range(4):
            started = time.monotonic()
            response = client.http.post("/api/chat", json=body)
            timings.append(time.monotonic() - started)
            assert response.status_code == 200, response.status_code
            assert DAY_KCAL in response.json()["replies"][0]["text"], response.text
        after = client.counts("/api/chat").get(survivor, 0)
        assert after - before == 4, f"{survivor} served {after - before} of 4"
        victim_state = run.containers()[victim]["State"]
        took = ", ".join(f"{t:.2f}" for t in timings)
        proxy_log = [
            line
            for line in run.logs("proxy").splitlines()
            if "upstream" in line and ("[error]" in line or "[warn]" in line)
        ]
        seen = f"; nginx logged: {proxy_log[-1][-160:]}" if proxy_log else ""
        return (
            f"{victim} SIGKILLed (docker kill; now {victim_state['Status']}); "
            f"4/4 answered by {survivor} in {took} s{seen}"
        )

    def rejoined() -> str:
        old_ip = state.get(f"{victim}_ip", "?")
        run.compose("start", victim, timeout=120)
        assert run.wait_healthy("failover", [victim], 120), f"{victim} not healthy again"
        new_ip = run.ip(victim)
        served: list[str] = []
        deadline = time.monotonic() + 30  # nginx retries a failed server after fail_timeout
        while victim not in served and time.monotonic() < deadline:
            served.append(client.chat("how am I doing this week?")[2])
            time.sleep(0.5)
        assert victim in served, (
            f"{victim} healthy again ({old_ip} → {new_ip}) but nginx sent it nothing: {served}"
        )
        return f"{victim} back ({old_ip} → {new_ip}); nginx sends it traffic again: {served}"

    state[f"{victim}_ip"] = run.ip(victim)
    try:
        if run.record("failover", f"docker kill {victim}: {survivor} answers", killed):
            run.record("failover", f"{victim} started again rejoins nginx", rejoined)
    finally:
        client.http.close()


def persistence_checks(run: Run, state: dict[str, Any], timeout: float) -> None:
    """down (volumes kept) + up: the data logged before is still there."""
    client = Client(run)
    marker = f"fitcoach-check:marker:{secrets.token_hex(4)}"

    def recreate() -> str:
        _redis(run).set(marker, "kept")
        for container in run.containers().values():
            for mount in container.get("Mounts") or []:
                if mount.get("Type") == "volume" and not mount["Name"].startswith(PROJECT):
                    run.anonymous.add(mount["Name"])  # e.g. the chroma service's VOLUME /data
        run.compose("down", timeout=300)
        assert not run.containers(), "containers left after down"
        run.compose("up", "-d", timeout=600)
        assert run.wait_healthy("persistence", services(run), timeout), "not healthy again"
        return "compose down (volumes kept) then up -d: every container recreated"

    def meal_kept() -> str:
        reply = client.chat("how am I doing today?", state["session"])[1]
        assert DAY_KCAL in reply, reply
        with _postgres(run) as conn:
            row = conn.execute("SELECT count(*) FROM meals").fetchone()
        assert row and row[0] >= state["meals"], (row, state["meals"])
        return f"day total {DAY_KCAL} for the session as before; {row[0]} meals in PostgreSQL"

    def redis_kept() -> str:
        value = _redis(run).get(marker)
        assert value == b"kept", value
        return f"{marker} survived (appendonly file on the redisdata volume)"

    def memory_kept() -> str:
        found = _chroma_memories(run.ip("chroma"), "vegetarian", wait_s=2)
        assert found, "the memory is gone from the chroma server"
        reply = client.chat("what do you remember about me?", state["memory_session"])[1]
        assert "vegetarian" in reply.lower(), reply
        return f"chroma volume kept it ({found.split(':')[0]}) and the coach recalls it"

    try:
        if run.record("persistence", "down + up with the volumes", recreate):
            run.record("persistence", "meal logged before is still there", meal_kept)
            run.record("persistence", "Redis data kept", redis_kept)
            run.record("persistence", "Chroma memory kept", memory_kept)
    finally:
        client.http.close()


def services(run: Run) -> list[str]:
    """The project's services, from ``compose config --services``."""
    return run.compose("config", "--services").split()


# ---------------------------------------------------------------- main


def prerequisites() -> list[str]:
    """The compose command; raises PrerequisiteMissing when the machine cannot run this."""
    if problem := docker_reachable():
        raise PrerequisiteMissing(problem)
    cli = compose_cli()
    missing = [tag for tag in TAGS if image_labels(tag) is None]
    if missing:
        raise PrerequisiteMissing(
            f"images missing: {', '.join(missing)} (no registry here: run deploy/standin_images.py)"
        )
    busy = _port_in_use(8080)
    if busy:
        raise PrerequisiteMissing("port 8080 is in use: the proxy publishes it")
    return cli


def _port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def images_in_use() -> str:
    """Which base images the run uses: stand-ins or real ones."""
    notes = []
    for tag in TAGS:
        labels = image_labels(tag) or {}
        notes.append(f"{tag} ({'stand-in' if labels.get('fitcoach.standin') == '1' else 'real'})")
    return ", ".join(notes)


def check_run(
    json_path: Path | None, keep: bool, timeout: float, extra_files: list[Path], telegram: bool
) -> int:
    """Bring the stack up, run every check, tear down; returns the exit code."""
    tmp = Path(tempfile.mkdtemp(prefix="fitcoach-compose-"))
    run = Run(cli=[], tmp=tmp, env={}, files=[ROOT / "docker-compose.yml"])
    relay: Relay | None = None
    state: dict[str, Any] = {}
    try:
        run.cli = prerequisites()
        run.results.append(Result("setup", "compose", True, 0.0, compose_version(run.cli)))
        run.results.append(Result("setup", "base images", True, 0.0, images_in_use()))
        telegram_url = None
        if telegram:
            from tests.fakes.telegram_server import FakeTelegram

            run.telegram = FakeTelegram().start()
            relay = Relay(docker_ip_of_host(), run.telegram.port)
            telegram_url = f"http://{relay.server.getsockname()[0]}:{relay.port}"
        run.env = scratch_env(ROOT / ".env.example", telegram_url)
        write_env(tmp / "env", run.env)
        app_services = [
            name
            for name, spec in (yaml.safe_load((ROOT / "docker-compose.yml").read_text()))[
                "services"
            ].items()
            if spec.get("env_file")
        ]
        override = {
            "services": {name: {"env_file": f"OVERRIDE:{tmp / 'env'}"} for name in app_services}
        }
        text = yaml.safe_dump(override, sort_keys=False)
        text = re.sub(r"'?OVERRIDE:([^'\n]+)'?", r"!override [\1]", text)
        (tmp / "override.yml").write_text(
            "# generated by deploy/compose_up.py: the scratch env file instead of ./.env\n" + text
        )
        run.files += [*extra_files, tmp / "override.yml"]
        what = (
            f"{tmp / 'env'} from .env.example (random secrets, no API keys"
            + (f", fake Bot API {telegram_url}" if telegram_url else "")
            + f"); override for {', '.join(app_services)}"
        )
        run.results.append(Result("setup", "scratch env", True, 0.0, what))
        run.compose("down", "-v", "--remove-orphans", timeout=300)  # a leftover run

        def build() -> str:
            output = run.compose("build", timeout=1800)
            steps = len(re.findall(r"^#\d+ \[", output, re.M))
            return f"docker-compose.yml build: (Dockerfile), {steps} build steps"

        def up() -> str:
            run.compose("up", "-d", timeout=600)
            return "up -d: " + ", ".join(sorted(run.containers()))

        if run.record("up", "compose build", build) and run.record("up", "compose up -d", up):
            run.brought_up = True
            if run.wait_healthy("health", services(run), timeout):
                proxy_checks(run, state)
                if "session" in state:
                    failover_checks(run, state)
                    persistence_checks(run, state, timeout)
    except PrerequisiteMissing as exc:
        run.results.append(Result("prerequisite", "machine", False, 0.0, str(exc)))
        run.exit_code = EXIT_PREREQUISITE
    except (KeyboardInterrupt, Interrupted) as exc:
        run.results.append(Result("interrupted", type(exc).__name__, False, 0.0, str(exc)))
        run.exit_code = 130
    except Exception as exc:
        run.results.append(Result("setup", type(exc).__name__, False, 0.0, str(exc)))
        run.exit_code = EXIT_FAILED
    else:
        run.exit_code = EXIT_FAILED if run.failed else EXIT_OK
    finally:
        previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            tear_down(run, keep)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            if relay is not None:
                relay.close()
            if run.telegram is not None:
                run.telegram.close()
        if run.exit_code == EXIT_OK and run.failed:
            run.exit_code = EXIT_FAILED
        print_report(run)
        if json_path:
            json_path.write_text(
                json.dumps(
                    {
                        "exit_code": run.exit_code,
                        "passed": run.exit_code == EXIT_OK,
                        "seconds": round(time.monotonic() - run.started_at, 2),
                        "results": [r.__dict__ for r in run.results],
                    },
                    indent=2,
                )
            )
    return run.exit_code


def tear_down(run: Run, keep: bool) -> None:
    """``down -v`` (containers, network, volumes) unless --keep; the temp dir too."""
    if not run.cli or not (run.tmp / "env").exists():
        shutil.rmtree(run.tmp, ignore_errors=True)
        return
    if keep:
        run.results.append(
            Result("teardown", "kept", True, 0.0, f"stack left running; env/override in {run.tmp}")
        )
        return
    started = time.monotonic()
    try:
        run.compose("down", "-v", "--remove-orphans", timeout=300)
        left = run.containers()
        volumes = subprocess.run(
            [
                "docker",
                "volume",
                "ls",
                "-q",
                "--filter",
                f"label=com.docker.compose.project={PROJECT}",
            ],
            capture_output=True,
            text=True,
        ).stdout.split()
        stray = ""
        if run.anonymous:  # `down -v` only removes those of the containers it removes
            subprocess.run(["docker", "volume", "rm", *run.anonymous], capture_output=True)
            stray = f" (and {len(run.anonymous)} anonymous volume(s) of the first containers)"
        ok = not left and not volumes
        detail = (
            f"down -v: no containers, networks or volumes left{stray}"
            if ok
            else f"left: {left} {volumes}"
        )
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        ok, detail = False, str(exc)
    run.results.append(
        Result("teardown", "compose down -v", ok, time.monotonic() - started, detail)
    )
    shutil.rmtree(run.tmp, ignore_errors=True)


def print_report(run: Run) -> None:
    """A rich table of every line, then the verdict."""
    run.print_report(f"compose stack under Docker ({PROJECT})")


app = typer.Typer(add_completion=False, help=__doc__.split("\n\n")[0] if __doc__ else None)


@app.command()
def main(
    json_path: Annotated[
        Path | None, typer.Option("--json", help="also write the results as JSON")
    ] = None,
    keep: Annotated[bool, typer.Option(help="leave the stack running (no down -v)")] = False,
    timeout: Annotated[float, typer.Option(help="seconds for the services to get healthy")] = 240,
    offline_file: Annotated[
        list[Path] | None,
        typer.Option(help="extra compose override(s), e.g. deploy/compose.offline.yml"),
    ] = None,
    telegram: Annotated[
        bool, typer.Option(help="check the Telegram webhook (fake Bot API)")
    ] = True,
) -> None:
    """Bring the stack up under Docker, check it through the proxy, tear it down."""
    signal.signal(signal.SIGTERM, raise_interrupted)
    signal.signal(signal.SIGHUP, raise_interrupted)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    files = [p.resolve() for p in offline_file or []]
    raise typer.Exit(check_run(json_path, keep, timeout, files, telegram))


if __name__ == "__main__":
    app()
