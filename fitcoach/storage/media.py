"""Photos and voice notes of the current user: files on disk, rows in the database."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.storage.models import Media

EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/wav": ".wav",
    "audio/webm": ".webm",
}


class MediaStore:
    """Stores files under ``root/<user id>/`` and finds them only for their owner."""

    def __init__(self, session: AsyncSession, user_id: int, root: Path) -> None:
        self.session = session
        self.user_id = user_id
        self.root = root

    async def add(self, source: Path, kind: str, mime_type: str) -> Media:
        """Move a received file into the user's media folder and record it."""
        media_id = f"{kind}-{uuid.uuid4().hex[:16]}"
        folder = self.root / str(self.user_id)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{media_id}{EXTENSIONS.get(mime_type, '.bin')}"
        shutil.copyfile(source, target)
        row = Media(
            id=media_id, user_id=self.user_id, kind=kind, mime_type=mime_type, path=str(target)
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, media_id: str) -> Media | None:
        """The user's media with this id (None for another user's)."""
        stmt = select(Media).where(Media.id == media_id, Media.user_id == self.user_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def save_analysis(self, media_id: str, analysis: str) -> None:
        """Remember a photo's analysis so a resumed confirmation does not ask the model again."""
        row = await self.get(media_id)
        if row is not None:
            row.analysis = analysis
            await self.session.flush()


async def move_user_media(session: AsyncSession, source: int, target: int, root: Path) -> int:
    """Two accounts were merged (``/link``): move the files under ``root/<source>/`` into
    ``root/<target>/`` and point the media rows (already the target's) at the new place, so
    that nothing stays under the absorbed account's id; the number of files moved. Run again
    after its transaction was rolled back (files moved, rows not), it only fixes the rows."""
    old, new = (root / str(source)).resolve(), (root / str(target)).resolve()
    moved: dict[Path, Path] = {}  # file → its place relative to the target's folder
    if old.is_dir():
        for path in sorted(p for p in old.rglob("*") if p.is_file()):
            relative = path.relative_to(old)
            if (new / relative).exists():  # never overwrite the target's own file
                relative = relative.with_name(f"{uuid.uuid4().hex[:8]}-{path.name}")
            (new / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, new / relative)
            moved[path] = relative
        shutil.rmtree(old, ignore_errors=True)
    rows = await session.execute(
        select(Media.id, Media.path).where(Media.user_id.in_((source, target)))
    )
    for media_id, stored_at in rows.all():
        path = Path(stored_at).resolve()
        if not path.is_relative_to(old):
            continue
        relative = moved.get(path, path.relative_to(old))
        if (new / relative).is_file():
            place = str(root / str(target) / relative)  # as MediaStore writes paths
            await session.execute(
                update(Media).where(Media.id == media_id).values(user_id=target, path=place)
            )
    return len(moved)
