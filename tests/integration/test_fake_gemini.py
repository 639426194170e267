"""The REAL langchain-google-genai client against the local FakeGemini server.

No network: everything goes to http://127.0.0.1:<ephemeral port>.
"""

from __future__ import annotations

import base64
import gc
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import google.genai._api_client as genai_api_client
import httpx
import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import tool
from langchain_google_genai import ChatGoogleGenerativeAI, GoogleGenerativeAIEmbeddings
from langchain_google_genai.chat_models import (
    ChatGoogleGenerativeAIError,
    GoogleAPIError,
    GoogleInvalidRequestError,
    GoogleRateLimitError,
)
from pydantic import BaseModel, Field, SecretStr

try:
    from tests.fakes.gemini_server import DEFAULT_MODEL, FakeGemini, estimate_tokens
except ModuleNotFoundError:  # repo root not on sys.path (no pytest `pythonpath = ["."]`)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.fakes.gemini_server import DEFAULT_MODEL, FakeGemini, estimate_tokens

pytestmark = [
    # google-genai subclasses aiohttp.ClientSession (its own warning, not ours).
    pytest.mark.filterwarnings("ignore:Inheritance class AiohttpClientSession:DeprecationWarning"),
    # langchain_core's error metadata calls response.json() without awaiting it when
    # the SDK used aiohttp (upstream quirk; harmless).
    pytest.mark.filterwarnings(
        "ignore:coroutine 'ClientResponse.json' was never awaited:RuntimeWarning"
    ),
]


def fast_retry(attempts: int) -> dict[str, Any]:
    """Per-call ``http_options`` with a near-zero backoff.

    The SDK default backoff is 1 s initial + up to 1 s jitter, doubling. NB: a
    per-call ``retry_options`` REPLACES the one built from ``max_retries``, so
    ``attempts`` must be repeated here (if omitted the SDK uses 5 attempts).
    """
    return {
        "retry_options": {
            "attempts": attempts,
            "initial_delay": 0.01,
            "max_delay": 0.05,
            "jitter": 0.0,
        }
    }


# 1x1 transparent PNG.
PNG_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
OGG_BYTES = b"OggS\x00\x02" + b"\x00" * 26


LLMFactory = Callable[..., ChatGoogleGenerativeAI]


def close_sync(llm: ChatGoogleGenerativeAI) -> None:
    """Close the sync httpx transport (async ones need ``await llm.aclose()``)."""
    if llm.client is not None:
        llm.client.close()


@pytest.fixture
def fake() -> Iterator[FakeGemini]:
    with FakeGemini() as server:
        yield server


@pytest.fixture
def make_llm(fake: FakeGemini) -> Iterator[LLMFactory]:
    """Sync tests: build clients pointed at the fake; close their transports after."""
    created: list[ChatGoogleGenerativeAI] = []

    def _make(**kwargs: Any) -> ChatGoogleGenerativeAI:
        llm = ChatGoogleGenerativeAI(**fake.client_kwargs(**kwargs))
        created.append(llm)
        return llm

    yield _make
    for llm in created:
        close_sync(llm)


# The SDK's async path uses aiohttp when it is importable, else httpx.AsyncClient
# (sync always uses httpx). Run every async test on both; the httpx leg hides aiohttp
# by patching the SDK's module flag (read at client construction and per request).
ASYNC_BACKENDS = [
    "httpx",
    pytest.param(
        "aiohttp",
        marks=pytest.mark.skipif(not genai_api_client.has_aiohttp, reason="aiohttp not installed"),
    ),
]


# Transport-agnostic async tests run once, on whatever the SDK picks by default.
DEFAULT_BACKEND_ONLY = pytest.mark.parametrize("async_backend", ["default"], indirect=True)


@pytest.fixture(params=ASYNC_BACKENDS)
def async_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    backend: str = request.param
    if backend == "default":
        return "aiohttp" if genai_api_client.has_aiohttp else "httpx"
    monkeypatch.setattr(genai_api_client, "has_aiohttp", backend == "aiohttp")
    return backend


