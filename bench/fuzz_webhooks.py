"""Webhook fuzzer: thousands of odd payloads against a running fitcoach; target 0 responses ≥ 500.

The app runs in this process under uvicorn on 127.0.0.1 (offline model, fake Telegram and fake
Slack from tests/fakes/, all channels on). Payloads:

- ``/webhooks/telegram``: valid-looking Updates with odd shapes (wrong types, missing fields,
  huge / unicode / NUL text, bad entities, photos, callbacks, groups, commands), random
  mutations of a valid Update, non-JSON / non-object / invalid UTF-8 bodies, wrong secrets;
- ``/webhooks/slack``: Events API envelopes, slash commands and interactivity payloads with good
  signatures and odd content, bad / stale / missing signatures;
- ``/api/chat``: random JSON bodies, wrong types, huge texts, odd session ids;
- arbitrary JSON from hypothesis (when installed) against all three.

Prints the count of responses per endpoint and status, every 5xx example (and the server
tracebacks captured from the logs), and the errors logged by background processing (work
done after a webhook's 200, which a status code cannot show).

    python bench/fuzz_webhooks.py                  # 6,000 payloads, SQLite
    python bench/fuzz_webhooks.py --count 2000 --postgres
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import logging
import os
import random
import string
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

SLACK_SECRET = "bench-slack-signing-secret"
ODD_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud7ff",
    "🏋️‍♀️💪🏽",
    "‮RTL override",
    "\u200b\u200d",
    "ﷺ" * 50,
    "Ω≈ç√∫",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "${jndi:ldap://x}",
    "%s%n%x",
    "../../etc/passwd",
    "\\",
    '"',
    "{{7*7}}",
    "\r\n\r\n",
    "NaN",
    "null",
    "/start",
    "/help",
    "/link",
    "/link ABC123",
    "/delete",
    "/export",
    "/today@other_bot",
    "/week",
    "/undo",
    "/plan",
    "/remind 7am",
    "yes, delete everything",
    "2",
    "undo",
    "had 5000 kg of rice",
    "bench 3x5 at 80kg",
    "I weigh 80 kg",
    "x" * 5000,
    "é" * 4097,
    "🙂" * 3000,
    "a\ud800b",  # lone surrogate (dropped when encoding)
]
# Platform-sized texts (Telegram's limit is 4096). ``--huge`` adds 100k–500k character texts,
# which the offline intent parser chews on synchronously (see docs/operations.md).
HUGE_SIZES = [1000, 4096, 8192]
ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2**31,
    2**63,
    2**70,
    -(2**70),
    1.5,
    -0.0,
    1e308,
    "",
    "1",
    "abc",
    [],
    [1, 2],
    {},
    {"a": 1},
    [[[[]]]],
    "😀",
]


def rand_text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(ODD_STRINGS)
    if roll < 0.45:
        return (
            "".join(chr(rng.randint(1, 0x2FFFF)) for _ in range(rng.randint(1, 200)))
            .encode("utf-8", "ignore")
            .decode("utf-8", "ignore")
        )
    if roll < 0.5:
        unit = rng.choice(string.printable) + rng.choice(["", " "])
        return unit * (rng.choice(HUGE_SIZES) // len(unit))
    words = [
        "had",
        "2",
        "eggs",
        "ran",
        "5k",
        "plan",
        "how",
        "am",
        "I",
        "doing",
        "today",
        "?",
        "kg",
        "lb",
        "bench",
        "squat",
        "banana",
        "coffee",
        "🍌",
        "@fitcoach_test_bot",
    ]
    return " ".join(rng.choice(words) for _ in range(rng.randint(1, 12)))


def rand_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.5:
        return rng.choice([*ODD_VALUES, rand_text(rng)])
    if roll < 0.75:
        return [rand_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rand_text(rng)[:20]: rand_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


# ---- Telegram -------------------------------------------------------------------------------


def tg_update(rng: random.Random, uid: int) -> dict[str, Any]:
    user_id = rng.choice([42, 43, 7, 2**40, 1])
    group = rng.random() < 0.25
    chat_id = -100123 if group else user_id
    message: dict[str, Any] = {
        "message_id": rng.randint(1, 10**6),
        "date": rng.choice([0, 1_767_000_000, int(time.time())]),
        "chat": {"id": chat_id, "type": "supergroup" if group else "private", "title": "g"},
        "from": {"id": user_id, "is_bot": rng.random() < 0.05, "first_name": rand_text(rng)[:64]},
    }
    kind = rng.random()
    if kind < 0.6:
        message["text"] = rand_text(rng)
        if rng.random() < 0.3:
            message["entities"] = [
                {
                    "type": rng.choice(["bot_command", "mention", "bold", "url", "text_mention"]),
                    "offset": rng.randint(-5, 50),
                    "length": rng.randint(-5, 50),
                }
                for _ in range(rng.randint(1, 3))
            ]
    elif kind < 0.7:
        message["photo"] = [
            {
                "file_id": rand_text(rng)[:40] or "f",
                "file_unique_id": "u",
                "width": 1,
                "height": 1,
                "file_size": rng.choice([1, 10**9, None]),
            }
            for _ in range(rng.randint(0, 3))
        ]
        if rng.random() < 0.5:
            message["caption"] = rand_text(rng)
        if rng.random() < 0.3:
            message["media_group_id"] = str(rng.randint(1, 5))
    elif kind < 0.78:
        message["voice"] = {
            "file_id": "v",
            "file_unique_id": "v",
            "duration": rng.randint(-1, 10**6),
        }
    elif kind < 0.84:
        message["document"] = {
            "file_id": "d",
            "file_unique_id": "d",
            "mime_type": rng.choice(["image/png", "audio/ogg", "x/y", ""]),
        }
    elif kind < 0.9:
        message["sticker"] = {
            "file_id": "s",
            "file_unique_id": "s",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        }
    if rng.random() < 0.1:
        message["reply_to_message"] = {
            **message,
            "message_id": 1,
            "from": {"id": 123456, "is_bot": True, "first_name": "bot"},
        }
    update: dict[str, Any] = {"update_id": uid}
    shape = rng.random()
    if shape < 0.75:
        update["message"] = message
    elif shape < 0.85:
        update["callback_query"] = {
            "id": rand_text(rng)[:30] or "cb",
            "from": message["from"],
            "chat_instance": "ci",
            "data": rng.choice(["1", "2", "yes, delete everything", rand_text(rng)[:64]]),
            "message": {**message, "from": {"id": 123456, "is_bot": True, "first_name": "b"}},
        }
    elif shape < 0.9:
        update["edited_message"] = message
    elif shape < 0.95:
        update["channel_post"] = {**message, "chat": {"id": -1009, "type": "channel"}}
    else:
        update[rand_text(rng)[:10] or "x"] = message
    return update


def mutate(rng: random.Random, obj: Any, depth: int = 0) -> Any:
    """Randomly delete keys, change types, or recurse."""
    if isinstance(obj, dict) and obj:
        obj = dict(obj)
        for key in list(obj):
            roll = rng.random()
            if roll < 0.12:
                del obj[key]
            elif roll < 0.25:
                obj[key] = rand_value(rng)
            elif roll < 0.6:
                obj[key] = mutate(rng, obj[key], depth + 1)
        if rng.random() < 0.1:
            obj[rand_text(rng)[:15]] = rand_value(rng)
        return obj
    if isinstance(obj, list) and obj:
        return [mutate(rng, x, depth + 1) for x in obj if rng.random() > 0.1]
    if rng.random() < 0.3:
        return rand_value(rng)
    return obj


# ---- Slack ----------------------------------------------------------------------------------


def _utf8(text: str) -> str:
    """Form fields must be encodable: drop lone surrogates (JSON bodies keep them escaped)."""
    return text.encode("utf-8", "ignore").decode("utf-8")


def slack_sign(body: bytes, ts: int | None = None, secret: str = SLACK_SECRET) -> dict[str, str]:
    stamp = str(int(time.time()) if ts is None else ts)
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def slack_request(rng: random.Random, n: int) -> tuple[bytes, dict[str, str], str]:
    roll = rng.random()
    if roll < 0.55:
        event: dict[str, Any] = {
            "type": rng.choice(["message", "app_mention", "app_home_opened", "reaction_added"]),
            "user": rng.choice(["U1", "U2", "", None, 5]),
            "text": rand_text(rng),
            "channel": rng.choice(["D1", "C1", "G1", None]),
            "channel_type": rng.choice(["im", "channel", "group", "mpim"]),
            "ts": rng.choice(["1767000000.000100", "x", None, 1]),
        }
        if rng.random() < 0.2:
            event["subtype"] = rng.choice(["bot_message", "message_changed", "file_share"])
        if rng.random() < 0.15:
            event["files"] = [
                {"id": "F1", "mimetype": "image/png", "url_private": "http://127.0.0.1:9/x"}
            ]
        if rng.random() < 0.15:
            event["thread_ts"] = rand_value(rng)
        envelope: Any = {
            "type": rng.choice(["event_callback", "event_callback", "url_verification", "x"]),
            "team_id": "T1",
            "api_app_id": "A1",
            "event_id": f"Ev{n}",
            "event_time": 1,
            "event": event,
            "challenge": rand_text(rng)[:50],
            "token": "t",
        }
        if rng.random() < 0.3:
            envelope = mutate(rng, envelope)
        body = json.dumps(envelope).encode()
        content_type = "application/json"
    elif roll < 0.75:
        form = {
            "command": rng.choice(["/coach", "/other", ""]),
            "text": rand_text(rng),
            "user_id": rng.choice(["U1", ""]),
            "channel_id": "D1",
            "team_id": "T1",
            "response_url": rng.choice(["http://127.0.0.1:9/r", "not a url", ""]),
            "trigger_id": "t",
        }
        if rng.random() < 0.3:
            form = {k: v for k, v in form.items() if rng.random() > 0.3}
        body = urlencode({k: _utf8(v) for k, v in form.items()}).encode()
        content_type = "application/x-www-form-urlencoded"
    else:
        payload: Any = {
            "type": rng.choice(["block_actions", "view_submission", "shortcut", "x"]),
            "user": {"id": rng.choice(["U1", None])},
            "channel": {"id": "D1"},
            "actions": [
                {
                    "action_id": rng.choice(["option_1", "x", ""]),
                    "value": rand_text(rng)[:80],
                    "type": "button",
                    "block_id": "b",
                }
            ],
            "response_url": "http://127.0.0.1:9/r",
            "container": {"message_ts": "1.2"},
        }
        if rng.random() < 0.4:
            payload = mutate(rng, payload)
        raw = json.dumps(payload) if rng.random() < 0.9 else rand_text(rng)
        body = urlencode({"payload": _utf8(raw)}).encode()
        content_type = "application/x-www-form-urlencoded"
    headers = {"Content-Type": content_type}
    sig = rng.random()
    if sig < 0.7:
        headers.update(slack_sign(body))
    elif sig < 0.8:
        headers.update(slack_sign(body, ts=int(time.time()) - 3600))  # stale
    elif sig < 0.9:
        headers.update(slack_sign(body, secret="wrong"))
    elif sig < 0.95:
        headers.update(
            {
                "X-Slack-Request-Timestamp": rng.choice(["", "abc", "-1", "9" * 30]),
                "X-Slack-Signature": rng.choice(["", "v0=", "v1=00", rand_text(rng)[:80]]),
            }
        )
    return body, headers, "slack"


# ---- requests -------------------------------------------------------------------------------


def telegram_request(rng: random.Random, n: int) -> tuple[bytes, dict[str, str], str]:
    headers = {"Content-Type": "application/json", h.SECRET_HEADER: h.SECRET}
    roll = rng.random()
    if roll < 0.03:
        headers[h.SECRET_HEADER] = rng.choice(["", "wrong", h.SECRET + "x", "ü"])
    elif roll < 0.05:
        del headers[h.SECRET_HEADER]
    shape = rng.random()
    if shape < 0.55:
        body = json.dumps(tg_update(rng, n)).encode()
    elif shape < 0.85:
        body = json.dumps(mutate(rng, tg_update(rng, n))).encode()
    elif shape < 0.9:
        body = json.dumps(rand_value(rng)).encode()
    else:
        body = rng.choice(
            [
                b"",
                b"{",
                b"null",
                b"[]",
                b"\xff\xfe\x00",
                b'{"update_id": 1, "message": ',
                b'{"update_id": 1e999}',
                b'{"update_id": NaN}',
                b"\x00" * 100,
                json.dumps({"update_id": n, "message": "x" * 3_000_000}).encode(),  # over the limit
                ("{" * 5000 + "}" * 5000).encode(),
                ("[" * 100_000 + "]" * 100_000).encode(),
            ]
        )
    return body, headers, "telegram"


def chat_request(rng: random.Random, n: int) -> tuple[bytes, dict[str, str], str]:
    headers = {"Content-Type": rng.choice(["application/json"] * 9 + ["text/plain"])}
    roll = rng.random()
    if roll < 0.5:
        body_obj: Any = {"text": rand_text(rng)}
        if rng.random() < 0.5:
            body_obj["session_id"] = rng.choice(
                [None, "", "abc", "x" * 500, rand_text(rng)[:60], 5]
            )
        if rng.random() < 0.3:
            body_obj["message_id"] = rng.choice([None, "m1", "x" * 1000, 7, rand_text(rng)[:40]])
    elif roll < 0.85:
        body_obj = mutate(rng, {"text": rand_text(rng), "session_id": None, "message_id": "m"})
    else:
        body_obj = rand_value(rng)
    if rng.random() < 0.1:
        headers["Authorization"] = rng.choice(
            ["Bearer x", "Bearer ", "Basic abc", "Bearer " + "a" * 5000]
        )
    if rng.random() < 0.05:
        headers["X-Forwarded-For"] = rng.choice(["1.2.3.4", "not-an-ip", "::1, 10.0.0.1", ""])
    return json.dumps(body_obj).encode(), headers, "api_chat"


PATHS = {"telegram": "/webhooks/telegram", "slack": "/webhooks/slack", "api_chat": "/api/chat"}


def hypothesis_bodies(count: int, seed: int) -> list[tuple[bytes, dict[str, str], str]]:
    """Arbitrary JSON (and Telegram-shaped JSON) drawn by hypothesis."""
    try:
        from hypothesis import HealthCheck, given, settings
        from hypothesis import seed as hseed
        from hypothesis import strategies as st
    except ImportError:
        print("  (hypothesis not installed: its share is skipped)")
        return []
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda inner: (
            st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
        ),
        max_leaves=20,
    )
    telegram_like = st.fixed_dictionaries(
        {"update_id": st.integers()},
        optional={
            "message": st.fixed_dictionaries(
                {},
                optional={
                    "message_id": st.integers() | st.text(),
                    "date": st.integers(),
                    "chat": st.fixed_dictionaries(
                        {
                            "id": st.integers() | st.text(),
                            "type": st.sampled_from(
                                ["private", "group", "supergroup", "channel", "x"]
                            ),
                        }
                    ),
                    "from": st.fixed_dictionaries(
                        {"id": st.integers(), "is_bot": st.booleans(), "first_name": st.text()}
                    ),
                    "text": st.text(),
                    "caption": st.text(),
                    "entities": json_values,
                    "photo": json_values,
                    "media_group_id": st.text(),
                },
            ),
            "callback_query": json_values,
        },
    )
    drawn: list[tuple[bytes, dict[str, str], str]] = []
    endpoints = st.sampled_from(["telegram", "slack", "api_chat"])

    @hseed(seed)
    @settings(
        max_examples=count, database=None, deadline=None, suppress_health_check=list(HealthCheck)
    )
    @given(endpoint=endpoints, value=json_values, update=telegram_like)
    def collect(endpoint: str, value: Any, update: dict[str, Any]) -> None:
        if endpoint == "telegram":
            body = json.dumps(update if len(drawn) % 2 else value).encode()
            drawn.append(
                (body, {"Content-Type": "application/json", h.SECRET_HEADER: h.SECRET}, endpoint)
            )
        elif endpoint == "slack":
            body = json.dumps(value).encode()
            drawn.append((body, {"Content-Type": "application/json", **slack_sign(body)}, endpoint))
        else:
            wrapped = {"text": value} if len(drawn) % 2 else value
            drawn.append(
                (json.dumps(wrapped).encode(), {"Content-Type": "application/json"}, endpoint)
            )

    collect()
    return drawn[:count]


# ---- server and log capture -----------------------------------------------------------------


class Captured:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def structlog_processor(self, logger: Any, name: str, event: dict[str, Any]) -> dict[str, Any]:
        if name in ("error", "exception", "critical"):
            text = f"{event.get('event')}: {event.get('exception') or event.get('error') or ''}"
            with self.lock:
                self.errors.append(text)
        return event


class StdlibCapture(logging.Handler):
    def __init__(self, captured: Captured) -> None:
        super().__init__(level=logging.ERROR)
        self.captured = captured

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        with self.captured.lock:
            self.captured.errors.append(text)


def start_server(
    settings: Any, captured: Captured, log_file: Path
) -> tuple[Any, threading.Thread, int]:
    import structlog
    import uvicorn

    from fitcoach.app import create_app
    from fitcoach.observability import configure_logging
    from fitcoach.webhooks import slack, telegram

    configure_logging("INFO", "json")
    processors = list(structlog.get_config()["processors"])
    processors.insert(len(processors) - 1, captured.structlog_processor)
    structlog.configure(
        processors=processors, logger_factory=structlog.WriteLoggerFactory(file=log_file.open("w"))
    )
    root = logging.getLogger()
    for handler in list(root.handlers):  # stdlib logs (uvicorn, slack_bolt) go to the file too
        root.removeHandler(handler)
    file_handler = logging.FileHandler(log_file.with_suffix(".stdlib.log"))
    file_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(file_handler)
    root.addHandler(StdlibCapture(captured))
    app = create_app(settings, plugins=[slack.plugin, telegram.plugin])
    port = h.free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.05)
    return server, thread, port


# ---- main -----------------------------------------------------------------------------------


async def fire(
    port: int, requests: list[tuple[bytes, dict[str, str], str]], concurrency: int
) -> tuple[Counter[tuple[str, str]], list[tuple[str, int, bytes, bytes]]]:
    import httpx

    counts: Counter[tuple[str, str]] = Counter()
    fivexx: list[tuple[str, int, bytes, bytes]] = []
    queue: asyncio.Queue[tuple[bytes, dict[str, str], str]] = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)
    done = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal done
        while True:
            try:
                body, headers, endpoint = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            # header values as raw bytes (any byte but CR, LF and NUL, which HTTP forbids)
            raw = {
                k: v.encode("utf-8").translate(None, b"\r\n\x00").strip()
                for k, v in headers.items()
            }
            try:
                response = await client.post(
                    f"http://127.0.0.1:{port}{PATHS[endpoint]}", content=body, headers=raw
                )
                status = str(response.status_code)
                if response.status_code >= 500:
                    fivexx.append(
                        (endpoint, response.status_code, body[:600], response.content[:300])
                    )
            except httpx.LocalProtocolError as error:  # the client refused to send it
                status = f"not sent ({type(error).__name__})"
            except httpx.HTTPError as error:  # the server dropped the connection: as bad as a 5xx
                status = f"connection dropped ({type(error).__name__})"
                fivexx.append((endpoint, -1, body[:600], str(error).encode()[:300]))
            counts[(endpoint, status)] += 1
            done += 1
            if done % 1000 == 0:
                print(f"  {done}/{len(requests)} sent", flush=True)

    # a fresh connection per request: a dropped connection is then this request's own fault
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return counts, fivexx


async def create_pg() -> tuple[str, str]:
    return await h.create_database()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--count", type=int, default=6000, help="payloads in all (≥ 5000 by default)"
    )
    parser.add_argument("--hypothesis-share", type=float, default=0.25)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--postgres", action="store_true", help="scratch PostgreSQL db, not SQLite")
    parser.add_argument(
        "--huge",
        action="store_true",
        help="also 100k-500k character texts (blocks the server for minutes)",
    )
    args = parser.parse_args()

    if args.huge:
        HUGE_SIZES.extend([100_000, 500_000])
    rng = random.Random(args.seed)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="fitcoach-fuzz-"))
    from fitcoach.config import get_settings
    from tests.fakes.slack_server import FakeSlack

    db_name = None
    db_url = None
    if args.postgres:
        db_name, db_url = asyncio.run(create_pg())
    telegram = h.FakeTelegram().start()
    slack = FakeSlack().start()
    captured = Captured()
    settings = get_settings(
        data_dir=work / "var",
        database_url=db_url,
        model="offline",
        embedder="offline",
        telegram_bot_token=h.DEFAULT_TOKEN,
        telegram_webhook_secret=h.SECRET,
        telegram_api_url=telegram.url,
        slack_bot_token=slack.token,
        slack_signing_secret=SLACK_SECRET,
        slack_api_url=slack.api_url,
        access_policy={"telegram": "open", "slack": "open", "web": "open"},
        rate_limit_person_per_min=1_000_000,
        rate_limit_ip_per_min=1_000_000,
    )
    server, thread, port = start_server(settings, captured, work / "server.log")
    try:
        n_hyp = int(args.count * args.hypothesis_share)
        print(
            f"fuzzing 127.0.0.1:{port}: {args.count} payloads ({n_hyp} from hypothesis), "
            f"{'PostgreSQL' if args.postgres else 'SQLite'}, concurrency {args.concurrency}",
            flush=True,
        )
        requests = hypothesis_bodies(n_hyp, args.seed)
        makers = [telegram_request] * 5 + [slack_request] * 3 + [chat_request] * 2
        n = 10_000
        while len(requests) < args.count:
            n += 1
            requests.append(rng.choice(makers)(rng, n))
        rng.shuffle(requests)
        counts, fivexx = asyncio.run(fire(port, requests, args.concurrency))
        # let background work (webhook turns answered after the 200) finish
        quiet_since = time.monotonic()
        last = -1
        while time.monotonic() - quiet_since < 3 and time.monotonic() - started < 600:
            now = len(telegram.calls) + len(slack.calls)
            if now != last:
                last, quiet_since = now, time.monotonic()
            time.sleep(0.5)
    finally:
        server.should_exit = True
        thread.join(60)
        telegram.close()
        slack.close()
        if db_name:
            asyncio.run(h.drop_database(db_name))

    total = sum(counts.values())
    by_endpoint: dict[str, Counter[str]] = defaultdict(Counter)
    for (endpoint, status), k in counts.items():
        by_endpoint[endpoint][status] += k
    print(f"\n== responses by status ({total} requests, {time.monotonic() - started:.0f} s) ==")
    for endpoint in sorted(by_endpoint):
        shown = ", ".join(f"{s}: {k}" for s, k in sorted(by_endpoint[endpoint].items()))
        print(f"  {PATHS[endpoint]:22s} {shown}")
    overall: Counter[str] = Counter()
    for (_, status), k in counts.items():
        overall[status] += k
    print("  all                    " + ", ".join(f"{s}: {k}" for s, k in sorted(overall.items())))
    print(f"\n== responses ≥ 500: {len(fivexx)} (target 0) ==")
    for endpoint, status, body, answer in fivexx[:10]:
        print(f"  {endpoint} {status}: body {body[:300]!r}\n    answer {answer[:200]!r}")
    print(
        f"\n  Telegram API calls made by the app: {len(telegram.calls)} "
        f"(sendMessage {len(telegram.sent('sendMessage'))}); Slack API calls: {len(slack.calls)}"
    )

    def kind(error: str) -> str:
        lines = [line for line in error.strip().splitlines() if line.strip()]
        if "Traceback" not in error:
            return lines[0][:160] if lines else "?"
        where = [line.strip() for line in lines if line.strip().startswith("File ")]
        ours = [w for w in where if "/fitcoach/" in w and "site-packages" not in w]
        frame = (ours or where or ["?"])[-1]
        return f"{lines[-1][:140]}  @ {frame[:150]}"

    kinds: Counter[str] = Counter(kind(e) for e in captured.errors)
    print(
        f"\n== errors logged by the server (incl. background work after a 200): "
        f"{len(captured.errors)} =="
    )
    examples: dict[str, str] = {}
    for error in captured.errors:
        examples.setdefault(kind(error), error)
    for text, k in kinds.most_common(15):
        print(f"  {k:5d} × {text}")
    for text, _ in kinds.most_common(4):
        tb = examples[text]
        if "Traceback" in tb:
            tail = [line for line in tb.splitlines() if line.strip()][-14:]
            print("\n  --- traceback (" + text[:60] + ") ---\n" + "\n".join("  " + x for x in tail))
    print(f"\nserver log: {work / 'server.log'}")
    os._exit(0 if not fivexx else 1)  # daemon threads of the fakes


if __name__ == "__main__":
    main()
