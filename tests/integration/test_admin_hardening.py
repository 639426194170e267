"""Security hardening of the admin API and the deployment (review findings):

1. web chat session ids (an anonymous visitor's only credential) never leave through the
   admin API and ``q=`` does not match them; Telegram/Slack ids are shown as they are;
2. nginx overwrites X-Forwarded-For and the replicas trust it only from the compose network,
   so a client cannot forge its address past the per-IP rate limit;
3. the scheduler audit (viewer role) holds no proactive message text;
4. previewing a real person's prompt (their profile) needs the admin role and is audited.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from fitcoach.admin.scheduler_audit import scheduler_audit
from fitcoach.admin.schemas import Identity
from fitcoach.app import create_app
from fitcoach.bootstrap import Services
from fitcoach.channels.base import OutboundMessage
from fitcoach.config import Settings, get_settings
from fitcoach.scheduler import SchedulerSettings, TickEngine
from fitcoach.scheduler.delivery import DeliveryResult
from fitcoach.storage import all_models  # noqa: F401
from fitcoach.storage.admin import AdminAudit
from fitcoach.storage.database import Database
from fitcoach.storage.repositories import UserDirectory
from fitcoach.storage.scheduling import ProactiveAudit
from tests.e2e.test_admin_api import admin_app
from tests.unit.scheduler.scheduler_support import (
    Clock,
    RecordingDeliverer,
    add_reminder,
    add_user,
    create_schema,
    run_ticks,
)

ROOT = Path(__file__).resolve().parents[2]
BOOT = "boot-admin-token-hardening-0123456789"
MON = datetime(2026, 3, 2, tzinfo=UTC)
TELEGRAM_ID = "987654321"


# ---------------------------------------------------------------- helpers


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = get_settings(data_dir=tmp_path / "var", model="offline", admin_token=BOOT)
    with TestClient(admin_app(settings)) as test_client:
        yield test_client


def call(client: TestClient, method: str, path: str, token: str | None = BOOT, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.request(method, path, headers=headers, **kw)


def token_for(client: TestClient, role: str) -> str:
    response = call(client, "POST", "/admin/tokens", json={"name": f"t-{role}", "role": role})
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def database(client: TestClient) -> Database:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return services.database


def web_visitor(client: TestClient) -> str:
    """An anonymous web visitor who told the coach their profile; their session id."""
    first = client.post("/api/chat", json={"text": "I'm 34, female, 165 cm, 61 kg"})
    session = str(first.json()["session_id"])
    client.post("/api/chat", json={"text": "had 2 large eggs and a banana", "session_id": session})
    return session


def telegram_person(client: TestClient) -> int:
    async def create() -> int:
        async with database(client).session() as session:
            user = await UserDirectory(session).create("telegram", TELEGRAM_ID, "Tele")
            return user.id

    assert client.portal is not None
    return int(client.portal.call(create))


def web_person_id(client: TestClient, viewer: str) -> int:
    (person,) = call(client, "GET", "/admin/people?channel=web", viewer).json()
    return int(person["id"])


# ---------------------------------------------------------------- 1. web session ids


def web_fingerprint(external_id: str) -> str:
    """The documented fingerprint: "web:" + the first 12 hex digits of the id's SHA-256."""
    return "web:" + hashlib.sha256(external_id.encode()).hexdigest()[:12]


def test_web_ids_are_fingerprinted_telegram_ids_are_kept() -> None:
    from fitcoach.admin import people

    public_external_id = people.public_external_id
    session = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
    fingerprint = "web:" + hashlib.sha256(session.encode()).hexdigest()[:12]
    assert people.web_fingerprint(session) == fingerprint == web_fingerprint(session)
    assert public_external_id("web", session) == fingerprint
    assert public_external_id("web", fingerprint) == fingerprint  # idempotent
    assert public_external_id("web", "user:42") == web_fingerprint("user:42")
    assert public_external_id("telegram", TELEGRAM_ID) == TELEGRAM_ID
    assert public_external_id("slack", "T01:U02") == "T01:U02"
    # The response schema fingerprints a raw web id whoever builds it.
    assert Identity(channel="web", external_id=session).external_id == fingerprint
    assert Identity(channel="telegram", external_id=TELEGRAM_ID).external_id == TELEGRAM_ID


