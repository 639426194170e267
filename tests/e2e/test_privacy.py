"""GDPR export and delete: everything about one person, and nothing about anyone else."""

from __future__ import annotations

import asyncio
import base64
import csv
import json
import uuid
from pathlib import Path

from sqlalchemy import func, inspect, select, text

from fitcoach.bootstrap import Services
from fitcoach.channels.base import Attachment, InboundMessage, OutboundMessage
from fitcoach.storage.all_models import Base
from fitcoach.storage.models import User

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg=="
)


async def say(services: Services, who: str, text: str, **extra: object) -> OutboundMessage:
    message = InboundMessage(
        channel="test",
        external_user_id=who,
        conversation_id=who,
        message_id=uuid.uuid4().hex,
        text=text,
        **extra,
    )  # type: ignore[arg-type]
    replies = await services.conversation.handle(message)
    assert len(replies) == 1
    return replies[0]


async def user_id(services: Services, who: str) -> int | None:
    from fitcoach.storage.repositories import UserDirectory

    async with services.database.session() as session:
        user = await UserDirectory(session).find("test", who)
        return user.id if user else None


async def rows_of(services: Services, uid: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with services.database.session() as session:
        existing = set(await session.run_sync(lambda s: inspect(s.connection()).get_table_names()))
        for table in Base.metadata.sorted_tables:
            if table.name in existing and "user_id" in table.c:
                n = (
                    await session.execute(
                        select(func.count()).select_from(table).where(table.c.user_id == uid)
                    )
                ).scalar()
                if n:
                    counts[table.name] = int(n)
        users = (await session.execute(select(func.count()).where(User.id == uid))).scalar()
        if users:
            counts["users"] = int(users)
    return counts


def download_path(services: Services, who: str) -> Path:
    return services.settings.data_dir / "files" / "test" / f"{who}.png"


async def fill(services: Services, who: str, tmp_path: Path) -> None:
    await say(services, who, "had 2 large eggs and a banana")
    await say(services, who, "bench 3x5 at 80kg")
    await say(services, who, "I'm 34, 178 cm, 82 kg")
    await say(services, who, "I'm vegetarian")
    image = download_path(services, who)  # where a channel keeps a downloaded photo
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(PNG)
    await say(
        services, who, "", images=[Attachment(kind="image", mime_type="image/png", ref=str(image))]
    )
    await asyncio.sleep(0.2)  # memory extraction runs after the reply
    await services.conversation.drain()


async def test_export_sends_json_and_csv_with_everything(
    services: Services, tmp_path: Path
) -> None:
    await fill(services, "ann", tmp_path)
    reply = await say(services, "ann", "/export")
    assert [f.mime_type for f in reply.files] == ["application/json", "text/csv"]
    data = json.loads(Path(reply.files[0].ref).read_text())
    assert [i["ndb_no"] for i in data["tables"]["meal_items"]] == ["01123", "09040"]
    assert len(data["tables"]["workout_sets"]) == 3
    assert any("vegetarian" in m["text"].lower() for m in data["memories"])
    log = list(csv.DictReader(Path(reply.files[1].ref).read_text().splitlines()))
    assert {row["type"] for row in log} == {"food", "exercise", "body_weight"}


async def test_delete_needs_confirmation_and_removes_everything(
    services: Services, tmp_path: Path
) -> None:
    await fill(services, "ann", tmp_path)
    await fill(services, "bob", tmp_path)
    ann, bob = await user_id(services, "ann"), await user_id(services, "bob")
    assert ann is not None and bob is not None
    bob_before = await rows_of(services, bob)

    question = await say(services, "ann", "/delete")
    assert "cannot be undone" in question.text
    assert "nothing was deleted" in (await say(services, "ann", "hmm no")).text
    assert await rows_of(services, ann)  # still there

    await say(services, "ann", "/delete")
    done = await say(services, "ann", "yes, delete everything")
    assert "deleted" in done.text
    assert await rows_of(services, ann) == {}
    assert services.memory.for_user(ann).count() == 0
    state = await services.agent.graph.aget_state({"configurable": {"thread_id": "test:ann"}})
    assert not state.values
    media = services.settings.data_dir / "media" / str(ann)
    assert not media.exists()
    assert not download_path(services, "ann").exists()  # the channel's copy of her photo too
    assert download_path(services, "bob").exists()
    async with services.database.session() as session:
        leftover = (
            await session.execute(text("SELECT count(*) FROM inbox WHERE payload LIKE '%\"ann\"%'"))
        ).scalar()
    assert leftover == 0
    # Bob is untouched.
    assert await rows_of(services, bob) == bob_before
    assert services.memory.for_user(bob).count() >= 1
    # Ann can start again as a new person.
    assert "haven't logged anything" in (await say(services, "ann", "how am I doing today?")).text


async def test_the_delete_questions_button_confirms(services: Services, tmp_path: Path) -> None:
    await fill(services, "ann", tmp_path)
    ann = await user_id(services, "ann")
    assert ann is not None
    question = await say(services, "ann", "/delete")
    assert [b.value for b in question.buttons] == ["1"]
    done = await say(services, "ann", question.buttons[0].value)  # what pressing it sends
    assert "deleted" in done.text
    assert await rows_of(services, ann) == {}
    # Without a pending question, "1" is an ordinary message for the coach.
    assert "deleted" not in (await say(services, "bob", "1")).text
