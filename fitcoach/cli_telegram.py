"""``fitcoach telegram …``: register the webhook, or long-poll for local development."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
from typing import Annotated

import typer
from rich.console import Console

from fitcoach.config import Settings, get_settings
from fitcoach.observability import configure_logging

telegram_app = typer.Typer(
    help="Telegram channel: webhook registration and local polling.", no_args_is_help=True
)
console = Console(stderr=True)
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


@telegram_app.command("set-webhook")
def set_webhook(
    url: Annotated[str, typer.Argument(help="Public HTTPS URL of POST /webhooks/telegram.")],
    drop_pending_updates: Annotated[
        bool, typer.Option("--drop-pending-updates", help="Discard updates waiting at Telegram.")
    ] = False,
) -> None:
    """Point Telegram at this server, with FITCOACH_TELEGRAM_WEBHOOK_SECRET as secret token."""
    settings = get_settings()
    configure_logging("WARNING", settings.log_format)
    secret = settings.telegram_webhook_secret
    if secret is None or not secret.get_secret_value():
        console.print("[red]FITCOACH_TELEGRAM_WEBHOOK_SECRET is not set[/]")
        raise typer.Exit(2)
    if not SECRET_TOKEN.fullmatch(secret.get_secret_value()):
        console.print(
            "[red]FITCOACH_TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, "
            "_ and - (Telegram's rule for secret_token)[/]"
        )
        raise typer.Exit(2)
    if not url.startswith("https://"):
        console.print("[yellow]Telegram only delivers webhooks to https:// URLs.[/]")
    asyncio.run(_set_webhook(settings, url, secret.get_secret_value(), drop_pending_updates))
    console.print(f"webhook set to {url}")


async def _set_webhook(settings: Settings, url: str, secret: str, drop: bool) -> None:
    from telegram import BotCommand

    from fitcoach.channels.telegram import ALLOWED_UPDATES, build_application
    from fitcoach.channels.telegram.commands import BOT_COMMANDS

    application = build_application(settings)
    async with application:
        await application.bot.set_webhook(
            url,
            secret_token=secret,
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=drop,
        )
        await application.bot.set_my_commands([BotCommand(n, d) for n, d in BOT_COMMANDS])


@telegram_app.command("poll")
def poll(
    timeout: Annotated[int, typer.Option(help="Long-poll timeout in seconds.")] = 30,
) -> None:
    """Fetch updates with getUpdates instead of a webhook (removes any webhook first)."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    asyncio.run(run_polling(settings, timeout=timeout))


async def run_polling(
    settings: Settings, stop: asyncio.Event | None = None, *, timeout: int = 30
) -> None:
    """Open the services and the bot, then poll until ``stop`` is set (or SIGINT/SIGTERM)."""
    from fitcoach.bootstrap import open_services
    from fitcoach.channels.telegram import (
        CHANNEL,
        TelegramChannel,
        build_application,
        poll_updates,
    )

    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
    async with open_services(settings) as services:
        application = build_application(settings)
        async with application:
            await application.bot.delete_webhook()
            channel = TelegramChannel(
                application.bot,
                services.conversation,
                settings.data_dir / "files" / "telegram",
                typing_after_s=settings.telegram_typing_after_s,
            )
            services.conversation.register_deliverer(
                CHANNEL, channel.deliver, on_start=channel.turn_started
            )
            console.print(f"polling as @{channel.me.username}; Ctrl+C to stop")
            try:
                await poll_updates(application.bot, channel.handle_update, stop, timeout=timeout)
            finally:
                await channel.close()
                await services.conversation.drain()