@pytest.fixture
async def amake_llm(fake: FakeGemini, async_backend: str) -> AsyncIterator[LLMFactory]:
    """Async tests: like make_llm, but ``aclose()`` on the test's event loop
    (otherwise the async transport leaks an unclosed-transport ResourceWarning)."""
    created: list[ChatGoogleGenerativeAI] = []

    def _make(**kwargs: Any) -> ChatGoogleGenerativeAI:
        llm = ChatGoogleGenerativeAI(**fake.client_kwargs(**kwargs))
        created.append(llm)
        return llm

    yield _make
    for llm in created:
        await llm.aclose()
    if async_backend == "aiohttp" and any((r.response_status or 0) >= 400 for r in fake.requests):
        gc.collect(1)  # reap the un-awaited coroutine (see pytestmark) while filtered


def timeout_errors(backend: str) -> tuple[type[BaseException], ...]:
    """httpx raises httpx.TimeoutException (ReadTimeout); aiohttp raises
    asyncio.TimeoutError (== builtin TimeoutError); neither is wrapped by LangChain."""
    return (TimeoutError,) if backend == "aiohttp" else (httpx.TimeoutException,)


@tool
def log_meal(food: str, grams: int) -> str:
    """Log a meal the user ate."""
    return f"logged {grams} g of {food}"


class MealEstimate(BaseModel):
    """Nutrition estimate for a meal."""

    food: str = Field(description="what was eaten")
    kcal: int = Field(description="energy in kilocalories")


# --------------------------------------------------------------------------- (1) text


def test_invoke_plain_text_sync(fake: FakeGemini, make_llm: LLMFactory) -> None:
    fake.reply_text("Drink water and sleep 8 hours.")
    llm = make_llm()

    msg = llm.invoke("Any recovery tips?")

    assert isinstance(msg, AIMessage)
    assert msg.content == "Drink water and sleep 8 hours."
    assert msg.response_metadata["finish_reason"] == "STOP"
    assert msg.response_metadata["model_name"] == DEFAULT_MODEL
    usage = msg.usage_metadata
    assert usage is not None
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]

    req = fake.last_request
    assert req.path == f"/v1beta/models/{DEFAULT_MODEL}:generateContent"
    assert req.headers["x-goog-api-key"] == fake.api_key
    assert req.headers["x-server-timeout"] == "5"  # from timeout=5.0
    assert req.contents == [{"role": "user", "parts": [{"text": "Any recovery tips?"}]}]
    assert req.system_instruction is None
    assert req.generation_config["candidateCount"] == 1


async def test_ainvoke_plain_text_and_default_echo(fake: FakeGemini, amake_llm: LLMFactory) -> None:
    llm = amake_llm()
    fake.reply_text("scripted")

    first = await llm.ainvoke("hello")
    second = await llm.ainvoke("again")  # queue empty -> default echo

    assert first.content == "scripted"
    assert second.content == "echo: again"
    assert [r.action for r in fake.requests] == ["generateContent", "generateContent"]


# --------------------------------------------------------------------------- (2) streaming


async def test_astream_yields_text_chunks(fake: FakeGemini, amake_llm: LLMFactory) -> None:
    fake.reply_text("Warm up first.", chunks=["Warm ", "up ", "first."])
    llm = amake_llm()

    chunks: list[AIMessageChunk] = [c async for c in llm.astream("How to start?")]

    texts = [c.content for c in chunks if c.content]
    assert texts == ["Warm ", "up ", "first."]
    merged = chunks[0]
    for c in chunks[1:]:
        merged = merged + c
    assert merged.content == "Warm up first."
    assert merged.response_metadata["finish_reason"] == "STOP"
    # Cumulative usageMetadata per SSE event is de-accumulated by the client.
    assert merged.usage_metadata is not None
    assert merged.usage_metadata["input_tokens"] == estimate_tokens("How to start?")
    assert merged.usage_metadata["output_tokens"] == sum(
        estimate_tokens(t) for t in ["Warm ", "up ", "first."]
    )

    req = fake.last_request
    assert req.path == f"/v1beta/models/{DEFAULT_MODEL}:streamGenerateContent"
    assert req.query == {"alt": ["sse"]}


def test_sync_stream_word_split(fake: FakeGemini, make_llm: LLMFactory) -> None:
    fake.reply_text("one two three")
    llm = make_llm()

    texts = [c.content for c in llm.stream("count") if c.content]

    assert texts == ["one ", "two ", "three"]
    assert fake.last_request.stream


