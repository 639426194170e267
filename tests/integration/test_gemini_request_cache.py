"""CachedToolsGemini sends the same request body and yields the same message as the library.

Both models talk over real HTTP to the local FakeGemini; nothing of the SDK is replaced. The
cached path (tool declarations converted once per tool set, the rest of the request converted
per call by the SDK's own converters) must produce the body the library's own path produces,
key order included, and parse the answer into the same AIMessage."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from google.genai import types
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import BaseTool
from langchain_google_genai import ChatGoogleGenerativeAI
from langchain_google_genai.chat_models import GoogleAPIError, GoogleRateLimitError

from fitcoach.agent import gemini
from fitcoach.agent.gemini import CachedToolsGemini
from fitcoach.agent.prompts import DEFAULT_PROMPTS_DIR, coach_prompt
from fitcoach.storage.database import Database
from fitcoach.tools import ToolServices, build_tools
from tests.fakes.gemini_server import FakeGemini

pytestmark = [
    pytest.mark.filterwarnings("ignore:Inheritance class AiohttpClientSession:DeprecationWarning"),
    pytest.mark.filterwarnings(
        "ignore:coroutine 'ClientResponse.json' was never awaited:RuntimeWarning"
    ),
]

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg=="
)
SIGNATURE = base64.b64encode(b"\x00\xffsignature bytes\x10").decode()


@pytest.fixture(scope="module")
def app_tools(tmp_path_factory: pytest.TempPathFactory) -> list[BaseTool]:
    """The app's own tools (deep schemas); built, never called."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db')}/t.db")
    return build_tools(ToolServices(database=database, media_dir=Path("unused")))


@pytest.fixture
def fake() -> Iterator[FakeGemini]:
    with FakeGemini(api_key="test") as server:
        yield server


@dataclass
class Pair:
    plain: ChatGoogleGenerativeAI
    cached: CachedToolsGemini


@pytest.fixture
async def models(fake: FakeGemini) -> AsyncIterator[Pair]:
    options = fake.client_kwargs(google_api_key="test", max_retries=1, timeout=5.0)
    pair = Pair(ChatGoogleGenerativeAI(**options), CachedToolsGemini(**options))
    yield pair
    await pair.plain.aclose()
    await pair.cached.aclose()


