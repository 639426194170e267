"""The BARE baseline for bench/load.py: a python-telegram-bot echo bot behind a FastAPI webhook.

Same route and secret header as fitcoach (``POST /webhooks/telegram``), the update goes to a
PTB ``Application`` (``process_update`` in a background task, so the webhook acks at once),
the handler waits ``ECHO_DELAY_S`` (the simulated model) and echoes the text with
``reply_text`` through the same (fake) Bot API. No database, no inbox, no locks, no
rate limiter: this is the floor fitcoach's overhead is compared against.

    ECHO_TOKEN=... ECHO_SECRET=... ECHO_API_URL=http://127.0.0.1:PORT ECHO_DELAY_S=1 \
        python bench/echo_bot.py --port 8101
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

TOKEN = os.environ["ECHO_TOKEN"]
SECRET = os.environ["ECHO_SECRET"]
API = os.environ["ECHO_API_URL"].rstrip("/")
DELAY = float(os.environ.get("ECHO_DELAY_S", "1"))


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is None or update.message.text is None:
        return
    await asyncio.sleep(DELAY)
    await update.message.reply_text(update.message.text)


application: Application[Any, Any, Any, Any, Any, Any] = (
    Application.builder()
    .token(TOKEN)
    .base_url(f"{API}/bot")
    .base_file_url(f"{API}/file/bot")
    .updater(None)
    .job_queue(None)
    .build()
)
application.add_handler(MessageHandler(filters.TEXT, echo))
tasks: set[asyncio.Task[None]] = set()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with application:
        yield


api = FastAPI(lifespan=lifespan)


@api.get("/health/ready")
async def ready() -> dict[str, str]:
    return {"status": "ok"}


@api.post("/webhooks/telegram")
async def webhook(request: Request) -> Response:
    presented = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not hmac.compare_digest(presented.encode(), SECRET.encode()):
        return Response(status_code=403)
    update = Update.de_json(await request.json(), application.bot)
    task = asyncio.create_task(application.process_update(update))
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return Response(status_code=200)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    args = parser.parse_args()
    uvicorn.run(api, host=args.host, port=args.port, log_level="warning")
