"""GDPR gaps closed: queued messages survive /delete, /link moves memories and files, old
embedders' memories, access records, the full inbox and the agent's history in the export,
and /link never gets an identity past its channel's access policy."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from fitcoach.access import (
    LINK_BLOCKED,
    LINK_NEEDS_APPROVAL,
    AccessPolicy,
    decide_pairing,
    pending_pairings,
    redeem_link_code,
)
from fitcoach.bootstrap import Services, open_services
from fitcoach.channels.base import Attachment, InboundMessage, OutboundMessage
from fitcoach.config import get_settings
from fitcoach.memory.embeddings import OfflineEmbeddingFunction
from fitcoach.memory.models import Fact
from fitcoach.memory.store import MemoryService
from fitcoach.storage.access import AccessGrant, LinkCode
from fitcoach.storage.models import ChannelIdentity, InboxMessage, utcnow
from fitcoach.storage.repositories import UserDirectory
from tests.e2e.test_privacy import PNG, rows_of


def message(channel: str, who: str, text: str, **extra: Any) -> InboundMessage:
    return InboundMessage(
        channel=channel,
        external_user_id=who,
        conversation_id=who,
        message_id=uuid.uuid4().hex,
        text=text,
        **extra,
    )


async def say(s: Services, channel: str, who: str, text: str, **extra: Any) -> OutboundMessage:
    [reply] = await s.conversation.handle(message(channel, who, text, **extra))
    return reply


async def uid(s: Services, channel: str, who: str) -> int | None:
    async with s.database.session() as session:
        user = await UserDirectory(session).find(channel, who)
        return user.id if user else None


def export_of(reply: OutboundMessage) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(reply.files[0].ref).read_text())
    return data


@pytest.fixture
async def services(tmp_path: Path, engine_url: str) -> AsyncIterator[Services]:
    """Running services on SQLite, then on PostgreSQL (telegram: pairing, the default)."""
    settings = get_settings(
        data_dir=tmp_path / "var", model="offline", gc_freeze=False, database_url=engine_url
    )
    async with open_services(settings) as opened:
        yield opened


def owned_collections(s: Services, user: int) -> list[str]:
    return [c.name for c in s.memory.memory_collections() if c.name.endswith(f"_u{user}")]


async def approve(s: Services, channel: str, who: str, approve: bool = True) -> None:
    async with s.database.session() as session:
        grant = (
            await session.execute(
                select(AccessGrant).where(
                    AccessGrant.channel == channel, AccessGrant.external_id == who
                )
            )
        ).scalar_one()
        assert await decide_pairing(session, grant.pairing_code, approve=approve, by="admin")


# 1. /delete keeps the messages still waiting for their reply -----------------------------


async def test_delete_keeps_the_messages_still_waiting_for_their_reply(
    services: Services,
) -> None:
    conv = services.conversation
    await say(services, "test", "ann", "had 2 large eggs")
    assert "cannot be undone" in (await say(services, "test", "ann", "/delete")).text
    sent: dict[str, list[str]] = {}

    async def deliver(m: InboundMessage, replies: list[OutboundMessage]) -> None:
        sent[m.text] = [r.text for r in replies]

    image = services.settings.data_dir / "files" / "test" / "later.png"
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(PNG)
    confirm = message("test", "ann", "yes, delete everything")
    after = message("test", "ann", "I had a banana")
    photo = message(
        "test", "ann", "", images=[Attachment(kind="image", mime_type="image/png", ref=str(image))]
    )
    for queued in (confirm, after, photo):  # all accepted (acked) before the worker runs
        assert await conv.accept(queued)
        conv.queue.enqueue(queued, deliver)
    await conv.drain()
    assert "deleted" in sent["yes, delete everything"][0]
    assert "105 kcal" in sent["I had a banana"][0]  # answered, as from a new person
    assert "" in sent  # the photo sent after the confirmation was answered too
    # Their duplicate-delivery records are kept: a redelivery is not processed again.
    assert not await conv.accept(after)
    new = await uid(services, "test", "ann")
    assert new is not None and (services.settings.data_dir / "media" / str(new)).is_dir()


# 2. /link moves the absorbed account's memories, media files and exports -----------------


async def test_link_moves_memories_and_files_of_the_absorbed_account(services: Services) -> None:
    s = services
    await say(s, "console", "b", "had a banana")
    await say(s, "console", "b", "I'm vegan")
    image = s.settings.data_dir / "files" / "web" / "a.png"
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(PNG)
    await say(
        s, "web", "a", "", images=[Attachment(kind="image", mime_type="image/png", ref=str(image))]
    )
    await say(s, "web", "a", "I'm vegetarian")
    await say(s, "web", "a", "I have a bad left knee")
    await say(s, "web", "a", "/export")
    await s.conversation.drain()
    a, b = await uid(s, "web", "a"), await uid(s, "console", "b")
    assert a is not None and b is not None
    data_dir = s.settings.data_dir
    assert s.memory.for_user(a).count() == 2 and (data_dir / "exports" / str(a)).is_dir()

    code = (await say(s, "console", "b", "/link")).text.split("code is ")[1].split(".")[0]
    assert "Linked" in (await say(s, "web", "a", f"/link {code}")).text
    assert await uid(s, "web", "a") == b
    assert not (data_dir / "media" / str(a)).exists()
    assert not (data_dir / "exports" / str(a)).exists()
    assert owned_collections(s, a) == []

    data = export_of(await say(s, "console", "b", "/export"))
    texts = sorted(m["text"] for m in data["memories"])
    # The diet slot both had: the more recent one (vegetarian) wins; the knee comes along.
    assert texts == ["Has a bad left knee", "Is vegetarian"]
    [media] = data["tables"]["media"]
    assert Path(media["path"]).parent == data_dir / "media" / str(b)
    assert Path(media["path"]).is_file()

    await say(s, "console", "b", "/delete")
    assert "deleted" in (await say(s, "console", "b", "yes, delete everything")).text
    assert await rows_of(s, a) == {} and await rows_of(s, b) == {}
    assert [p for p in (data_dir / "media").rglob("*") if p.is_file()] == []
    assert s.memory.memory_collections() == []


# 3. Memories under a previous embedder ----------------------------------------------------


async def test_memories_of_a_previous_embedder_are_exported_and_deleted(
    services: Services,
) -> None:
    s = services
    await say(s, "web", "c", "I'm vegetarian")
    await s.conversation.drain()
    me = await uid(s, "web", "c")
    assert me is not None
    # written before FITCOACH_EMBEDDER changed, and `reindex` has not run yet
    before = MemoryService(s.memory.client, OfflineEmbeddingFunction(dims=64))
    before.for_user(me).add(Fact(text="Has a bad left knee", category="challenges"), source="x")
    assert len(owned_collections(s, me)) == 2

    data = export_of(await say(s, "web", "c", "/export"))
    assert sorted(m["text"] for m in data["memories"]) == ["Has a bad left knee", "Is vegetarian"]
    await say(s, "web", "c", "/delete")
    await say(s, "web", "c", "yes, delete everything")
    assert s.memory.memory_collections() == []


# 4. Access records ------------------------------------------------------------------------


async def test_access_records_are_exported_and_deleted(services: Services) -> None:
    s = services
    await say(s, "telegram", "4242", "hi", user_name="Ann Example")
    await approve(s, "telegram", "4242")
    await say(s, "telegram", "4242", "had 2 large eggs", user_name="Ann Example")
    data = export_of(await say(s, "telegram", "4242", "/export"))
    [grant] = data["tables"]["access_grants"]
    assert (grant["display_name"], grant["status"]) == ("Ann Example", "approved")

    await say(s, "telegram", "4242", "/delete")
    await say(s, "telegram", "4242", "yes, delete everything")
    async with s.database.session() as session:
        assert (await session.execute(select(AccessGrant))).first() is None


async def test_a_blocked_identity_stays_blocked_without_its_name(services: Services) -> None:
    s = services
    await say(s, "telegram", "77", "hi", user_name="Bo Blocked")
    await approve(s, "telegram", "77")
    await say(s, "telegram", "77", "had a banana", user_name="Bo Blocked")
    code = (await say(s, "telegram", "77", "/link")).text.split("code is ")[1].split(".")[0]
    assert "Linked" in (await say(s, "web", "w77", f"/link {code}")).text
    await approve(s, "telegram", "77", approve=False)  # the admin blocks the Telegram account

    await say(s, "web", "w77", "/delete")  # from the linked web chat
    await say(s, "web", "w77", "yes, delete everything")
    async with s.database.session() as session:
        [grant] = (await session.execute(select(AccessGrant))).scalars()
    assert (grant.external_id, grant.status, grant.display_name) == ("77", "blocked", None)
    assert "can't use" in (await say(s, "telegram", "77", "hello again")).text


async def test_admin_audit_entries_about_the_person_keep_no_details(services: Services) -> None:
    from fitcoach.admin.audit import record_audit
    from fitcoach.admin.auth import Actor
    from fitcoach.storage.admin import AdminAudit

    s = services
    await say(s, "web", "ann-audit", "had a banana")
    ann = await uid(s, "web", "ann-audit")
    async with s.database.session() as session:
        admin = Actor(name="ops", role="admin")
        await record_audit(
            session, admin, "people.personality", f"user:{ann}", {"personality": "tough"}
        )
        await record_audit(
            session, admin, "people.personality", "user:999", {"personality": "calm"}
        )
    await say(s, "web", "ann-audit", "/delete")
    await say(s, "web", "ann-audit", "yes, delete everything")
    async with s.database.session() as session:
        rows = (await session.execute(select(AdminAudit).order_by(AdminAudit.id))).scalars().all()
    assert [(r.target, r.actor, r.detail) for r in rows] == [
        (f"user:{ann}", "ops", "{}"),  # the action stays on record, not what it set
        ("user:999", "ops", '{"personality": "calm"}'),
    ]


# 5. The export holds what delete removes, and the agent's history --------------------------


async def test_export_holds_every_inbox_row_and_the_conversation_history(
    services: Services,
) -> None:
    s = services
    await say(s, "telegram", "4242", "hi, I want to get fit")  # answered before approval
    await approve(s, "telegram", "4242")
    await say(s, "telegram", "4242", "had 2 large eggs")
    await say(s, "telegram", "4242", "/link")  # a command: never attributed to the person
    data = export_of(await say(s, "telegram", "4242", "/export"))
    texts = [json.loads(row["payload"]).get("text") for row in data["tables"]["inbox"]]
    assert texts == ["hi, I want to get fit", "had 2 large eggs", "/link", "/export"]
    [history] = data["conversations"]
    assert history["thread"] == "telegram:4242"
    said = [(m["role"], m["text"]) for m in history["messages"]]
    assert ("human", "had 2 large eggs") in said
    assert any(role == "ai" and "kcal" in text for role, text in said)

    # Delete removes the same rows (the confirmation's own row is kept without content).
    await say(s, "telegram", "4242", "/delete")
    await say(s, "telegram", "4242", "yes, delete everything")
    async with s.database.session() as session:
        left = (await session.execute(select(InboxMessage.payload, InboxMessage.status))).all()
    assert left == [("{}", "deleted")]


# 6. /link never gets an identity past its channel's policy --------------------------------


async def link_code_of(s: Services, who: str) -> str:
    reply = (await say(s, "web", who, "/link")).text
    found = re.search(r"/link ([A-Z0-9]+)", reply)
    assert found is not None
    return found.group(1)


async def identity_user(s: Services, channel: str, who: str) -> int | None:
    async with s.database.session() as session:
        return (
            await session.execute(
                select(ChannelIdentity.user_id).where(
                    ChannelIdentity.channel == channel, ChannelIdentity.external_id == who
                )
            )
        ).scalar_one_or_none()


async def test_link_does_not_lift_a_block(services: Services) -> None:
    s = services
    await say(s, "telegram", "777", "hi")
    await approve(s, "telegram", "777", approve=False)
    code = await link_code_of(s, "attacker")
    assert "Linked" not in (await say(s, "telegram", "777", f"/link {code}")).text
    assert "can't use" in (await say(s, "telegram", "777", "I had 2 eggs")).text
    assert await identity_user(s, "telegram", "777") is None
    async with s.database.session() as session:
        assert await s.conversation.access.link_refusal(session, "telegram", "777") == LINK_BLOCKED


async def test_link_does_not_skip_the_admins_approval(services: Services) -> None:
    s = services
    assert "pairing code" in (await say(s, "telegram", "888", "hi")).text
    code = await link_code_of(s, "owner")
    assert "Linked" not in (await say(s, "telegram", "888", f"/link {code}")).text
    assert "approval" in (await say(s, "telegram", "888", "I had 2 eggs")).text
    async with s.database.session() as session:
        [request] = await pending_pairings(session)
        assert request.external_id == "888"
        assert await session.get(LinkCode, code) is not None  # not used up: try again later
    await approve(s, "telegram", "888")
    assert "Linked" in (await say(s, "telegram", "888", f"/link {code}")).text
    assert await identity_user(s, "telegram", "888") == await uid(s, "web", "owner")


async def test_link_with_the_policy_refuses_an_identity_never_approved(services: Services) -> None:
    s = services
    code = await link_code_of(s, "owner")
    policy = AccessPolicy({}, set())  # telegram: pairing
    async with s.database.session() as session:
        assert await policy.link_refusal(session, "telegram", "999") == LINK_NEEDS_APPROVAL
        assert await policy.link_refusal(session, "web", "someone") is None
        refused = await redeem_link_code(session, code, "telegram", "999", utcnow(), access=policy)
        assert refused is None
    assert await identity_user(s, "telegram", "999") is None