def test_a_viewer_cannot_obtain_a_web_session_id(client: TestClient) -> None:
    session = web_visitor(client)
    viewer = token_for(client, "viewer")
    fingerprint = web_fingerprint(session)

    listed = call(client, "GET", "/admin/people?channel=web", viewer)
    assert session not in listed.text
    (person,) = listed.json()
    assert person["identities"] == [{"channel": "web", "external_id": fingerprint}]
    one = call(client, "GET", f"/admin/people/{person['id']}", viewer)
    assert session not in one.text
    assert one.json()["identities"] == [{"channel": "web", "external_id": fingerprint}]

    # q= never matches the raw session id (whole or part), only the fingerprint.
    for probe in (session, session[:10], session[5:20], session.lower()):
        assert call(client, "GET", "/admin/people", viewer, params={"q": probe}).json() == []
    for probe in (fingerprint, fingerprint.upper()):
        found = call(client, "GET", "/admin/people", viewer, params={"q": probe}).json()
        assert [p["id"] for p in found] == [person["id"]]

    # The fingerprint is no credential: the chat refuses it as a session id.
    stolen = client.post("/api/chat", json={"text": "/export", "session_id": fingerprint})
    assert stolen.status_code == 422

    # Nothing else an admin can read carries the session id either (it is also the web
    # conversation id): messages (admin, audited), the audit log, usage, scheduler audit.
    full = call(client, "GET", f"/admin/people/{person['id']}?include_messages=true")
    assert full.status_code == 200 and full.json()["messages"] and session not in full.text
    for path in ("/admin/audit", "/admin/usage", "/admin/scheduler/audit", "/admin/people"):
        response = call(client, "GET", path)
        assert response.status_code == 200 and session not in response.text, path


def test_telegram_ids_are_still_shown_and_searchable(client: TestClient) -> None:
    user_id = telegram_person(client)
    viewer = token_for(client, "viewer")
    found = call(client, "GET", "/admin/people", viewer, params={"q": TELEGRAM_ID[:6]}).json()
    assert [p["id"] for p in found] == [user_id]
    assert found[0]["identities"] == [{"channel": "telegram", "external_id": TELEGRAM_ID}]


# ---------------------------------------------------------------- 4. preview of a real person


def test_previewing_a_real_person_needs_admin_and_is_audited(client: TestClient) -> None:
    web_visitor(client)
    viewer, editor = token_for(client, "viewer"), token_for(client, "editor")
    user_id = web_person_id(client, viewer)

    for token in (viewer, editor):
        refused = call(client, "POST", "/admin/preview", token, json={"user_id": user_id})
        assert refused.status_code == 403, refused.text
        assert "61" not in refused.text and "165" not in refused.text
    # A sample person is still fine for a viewer.
    sample = call(client, "POST", "/admin/preview", viewer, json={"sample": {"name": "Kim"}})
    assert sample.status_code == 200 and "name Kim" in sample.json()["system_prompt"]
    assert call(client, "GET", "/admin/audit", params={"action": "people."}).json() == []

    shown = call(client, "POST", "/admin/preview", json={"user_id": user_id})
    assert shown.status_code == 200 and "61" in shown.json()["system_prompt"]
    (entry,) = call(client, "GET", "/admin/audit", params={"action": "people."}).json()
    assert entry["action"] == "people.profile.preview"
    assert entry["target"] == f"user:{user_id}" and entry["role"] == "admin"
    # An unknown person: 404 and nothing audited.
    assert call(client, "POST", "/admin/preview", json={"user_id": 99999}).status_code == 404

    async def audited() -> int:
        async with database(client).session() as session:
            rows = await session.execute(
                select(AdminAudit).where(AdminAudit.action == "people.profile.preview")
            )
            return len(list(rows.scalars()))

    assert client.portal is not None
    assert client.portal.call(audited) == 1


# ---------------------------------------------------------------- 3. scheduler audit text


class SentDeliverer(RecordingDeliverer):
    """Like the Telegram/Slack deliverers: ``sent()`` with no detail."""

    async def deliver(
        self, user_id: int, channel: str, conversation_id: str, message: OutboundMessage
    ) -> DeliveryResult:
        await super().deliver(user_id, channel, conversation_id, message)
        return DeliveryResult.sent()


class EchoingFailure(RecordingDeliverer):
    """A deliverer whose error quotes the message (e.g. a platform's validation error)."""

    async def deliver(
        self, user_id: int, channel: str, conversation_id: str, message: OutboundMessage
    ) -> DeliveryResult:
        raise ValueError(f"refused message: {message.text}")


@pytest.mark.parametrize("deliverer", [SentDeliverer, EchoingFailure])
async def test_the_scheduler_audit_holds_no_message_text(
    tmp_path: Path, deliverer: type[RecordingDeliverer]
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 's.db'}")
    try:
        await create_schema(db)
        uid = await add_user(db, "Jo", "UTC")
        await add_reminder(db, uid, "take your sertraline", "21:00")
        clock = Clock(MON)
        sender = deliverer(clock)
        engine = TickEngine(db, sender, clock, SchedulerSettings(instance_id="t"))
        await run_ticks(engine, clock, MON + timedelta(days=1))
        async with db.session() as session:
            rows = await scheduler_audit(session, user_id=uid, limit=50) or []
            everything = (await session.execute(select(ProactiveAudit))).scalars().all()
        delivered = [r for r in rows if r.decision in ("sent", "failed", "blocked")]
        assert delivered, [(r.decision, r.reason, r.detail) for r in rows]
        assert not any("sertraline" in r.detail for r in everything)
        for row in delivered:
            assert re.match(r"^(template|composed), \d+ chars", row.detail), row.detail
        if deliverer is EchoingFailure:
            assert all("ValueError: refused message: [message]" in r.detail for r in delivered)
            assert all("[message]" in r.detail for r in delivered)
        else:
            assert sender.deliveries and "sertraline" in sender.deliveries[0].text
    finally:
        await db.dispose()