@pytest.fixture
def served_here(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """One entry per request: True when CachedToolsGemini built the body itself."""
    seen: list[bool] = []
    original = gemini._request_form_of_tools

    def spy(api_client: Any, config: Any) -> list[Any] | None:
        form = original(api_client, config)
        seen.append(form is not None)
        return form

    monkeypatch.setattr(gemini, "_request_form_of_tools", spy)
    return seen


def system() -> SystemMessage:
    return SystemMessage(coach_prompt(DEFAULT_PROMPTS_DIR).render("Age 34, 72 kg."))


def with_tool_round_trip() -> list[BaseMessage]:
    return [
        system(),
        HumanMessage("I had two eggs and toast, then ran 5 km"),
        AIMessage(
            "",
            tool_calls=[
                {"name": "log_meal", "args": {"text": "two eggs and toast"}, "id": "c1"},
                {
                    "name": "log_workout",
                    "args": {"description": "ran 5 km", "choices": {"run": "running"}},
                    "id": "c2",
                },
            ],
        ),
        ToolMessage("Logged: 2 eggs (140 kcal), toast (80 kcal).", tool_call_id="c1"),
        ToolMessage('{"logged": "run 5 km", "kcal": 350}', tool_call_id="c2"),
    ]


def with_image() -> list[BaseMessage]:
    data = base64.b64encode(PNG).decode()
    return [
        system(),
        HumanMessage(
            content=[
                {"type": "text", "text": "what is on this plate?"},
                {"type": "image", "base64": data, "mime_type": "image/png"},
            ]
        ),
    ]


CONVERSATIONS = {
    "plain": lambda: [system(), HumanMessage("what should I eat before an evening run?")],
    "tool_round_trip": with_tool_round_trip,
    "image": with_image,
}


def bodies(fake: FakeGemini) -> list[str]:
    """Each generate request's JSON body, re-serialised in the order it was received."""
    return [json.dumps(r.json) for r in fake.requests_for("generateContent")]


def same_message(a: BaseMessage, b: BaseMessage) -> None:
    assert isinstance(a, AIMessage) and isinstance(b, AIMessage)
    assert a.content == b.content
    assert a.tool_calls == b.tool_calls
    assert a.invalid_tool_calls == b.invalid_tool_calls
    assert a.usage_metadata == b.usage_metadata
    assert a.additional_kwargs == b.additional_kwargs
    assert a.response_metadata == b.response_metadata


async def ask_both(
    fake: FakeGemini, pair: Pair, bind: Any, messages: list[BaseMessage], script: Any
) -> tuple[BaseMessage, BaseMessage, list[str]]:
    results: list[BaseMessage] = []
    for model in (pair.plain, pair.cached):
        script()
        results.append(await bind(model).ainvoke(messages))
    sent = bodies(fake)
    assert len(sent) == 2
    return results[0], results[1], sent


@pytest.mark.parametrize("conversation", sorted(CONVERSATIONS))
async def test_same_body_and_message_with_the_app_tools(
    fake: FakeGemini,
    models: Pair,
    app_tools: list[BaseTool],
    served_here: list[bool],
    conversation: str,
) -> None:
    messages = CONVERSATIONS[conversation]()

    def script() -> None:
        fake.reply_text(
            "Banana an hour before.",
            usage={"promptTokenCount": 900, "candidatesTokenCount": 5, "totalTokenCount": 905},
        )

    plain, cached, (plain_body, cached_body) = await ask_both(
        fake, models, lambda m: m.bind_tools(app_tools, tool_choice=None), messages, script
    )
    assert cached_body == plain_body
    assert len(json.loads(cached_body)["tools"][0]["functionDeclarations"]) == len(app_tools)
    same_message(plain, cached)
    assert served_here == [True]


async def test_the_sdks_function_calling_loop_is_skipped_without_python_functions(
    fake: FakeGemini, models: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request without tools (structured output, memory extraction) does not enter the
    SDK's automatic function calling loop with the cached model (nothing to call; the loop
    copies the config once more), as it does with the library's; the body is the same."""
    from google.genai import models as genai_models

    loops: list[str] = []
    original = genai_models._extra_utils.get_max_remote_calls_afc

    def counted(config: Any) -> int:
        loops.append("afc")
        return int(original(config))

    monkeypatch.setattr(genai_models._extra_utils, "get_max_remote_calls_afc", counted)
    for model, expected in ((models.cached, []), (models.plain, ["afc"])):
        loops.clear()
        fake.reply_text("Banana an hour before.")
        reply = await model.ainvoke([HumanMessage("what should I eat before a run?")])
        assert reply.content == "Banana an hour before."
        assert loops == expected
    cached_body, plain_body = bodies(fake)
    assert cached_body == plain_body


async def test_the_sdks_config_copy_is_skipped_for_declarations_only(
    fake: FakeGemini, models: Pair, app_tools: list[BaseTool], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SDK deep-copies every config to swap MCP sessions for tools; a config holding only
    the cached declarations (or no tools) has none, so the cached model goes straight to the
    SDK's next step. The library's model still takes the copy; the bodies are the same, and
    the config LangChain built is left as it was."""
    from google.genai import models as genai_models

    copies: list[str] = []
    original = genai_models._extra_utils.parse_config_for_mcp_sessions

    async def counted(config: Any, **kwargs: Any) -> Any:
        copies.append("mcp")
        return await original(config, **kwargs)

    monkeypatch.setattr(genai_models._extra_utils, "parse_config_for_mcp_sessions", counted)
    sent_configs: list[types.GenerateContentConfig] = []
    step = gemini._CachedToolsModels._generate_content_with_continuation

    async def seen(self: Any, **kwargs: Any) -> Any:
        sent_configs.append(kwargs["config"])
        return await step(self, **kwargs)

    monkeypatch.setattr(gemini._CachedToolsModels, "_generate_content_with_continuation", seen)
    messages: list[BaseMessage] = [system(), HumanMessage("what should I eat before a run?")]
    for bind in (lambda m: m.bind_tools(app_tools), lambda m: m):
        for model, expected in ((models.cached, []), (models.plain, ["mcp"])):
            copies.clear()
            fake.reply_text("Banana an hour before.")
            reply = await bind(model).ainvoke(messages)
            assert reply.content == "Banana an hour before."
            assert copies == expected
        cached_body, plain_body = bodies(fake)
        assert cached_body == plain_body
        fake.clear()
    with_tools, without_tools = sent_configs
    assert with_tools.automatic_function_calling is None
    assert with_tools.tools and all(isinstance(t, gemini.SharedTool) for t in with_tools.tools)
    assert without_tools.automatic_function_calling == gemini._WITHOUT_AFC


async def test_same_body_and_message_for_tool_calls_with_thought_signatures(
    fake: FakeGemini, models: Pair, app_tools: list[BaseTool], served_here: list[bool]
) -> None:
    """A model turn with function calls (and their signatures) in the answer, then in the
    history of the next request: both ways of the bytes go through the SDK's encoders."""
    answer: list[dict[str, Any]] = [
        {"text": "Logging both."},
        {
            "functionCall": {"name": "log_meal", "args": {"text": "oats"}, "id": "f1"},
            "thoughtSignature": SIGNATURE,
        },
        {"functionCall": {"name": "check_progress", "args": {}, "id": "f2"}},
    ]
    messages: list[BaseMessage] = [system(), HumanMessage("oats for breakfast; how am I doing?")]

    def script() -> None:
        fake.reply_parts(answer)

    def bind(model: BaseChatModel) -> Any:
        return model.bind_tools(app_tools)

    plain, cached, (plain_body, cached_body) = await ask_both(fake, models, bind, messages, script)
    assert cached_body == plain_body
    same_message(plain, cached)
    assert [c["name"] for c in cached.tool_calls] == ["log_meal", "check_progress"]  # type: ignore[attr-defined]

    fake.clear()
    follow_up = [
        *messages,
        cached,
        ToolMessage("Logged oats.", tool_call_id="f1"),
        ToolMessage("On track: 3 workouts this week.", tool_call_id="f2"),
    ]

    def text() -> None:
        fake.reply_text("You are on track.")

    plain, cached, (plain_body, cached_body) = await ask_both(fake, models, bind, follow_up, text)
    assert cached_body == plain_body
    parts = [p for c in json.loads(cached_body)["contents"] for p in c["parts"]]
    assert any({"thought_signature", "thoughtSignature"} & set(p) for p in parts)
    same_message(plain, cached)
    assert served_here == [True, True]


async def test_structured_output_and_no_tools_are_served_the_same(
    fake: FakeGemini, models: Pair, served_here: list[bool]
) -> None:
    def script() -> None:
        fake.reply_json({"facts": ["likes running"]})

    schema = {
        "title": "Facts",
        "type": "object",
        "properties": {"facts": {"type": "array", "items": {"type": "string"}}},
        "required": ["facts"],
    }
    messages = [system(), HumanMessage("remember that I like running")]
    plain, cached, (plain_body, cached_body) = await ask_both(
        fake,
        models,
        lambda m: m.with_structured_output(schema, method="json_schema"),
        messages,
        script,
    )
    assert cached_body == plain_body
    assert plain == cached == {"facts": ["likes running"]}

    fake.clear()
    plain, cached, (plain_body, cached_body) = await ask_both(
        fake, models, lambda m: m, messages, lambda: fake.reply_text("Noted.")
    )
    assert cached_body == plain_body
    same_message(plain, cached)
    assert served_here == [True, True]


async def test_other_tools_go_through_the_sdk_unchanged(
    fake: FakeGemini, models: Pair, served_here: list[bool]
) -> None:
    """A Google tool object handed over as it is (not through bind_tools) is not one of the
    cached declarations: the SDK serves that request itself."""
    search = types.Tool(google_search=types.GoogleSearch())
    messages: list[BaseMessage] = [HumanMessage("latest marathon record?")]
    plain, cached, (plain_body, cached_body) = await ask_both(
        fake,
        models,
        lambda m: m.bind(tools=[search]),
        messages,
        lambda: fake.reply_text("2:00:35."),
    )
    assert cached_body == plain_body and "googleSearch" in cached_body
    same_message(plain, cached)
    assert served_here == [False]


@pytest.mark.parametrize(("status", "error"), [(500, GoogleAPIError), (429, GoogleRateLimitError)])
async def test_model_errors_raise_what_the_library_raises(
    fake: FakeGemini,
    models: Pair,
    app_tools: list[BaseTool],
    served_here: list[bool],
    status: int,
    error: type[Exception],
) -> None:
    raised: list[type[BaseException]] = []
    for model in (models.plain, models.cached):
        fake.fail(status)
        with pytest.raises(error) as caught:
            await model.bind_tools(app_tools).ainvoke([system(), HumanMessage("hi")])
        raised.append(type(caught.value))
        assert str(status) in str(caught.value)
    assert raised[0] is raised[1]
    assert served_here == [True]
    assert len(fake.requests_for("generateContent")) == 2


async def test_requests_use_a_session_without_per_request_environment_lookups(
    models: Pair, fake: FakeGemini
) -> None:
    fake.reply_text("hi")
    await models.cached.ainvoke([HumanMessage("hello")])
    await models.cached.ainvoke([HumanMessage("again")])
    assert len(fake.requests_for("generateContent")) == 2
    assert models.cached.client is not None
    api_client = models.cached.client._api_client
    [session] = api_client._aiohttp_sessions.values()
    assert session.trust_env is False  # no .netrc read, no proxy lookup per request
    await models.cached.aclose()
    assert session.closed


def test_the_environments_proxy_is_looked_up_once_for_the_api_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert gemini._environment_proxy(None) == (None, None)
    monkeypatch.setenv("HTTPS_PROXY", "http://user:secret@proxy.internal:3128")
    proxy, auth = gemini._environment_proxy(None)
    assert str(proxy) == "http://proxy.internal:3128"
    assert auth is not None and (auth.login, auth.password) == ("user", "secret")
    assert gemini._environment_proxy("http://127.0.0.1:9/") == (None, None)  # HTTP_PROXY unset
    monkeypatch.setenv("NO_PROXY", "generativelanguage.googleapis.com")
    assert gemini._environment_proxy(None) == (None, None)


def every_kind_of_part() -> list[types.Part]:
    """One part per field the converter reads (and several at once)."""
    return [
        types.Part(text="hello", thought=True, thought_signature=b"\x01sig"),
        types.Part(inline_data=types.Blob(data=PNG, mime_type="image/png")),
        types.Part(file_data=types.FileData(file_uri="gs://b/f.png", mime_type="image/png")),
        types.Part(function_call=types.FunctionCall(name="log_meal", args={"text": "eggs"})),
        types.Part(
            function_response=types.FunctionResponse(name="log_meal", response={"kcal": 140})
        ),
        types.Part(executable_code=types.ExecutableCode(code="print(1)", language="PYTHON")),
        types.Part(
            code_execution_result=types.CodeExecutionResult(outcome="OUTCOME_OK", output="1")
        ),
        types.Part(video_metadata=types.VideoMetadata(fps=2.0), text="a clip"),
        types.Part(),
    ]


def parameter_sets() -> list[types._GenerateContentParameters]:
    parts = every_kind_of_part()
    contents = [
        types.Content(role="user", parts=parts[:3]),
        types.Content(role="model", parts=parts[3:4]),
        types.Content(role="user", parts=parts[4:]),
        types.Content(role="user"),
        # Text parts alone: written directly, not by the SDK's converter.
        types.Content(role="model", parts=[types.Part(text="plain reply"), types.Part(text="")]),
        types.Content(parts=[types.Part(text="no role")]),
        types.Content(role="user", parts=[]),
    ]
    configs = [
        types.GenerateContentConfig(),
        types.GenerateContentConfig(
            system_instruction=types.Content(parts=[types.Part(text="You are a coach.")]),
            temperature=0.7,
            top_p=0.9,
            max_output_tokens=512,
            stop_sequences=["END"],
            candidate_count=1,
            seed=7,
            labels={"team": "fitness"},
            response_mime_type="application/json",
            response_json_schema={"type": "object", "properties": {"a": {"type": "string"}}},
            safety_settings=[
                types.SafetySetting(
                    category="HARM_CATEGORY_HARASSMENT", threshold="BLOCK_ONLY_HIGH"
                )
            ],
            tool_config=types.ToolConfig(
                function_calling_config=types.FunctionCallingConfig(
                    mode="ANY", allowed_function_names=["log_meal"]
                )
            ),
            thinking_config=types.ThinkingConfig(thinking_budget=0, include_thoughts=False),
            tools=[],
        ),
        # System instructions other than text parts alone: through the SDK's converters.
        types.GenerateContentConfig(
            system_instruction=types.Content(
                role="system", parts=[types.Part(text="Look:"), parts[1]]
            ),
            temperature=0.2,
        ),
        types.GenerateContentConfig(system_instruction="You are a coach.", top_k=3),
    ]
    return [
        types._GenerateContentParameters.model_construct(
            model="gemini-2.5-flash", contents=contents, config=config
        )
        for config in configs
    ]


@pytest.mark.parametrize("index", range(4))
def test_contents_and_config_read_through_field_dicts_give_the_sdks_body(index: int) -> None:
    from google.genai import Client
    from google.genai import models as genai_models

    api_client = Client(api_key="test")._api_client
    parameters = parameter_sets()[index]
    ours = gemini._parameters_to_request(api_client, parameters)
    sdk = genai_models._GenerateContentParameters_to_mldev(api_client, parameters, None, parameters)
    assert list(ours) == list(sdk)
    assert json.dumps(ours, default=repr) == json.dumps(sdk, default=repr)
    assert len(ours["contents"]) == 7 and ours["contents"][0]["parts"][0]["text"] == "hello"
    assert ours["contents"][4] == {
        "parts": [{"text": "plain reply"}, {"text": ""}],
        "role": "model",
    }


def test_the_tools_json_is_put_where_the_sdk_would_write_the_tools() -> None:
    from fitcoach.agent.gemini import _TOOLS_SLOT, _body_with_tools

    tools = [{"functionDeclarations": [{"name": "log_meal", "description": "Log a meal ☕"}]}]
    contents = [{"parts": [{"text": "two eggs é"}], "role": "user"}]
    body = {"contents": contents, "tools": _TOOLS_SLOT, "toolConfig": {"mode": "AUTO"}}
    expected = {"contents": contents, "tools": tools, "toolConfig": {"mode": "AUTO"}}
    assert _body_with_tools(dict(body), tools) == json.dumps(expected).encode("utf-8")
    # A message that carries the slot's own text: the SDK writes the whole body.
    tricky = [{"parts": [{"text": _TOOLS_SLOT}], "role": "user"}]
    left = _body_with_tools({**body, "contents": tricky}, tools)
    assert left == {"contents": tricky, "tools": tools, "toolConfig": {"mode": "AUTO"}}
    assert left["tools"] is not tools  # the request may change its list, not ours
    # No slot (no tools, or the body was changed on the way): nothing to do.
    assert _body_with_tools({"contents": contents}, tools) == {"contents": contents}