# --------------------------------------------------------------------------- (3) tools


async def test_tool_call_round_trip(fake: FakeGemini, amake_llm: LLMFactory) -> None:
    llm = amake_llm().bind_tools([log_meal])
    fake.reply_function_call("log_meal", {"food": "oatmeal", "grams": 80})
    fake.reply_text("Logged your oatmeal!")

    history: list[BaseMessage] = [HumanMessage("I had 80 g of oatmeal")]
    ai = await llm.ainvoke(history)

    assert isinstance(ai, AIMessage)
    assert len(ai.tool_calls) == 1
    call = ai.tool_calls[0]
    assert call["name"] == "log_meal"
    assert call["args"] == {"food": "oatmeal", "grams": 80}
    assert call["id"]  # client synthesises an id when Gemini sends none

    first = fake.generate_requests[0]
    assert first.tool_names == ["log_meal"]
    decl = first.function_declarations[0]
    assert decl["description"] == "Log a meal the user ate."
    assert decl["parameters"]["required"] == ["food", "grams"]
    assert decl["parameters"]["properties"]["grams"]["type"] == "INTEGER"

    result = await log_meal.ainvoke(call)  # ToolCall in -> ToolMessage out
    assert isinstance(result, ToolMessage)
    history += [ai, result]
    final = await llm.ainvoke(history)

    assert final.content == "Logged your oatmeal!"
    second = fake.generate_requests[1]
    assert [c["role"] for c in second.contents] == ["user", "model", "user"]
    assert second.function_calls == [{"name": "log_meal", "args": {"food": "oatmeal", "grams": 80}}]
    assert second.function_responses == [
        {"name": "log_meal", "response": {"output": "logged 80 g of oatmeal"}}
    ]


def test_tool_choice_any_sets_tool_config(fake: FakeGemini, make_llm: LLMFactory) -> None:
    fake.reply_function_call("log_meal", {"food": "egg", "grams": 50})
    llm = make_llm().bind_tools([log_meal], tool_choice="any")

    msg = llm.invoke("egg")

    assert msg.tool_calls[0]["args"] == {"food": "egg", "grams": 50}
    # "any" pins allowedFunctionNames to every bound tool.
    assert fake.last_request.tool_config == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["log_meal"]}
    }


# --------------------------------------------------------------------------- (4) media


def test_image_and_audio_blocks_become_inline_data(fake: FakeGemini, make_llm: LLMFactory) -> None:
    llm = make_llm()
    b64_png = base64.b64encode(PNG_BYTES).decode()
    b64_ogg = base64.b64encode(OGG_BYTES).decode()
    msg = HumanMessage(
        content=[
            {"type": "text", "text": "What is on my plate? Also my voice note."},
            {"type": "image", "base64": b64_png, "mime_type": "image/png"},
            {"type": "audio", "base64": b64_ogg, "mime_type": "audio/ogg"},
            # OpenAI-style data URL is accepted too:
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64_png}"}},
        ]
    )

    llm.invoke([msg])

    blobs = fake.last_request.inline_data_parts
    # NB: the SDK serialises the blob as {"data": ..., "mime_type": ...} (snake_case key).
    assert [b.get("mimeType") or b.get("mime_type") for b in blobs] == [
        "image/png",
        "audio/ogg",
        "image/png",
    ]
    assert base64.b64decode(blobs[0]["data"]) == PNG_BYTES
    assert base64.b64decode(blobs[1]["data"]) == OGG_BYTES
    assert fake.last_request.user_texts == ["What is on my plate? Also my voice note."]


# --------------------------------------------------------------------------- (5) system


@DEFAULT_BACKEND_ONLY
async def test_system_instruction_and_tools_in_request(
    fake: FakeGemini, amake_llm: LLMFactory
) -> None:
    llm = amake_llm().bind_tools([log_meal])

    await llm.ainvoke([SystemMessage("You are FitCoach."), HumanMessage("hi")])

    req = fake.last_request
    assert req.system_instruction == {"parts": [{"text": "You are FitCoach."}]}
    assert req.contents == [{"role": "user", "parts": [{"text": "hi"}]}]
    assert req.tool_names == ["log_meal"]


# --------------------------------------------------------------------------- structured


