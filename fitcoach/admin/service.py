"""AdminService: what the admin API and CLI work with (database, prompts, token checks)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from fitcoach.admin.auth import AdminAuth
from fitcoach.admin.prompt_service import PromptService
from fitcoach.storage.admin import ensure_admin_tables
from fitcoach.storage.database import Database


@dataclass(slots=True)
class AdminService:
    """The admin feature's services for one process."""

    database: Database
    prompts: PromptService
    auth: AdminAuth

    @classmethod
    async def open(
        cls,
        database: Database,
        *,
        prompts: PromptService | None = None,
        prompts_dir: Path | None = None,
        admin_token: SecretStr | None = None,
    ) -> AdminService:
        """Make sure the admin tables exist and load the prompts."""
        await ensure_admin_tables(database.engine)
        prompts = prompts or PromptService(database, prompts_dir)
        await prompts.current()
        return cls(database, prompts, AdminAuth(database, admin_token))