# ---------------------------------------------------------------- 2. X-Forwarded-For


def nginx_locations(conf: str) -> list[str]:
    """The bodies of every ``location`` block (brace matched)."""
    bodies = []
    for match in re.finditer(r"\blocation\b[^{]*\{", conf):
        depth, at = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(conf[at], 0)
            at += 1
        bodies.append(conf[match.end() : at - 1])
    return bodies


def nginx_conf() -> str:
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())  # no comments


def forwarded_for_values(body: str) -> list[str]:
    return re.findall(r"proxy_set_header\s+X-Forwarded-For\s+([^;]+);", body, re.I)


def compose_forwarded_allow_ips() -> tuple[str, str | None]:
    """(FITCOACH_FORWARDED_ALLOW_IPS, the default network's subnet if fixed), defaults
    interpolated."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())

    def default(value: str) -> str:
        return re.sub(r"\$\{[A-Za-z_]\w*:-([^}]*)\}", r"\1", value)

    allowed = {
        default(str(compose["services"][n]["environment"]["FITCOACH_FORWARDED_ALLOW_IPS"]))
        for n in ("app1", "app2")
    }
    assert len(allowed) == 1
    configs = (compose.get("networks") or {}).get("default", {}).get("ipam", {}).get("config")
    subnet = default(str(configs[0]["subnet"])) if configs else None
    return allowed.pop(), subnet


def test_nginx_overwrites_x_forwarded_for_in_every_proxied_location() -> None:
    conf = nginx_conf()
    assert "$proxy_add_x_forwarded_for" not in conf
    assert "$http_x_forwarded_for" not in conf
    proxied = [body for body in nginx_locations(conf) if "proxy_pass" in body]
    assert proxied
    for body in proxied:  # "/" also carries the WebSocket upgrade (/ws/chat)
        assert [v.strip() for v in forwarded_for_values(body)] == ["$remote_addr"], body
    assert all(v.strip() == "$remote_addr" for v in forwarded_for_values(conf))
    assert any("Upgrade" in body for body in proxied)


def test_replicas_trust_forwarded_headers_only_from_the_compose_network() -> None:
    allowed, subnet = compose_forwarded_allow_ips()
    assert "*" not in allowed and subnet is not None
    networks = [ipaddress.ip_network(part.strip()) for part in allowed.split(",")]
    assert networks == [ipaddress.ip_network(subnet)] and networks[0].is_private


def forwarded_header(conf: str, client_sent: str | None, remote_addr: str) -> str:
    """What nginx sends upstream as X-Forwarded-For, per the conf's directive."""
    (value,) = {v.strip() for v in forwarded_for_values(conf)}
    if value == "$remote_addr":
        return remote_addr
    if value == "$proxy_add_x_forwarded_for":
        return f"{client_sent}, {remote_addr}" if client_sent else remote_addr
    raise AssertionError(f"unexpected X-Forwarded-For value {value}")


def behind_proxy(settings: Settings, trusted: str) -> Any:
    """The app as ``fitcoach serve`` runs it: behind uvicorn's proxy headers middleware."""
    return ProxyHeadersMiddleware(cast(Any, create_app(settings)), trusted_hosts=trusted)


def test_a_forged_x_forwarded_for_does_not_dodge_the_per_ip_rate_limit(tmp_path: Path) -> None:
    """The deployed chain end to end: nginx's header (from nginx.conf), uvicorn's proxy
    middleware with the compose trust list, the app's per-IP limit (2 a minute here)."""
    conf = nginx_conf()
    allowed, subnet = compose_forwarded_allow_ips()
    nginx_ip = str(next(ipaddress.ip_network(subnet).hosts()) + 9) if subnet else "172.18.0.5"
    real_client = "203.0.113.7"
    settings = get_settings(
        data_dir=tmp_path / "var", model="offline", gc_freeze=False, rate_limit_ip_per_min=2
    )
    app = behind_proxy(settings, allowed)
    with TestClient(app, client=(nginx_ip, 40000)) as proxied:
        statuses = []
        for i in range(5):
            forged = f"10.0.{i}.1"
            header = forwarded_header(conf, forged, real_client)
            response = proxied.post(
                "/api/chat", json={"text": "hi"}, headers={"X-Forwarded-For": header}
            )
            statuses.append(response.status_code)
    assert statuses[:2] == [200, 200] and 429 in statuses, statuses

    # A peer outside the compose network (a replica port exposed by mistake) is not trusted:
    # its X-Forwarded-For is ignored.
    settings = get_settings(
        data_dir=tmp_path / "var2", model="offline", gc_freeze=False, rate_limit_ip_per_min=2
    )
    app = behind_proxy(settings, allowed)
    with TestClient(app, client=("198.51.100.4", 40000)) as direct:
        statuses = [
            direct.post(
                "/api/chat", json={"text": "hi"}, headers={"X-Forwarded-For": f"10.1.{i}.1"}
            ).status_code
            for i in range(5)
        ]
    assert 429 in statuses, statuses