@DEFAULT_BACKEND_ONLY
async def test_structured_output_json_schema(fake: FakeGemini, amake_llm: LLMFactory) -> None:
    fake.reply_json({"food": "banana", "kcal": 105})
    llm = amake_llm().with_structured_output(MealEstimate)

    result = await llm.ainvoke("one banana")

    assert result == MealEstimate(food="banana", kcal=105)
    gc = fake.last_request.generation_config
    assert gc["responseMimeType"] == "application/json"
    assert gc["responseJsonSchema"]["properties"]["kcal"]["type"] == "integer"
    assert gc["responseJsonSchema"]["required"] == ["food", "kcal"]
    assert fake.last_request.tools == []


def test_structured_output_function_calling(fake: FakeGemini, make_llm: LLMFactory) -> None:
    fake.reply_function_call("MealEstimate", {"food": "rice", "kcal": 200})
    llm = make_llm().with_structured_output(MealEstimate, method="function_calling")

    result = llm.invoke("a bowl of rice")

    assert result == MealEstimate(food="rice", kcal=200)
    req = fake.last_request
    assert req.tool_names == ["MealEstimate"]
    assert req.tool_config == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["MealEstimate"]}
    }


# --------------------------------------------------------------------------- (6) errors


def test_429_then_success_with_default_backoff(fake: FakeGemini, make_llm: LLMFactory) -> None:
    fake.fail(status=429, times=1)
    fake.reply_text("ok after retry")
    llm = make_llm(max_retries=2)

    start = time.monotonic()
    msg = llm.invoke("hi")
    elapsed = time.monotonic() - start

    assert msg.content == "ok after retry"
    assert len(fake.requests) == 2
    # SDK default wait: exponential from 1 s with up to 1 s jitter.
    assert 0.9 <= elapsed < 4.0  # a 2nd retry would add >= 2 s more


@DEFAULT_BACKEND_ONLY
async def test_429_then_success_fast_retry(fake: FakeGemini, amake_llm: LLMFactory) -> None:
    fake.fail(status=429, times=2)
    fake.reply_text("third time lucky")
    llm = amake_llm(max_retries=3)

    msg = await llm.ainvoke("hi", http_options=fast_retry(3))

    assert msg.content == "third time lucky"
    assert len(fake.requests) == 3


def test_500_repeated_exhausts_retries_quickly_sync(fake: FakeGemini, make_llm: LLMFactory) -> None:
    fake.fail(status=500, times=5)
    llm = make_llm().bind(http_options=fast_retry(3))

    start = time.monotonic()
    with pytest.raises(GoogleAPIError) as exc_info:
        llm.invoke("hi")
    elapsed = time.monotonic() - start

    assert exc_info.value.code == 500
    assert exc_info.value.status == "INTERNAL"
    assert "500 INTERNAL" in str(exc_info.value)
    assert len(fake.requests) == 3  # attempts == total requests
    assert elapsed < 2.0  # default backoff would need >= 1 s + 2 s
    assert fake.pending == 2


async def test_500_repeated_exhausts_retries_quickly_async(
    fake: FakeGemini, amake_llm: LLMFactory
) -> None:
    fake.fail(status=500, times=5)
    llm = amake_llm(max_retries=3)

    start = time.monotonic()
    with pytest.raises(GoogleAPIError) as exc_info:
        await llm.ainvoke("hi", http_options=fast_retry(3))
    elapsed = time.monotonic() - start

    assert exc_info.value.code == 500
    assert len(fake.requests) == 3
    assert elapsed < 2.0


@pytest.mark.parametrize("max_retries", [1, 0])  # 0 -> SDK coerces attempts to 1
def test_max_retries_0_or_1_means_single_attempt(
    fake: FakeGemini, make_llm: LLMFactory, max_retries: int
) -> None:
    fake.fail(status=429, times=3)
    llm = make_llm(max_retries=max_retries)

    start = time.monotonic()
    with pytest.raises(GoogleRateLimitError, match="RESOURCE_EXHAUSTED"):
        llm.invoke("hi")

    assert time.monotonic() - start < 1.0  # a retry would sleep >= 1 s
    assert len(fake.requests) == 1
    assert isinstance(GoogleRateLimitError("x"), ChatGoogleGenerativeAIError)


async def test_stream_error_is_classified(fake: FakeGemini, amake_llm: LLMFactory) -> None:
    fake.fail(status=503, times=1)
    llm = amake_llm(max_retries=1)

    with pytest.raises(GoogleAPIError) as exc_info:
        async for _ in llm.astream("hi"):
            pass
    assert exc_info.value.code == 503


def test_delay_longer_than_timeout_raises_quickly_sync(
    fake: FakeGemini, make_llm: LLMFactory
) -> None:
    fake.delay(5.0)
    llm = make_llm(timeout=0.3, max_retries=1)

    start = time.monotonic()
    with pytest.raises(httpx.TimeoutException):
        llm.invoke("hi")
    elapsed = time.monotonic() - start

    assert 0.25 <= elapsed < 2.5  # server would answer after 5 s
    assert len(fake.requests) == 1
    assert fake.last_request.headers["x-server-timeout"] == "1"  # ceil(0.3)


async def test_delay_longer_than_timeout_raises_quickly_async(
    fake: FakeGemini, amake_llm: LLMFactory, async_backend: str
) -> None:
    fake.delay(5.0)
    llm = amake_llm(timeout=0.3, max_retries=1)

    start = time.monotonic()
    with pytest.raises(timeout_errors(async_backend)):
        await llm.ainvoke("hi")
    elapsed = time.monotonic() - start

    assert 0.25 <= elapsed < 2.5
    assert len(fake.requests) == 1


def test_timeouts_are_retried_by_the_sdk_sync(fake: FakeGemini, make_llm: LLMFactory) -> None:
    fake.delay(5.0, times=2)
    fake.reply_text("finally")
    llm = make_llm(timeout=0.5)

    msg = llm.invoke("hi", http_options=fast_retry(3))

    assert msg.content == "finally"
    assert len(fake.requests) == 3


async def test_async_timeout_retry_depends_on_backend(
    fake: FakeGemini, amake_llm: LLMFactory, async_backend: str
) -> None:
    """httpx timeouts are 'transient' for the SDK's tenacity retry; aiohttp's
    asyncio.TimeoutError is not (only connector/OS/disconnect errors are)."""
    fake.delay(5.0, times=2)
    fake.reply_text("finally")
    llm = amake_llm(timeout=0.5)

    if async_backend == "httpx":
        msg = await llm.ainvoke("hi", http_options=fast_retry(3))
        assert msg.content == "finally"
        assert len(fake.requests) == 3
    else:
        with pytest.raises(TimeoutError):
            await llm.ainvoke("hi", http_options=fast_retry(3))
        assert len(fake.requests) == 1


# --------------------------------------------------------------------------- extras


def test_count_tokens(fake: FakeGemini, make_llm: LLMFactory) -> None:
    llm = make_llm()

    n = llm.get_num_tokens("twelve chars")

    assert n == 3
    assert fake.last_request.action == "countTokens"


@DEFAULT_BACKEND_ONLY
async def test_embeddings_are_deterministic(fake: FakeGemini, async_backend: str) -> None:
    emb = GoogleGenerativeAIEmbeddings(
        model="gemini-embedding-001",
        api_key=SecretStr(fake.api_key or ""),
        base_url=fake.base_url,
        vertexai=False,
    )

    try:
        docs = emb.embed_documents(["squat", "bench press", "squat"])
        query = await emb.aembed_query("squat")
    finally:
        emb.client.close()
        await emb.client.aio.aclose()

    assert len(docs) == 3 and all(len(v) == fake.embedding_dims for v in docs)
    assert docs[0] == docs[2] != docs[1]
    assert query == pytest.approx(docs[0])
    assert {r.action for r in fake.requests} <= {"batchEmbedContents", "embedContent"}
    assert fake.requests[0].model == "gemini-embedding-001"


def test_fake_rejects_bad_api_key() -> None:
    with FakeGemini(api_key="right", strict=False) as fake:
        llm = ChatGoogleGenerativeAI(**{**fake.client_kwargs(), "google_api_key": "wrong"})
        with pytest.raises(GoogleInvalidRequestError, match="wrong x-goog-api-key"):
            llm.invoke("hi")
        close_sync(llm)
        assert fake.errors and "wrong x-goog-api-key" in fake.errors[0]

    with pytest.raises(AssertionError, match="malformed"):
        fake.assert_no_errors()
