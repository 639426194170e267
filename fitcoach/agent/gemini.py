"""The Gemini chat model, with the tool work done once instead of on every call.

``langchain-google-genai`` repeats three pieces of work on every request although the tools
are the same for every turn (bench/load.py under py-spy, share of a turn's CPU):

- ``bind_tools`` turns each LangChain tool into an OpenAI-style schema (≈ 2.5 %);
- ``_format_tools`` turns those schemas into Gemini function declarations (≈ 15 %);
- the google-genai SDK deep-copies the request config, declarations included (≈ 5 %).

Here the schemas are kept per tool object, the declarations per tool set, and the declarations
are marked as shared values that a deep copy may reuse (the SDK copies the config so that it
can change the config's own fields; it never changes a declaration).

The SDK's per-request step (``AsyncModels._generate_content``) then spent ~75 % of its CPU
marshalling rather than on HTTP: it validated the whole request as a pydantic model (≈ 2 ms for
a few turns; it returns the very objects it was given) and converted the 24 deep declarations
to their request-body form again on every call (``_Tool_to_mldev``, ``convert_to_dict``,
``encode_unserializable_types``). :class:`_CachedToolsModels` serves that step instead: the
declarations' body form is built once per tool set with the SDK's own converters and kept
(``_request_tools``); per call only the contents, system instruction and generation config are
converted, by the same converters, the request goes through the SDK's ``async_request`` and the
answer through its ``_GenerateContentResponse_from_mldev`` and ``_from_response``. Same body
(key order included), same response objects, same errors (tests/integration/
test_gemini_request_cache.py). Vertex AI, tools not built here, and raw-response requests use
the SDK's own step. bench/model_client.py (app tools bound, 8 messages, 20 concurrent), client
CPU per call: 13.5 ms before, 8 ms after (min of rounds 13.4 → 6.9 ms; the library's plain
``ChatGoogleGenerativeAI``: 17 ms). The SDK's converters then still spent most of that step
testing ``key in part`` on pydantic models, which walks every field; the contents, parts and
config are now handed to the same converters as their field dicts (``_parameters_to_request``):
2.1 → 0.39 ms for a 9-message request, same body. The declarations' JSON is likewise written
once per tool set and put into each body where the SDK's ``json.dumps`` would write them
(``_body_with_tools``; they were most of a short request's body and of its encoding time).

The SDK's aiohttp session is created with ``trust_env=True`` (hard-coded in
``BaseApiClient._get_aiohttp_session``), so each request ran two thread-pool jobs: a ``.netrc``
read and an environment proxy lookup (≈ 3 % of a worker's CPU under bench/load.py). No public
option turns that off (``HttpOptions.async_client_args`` only reach ``session.request``;
``aiohttp_client`` needs a session bound to an event loop when langchain builds the client).
:func:`_use_session_without_env_lookups` puts a session into the SDK's per-loop session cache
before the SDK makes its own: the same connector and buffer settings, ``trust_env=False``, and
the environment's proxy for the API's address (``HTTPS_PROXY``/``NO_PROXY``…) looked up once
when the session is made. The API key travels in a header, so ``.netrc`` is never needed."""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, cast
from urllib.parse import urlencode

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from google.genai import _api_client, _common, _transformers, types
from google.genai import models as genai_models
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_google_genai import ChatGoogleGenerativeAI
from pydantic import PrivateAttr
from yarl import URL

MAX_CACHED_TOOLSETS = 32
_declarations: OrderedDict[str, list[Any] | None] = OrderedDict()
# id(schema list) -> (that list, its declarations): the schema lists bind_tools hands out are
# reused for every call, so most lookups never serialise a schema.
_declarations_by_list: dict[int, tuple[list[Any], list[Any] | None]] = {}
# tuple of tool ids -> (those tools, their schemas)
_schemas: dict[tuple[int, ...], tuple[tuple[BaseTool, ...], list[dict[str, Any]]]] = {}
# tuple of SharedTool ids -> (those tools, their request-body form; None: not served here)
_request_tools: dict[tuple[int, ...], tuple[tuple[Any, ...], list[Any] | None]] = {}


class SharedTool(types.Tool):
    """A Gemini tool declaration that is never changed once built: deep copies reuse it."""

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> SharedTool:
        return self


class CachedToolsGemini(ChatGoogleGenerativeAI):
    """``ChatGoogleGenerativeAI`` whose tool schemas and declarations are built once."""

    _cached_aio: Any = PrivateAttr(default=None)

    @property
    def async_client(self) -> Any:
        """The SDK's async client, whose ``models`` sends the cached tool declarations."""
        aio = super().async_client
        _use_session_without_env_lookups(aio._api_client)
        view = self._cached_aio
        if view is None or view.aio is not aio:
            view = self._cached_aio = _CachedToolsAsyncClient(aio)
        return view

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool | types.Tool],
        tool_config: dict[str, Any] | types.ToolConfig | None = None,
        *,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        if not tools or not all(isinstance(tool, BaseTool) for tool in tools):
            return super().bind_tools(tools, tool_config, tool_choice=tool_choice, **kwargs)
        schemas = _schemas_of(tuple(tool for tool in tools if isinstance(tool, BaseTool)))
        if tool_choice:
            kwargs["tool_choice"] = tool_choice
        if tool_config:
            kwargs["tool_config"] = tool_config
        return self.bind(tools=schemas, **kwargs)

    def _format_tools(
        self,
        tools: Sequence[Any] | None = None,
        functions: Sequence[Any] | None = None,
    ) -> list[Any] | None:
        if functions is None and isinstance(tools, list):
            known = _declarations_by_list.get(id(tools))
            if known is not None and known[0] is tools:
                return _copy(known[1])
        try:
            key = json.dumps([tools, functions], sort_keys=True)
        except (TypeError, ValueError):  # Google tool objects, callables: convert as usual
            return super()._format_tools(tools, functions)
        if key not in _declarations:
            _declarations[key] = _shared(super()._format_tools(tools, functions))
            if len(_declarations) > MAX_CACHED_TOOLSETS:
                _declarations.popitem(last=False)
        declarations = _declarations[key]
        if functions is None and isinstance(tools, list) and _is_bound_schema_list(tools):
            _declarations_by_list[id(tools)] = (tools, declarations)
        return _copy(declarations)


def _use_session_without_env_lookups(api_client: Any) -> None:
    """Give the SDK this loop's aiohttp session before it makes one with ``trust_env``."""
    if (
        api_client.vertexai
        or api_client._http_options.aiohttp_client
        or not api_client._use_aiohttp()
    ):
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    with api_client._sync_auth_lock:
        session = api_client._aiohttp_sessions.get(loop)
        if session is not None and not api_client._is_session_closed(session):
            return
        proxy, proxy_auth = _environment_proxy(api_client._http_options.base_url)
        api_client._aiohttp_sessions[loop] = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            trust_env=False,
            read_bufsize=_api_client.READ_BUFFER_SIZE,
            proxy=proxy,
            proxy_auth=proxy_auth,
        )


def _environment_proxy(base_url: str | None) -> tuple[URL | None, aiohttp.BasicAuth | None]:
    """The proxy the environment names for the API's address (what a ``trust_env`` session
    looks up on every request), or none."""
    try:
        return get_env_proxy_for_url(URL(base_url or "https://generativelanguage.googleapis.com/"))
    except LookupError:
        return None, None


def _schemas_of(tools: tuple[BaseTool, ...]) -> list[dict[str, Any]]:
    key = tuple(id(tool) for tool in tools)
    known = _schemas.get(key)
    if known is None or any(a is not b for a, b in zip(known[0], tools, strict=True)):
        if len(_schemas) >= MAX_CACHED_TOOLSETS:
            _schemas.clear()
            _declarations_by_list.clear()
        known = (tools, [convert_to_openai_tool(tool) for tool in tools])
        _schemas[key] = known
    return known[1]


def _is_bound_schema_list(tools: list[Any]) -> bool:
    return any(entry[1] is tools for entry in _schemas.values())


def _shared(declarations: list[Any] | None) -> list[Any] | None:
    if declarations is None:
        return None
    return [
        SharedTool.model_construct(
            _fields_set=tool.model_fields_set,
            **{name: getattr(tool, name) for name in type(tool).model_fields},
        )
        if type(tool) is types.Tool
        else tool
        for tool in declarations
    ]


def _copy(declarations: list[Any] | None) -> list[Any] | None:
    return list(declarations) if declarations is not None else None


class _CachedToolsAsyncClient:
    """``client.aio`` whose ``models`` is :class:`_CachedToolsModels`; all else is the SDK's."""

    def __init__(self, aio: Any) -> None:
        self.aio = aio
        self.models = _CachedToolsModels(aio.models._api_client)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.aio, name)


_WITHOUT_AFC = types.AutomaticFunctionCallingConfig(disable=True)


class _CachedToolsModels(genai_models.AsyncModels):
    """The SDK's ``AsyncModels`` whose one-request step reuses the tools' request form.

    ``generate_content`` (automatic function calling, continuation, config copies) is the
    SDK's own. Its per-request step ``_generate_content`` validates and converts the whole
    request, tool declarations included, every time; here the declarations are converted
    once per tool set (by the SDK's converters) and only the rest of the request is
    converted per call, by the same converters, in the same order, so the body sent is the
    same. Anything else (Vertex AI, tools that are not the cached declarations, a raw HTTP
    response asked for) goes to the SDK's ``_generate_content`` unchanged."""

    async def generate_content(
        self,
        *,
        model: str,
        contents: types.ContentListUnion | types.ContentListUnionDict,
        config: types.GenerateContentConfigOrDict | None = None,
    ) -> types.GenerateContentResponse:
        """The SDK's ``generate_content`` without its automatic function calling, when the
        tools are none or this module's declarations (Gemini Developer API).

        LangChain runs tools itself and hands the SDK only declarations, never Python
        functions, so that loop has nothing to call: the SDK skips it by itself for requests
        with declarations, and ran it for requests without tools (structured output: memory
        extraction), deep-copying the config once more and logging a line. Before either, the
        SDK deep-copies the config (≈ 0.15 ms) to swap MCP sessions and servers for tools,
        which such a config cannot hold. So these requests go straight to the SDK's own next
        step, continuation included; neither step changes the config, and the body is the
        same."""
        if (
            isinstance(config, types.GenerateContentConfig)
            and config.automatic_function_calling is None
            and all(
                isinstance(tool, SharedTool) and not tool.mcp_servers for tool in config.tools or ()
            )
            and not self._api_client.vertexai
        ):
            if not config.tools:
                config = config.model_copy(update={"automatic_function_calling": _WITHOUT_AFC})
            return await self._generate_content_with_continuation(
                model=model, contents=contents, config=config
            )
        return await super().generate_content(model=model, contents=contents, config=config)

    async def _generate_content(
        self,
        *,
        model: str,
        contents: types.ContentListUnion | types.ContentListUnionDict,
        config: types.GenerateContentConfigOrDict | None = None,
    ) -> types.GenerateContentResponse:
        tools = _request_form_of_tools(self._api_client, config)
        if tools is None:
            return await super()._generate_content(model=model, contents=contents, config=config)
        assert isinstance(config, types.GenerateContentConfig)
        parameters: dict[str, Any] = {
            "model": model,
            "contents": list(contents) if isinstance(contents, list) else contents,
            # An empty tool list puts the "tools" key where the SDK puts it (order kept).
            "config": config.model_copy(update={"tools": []}) if config.tools else config,
        }
        if isinstance(model, str) and _are_contents(contents):
            # What validation would return: the same model name, list and objects (pydantic
            # keeps model instances as they are), found in ≈ 2 ms for a few turns.
            parameter_model = types._GenerateContentParameters.model_construct(**parameters)
        else:
            parameter_model = types._GenerateContentParameters(**parameters)
        # From here on, the steps of the SDK's AsyncModels._generate_content (google-genai
        # 2.34.0, Gemini Developer API branch), with the cached tools put in the body.
        request_dict = _parameters_to_request(self._api_client, parameter_model)
        request_url_dict = request_dict.get("_url")
        if request_url_dict:
            path = "{model}:generateContent".format_map(request_url_dict)
        else:
            path = "{model}:generateContent"
        query_params = request_dict.get("_query")
        if query_params:
            path = f"{path}?{urlencode(query_params)}"
        request_dict.pop("config", None)
        http_options = parameter_model.config.http_options if parameter_model.config else None
        # Both walks return a text-only content as it is: only the others (tool calls,
        # media) are walked, one by one as the walks treat a list's dicts (the history).
        contents_form = request_dict.get("contents")
        if isinstance(contents_form, list):
            request_dict["contents"] = []
        request_dict = _common.convert_to_dict(request_dict)
        request_dict = _common.encode_unserializable_types(request_dict)
        if isinstance(contents_form, list):
            request_dict["contents"] = [
                content
                if _is_plain_text(content)
                else _common.encode_unserializable_types(_common.convert_to_dict(content))
                for content in contents_form
            ]
        if config.tools:
            request_dict["tools"] = _TOOLS_SLOT
        # The SDK's async_request, with the tools' JSON written once per tool set.
        http_request = self._api_client._build_request("post", path, request_dict, http_options)
        if config.tools:
            http_request.data = _body_with_tools(http_request.data, tools)
        result = await self._api_client._async_request(
            http_request=http_request, http_options=http_options, stream=False
        )
        response = types.HttpResponse(
            headers=result.headers, body=result.response_stream[0] if result.response_stream else ""
        )
        response_dict = {} if not response.body else json.loads(response.body)
        response_dict = genai_models._GenerateContentResponse_from_mldev(
            response_dict, None, parameter_model
        )
        return_value = types.GenerateContentResponse._from_response(
            response=response_dict,
            kwargs={
                "config": {
                    name: getattr(parameter_model.config, name, None)
                    for name in ("response_schema", "response_json_schema", "include_all_fields")
                }
            },
        )
        return_value.sdk_http_response = types.HttpResponse(headers=response.headers)
        self._api_client._verify_response(return_value)
        return return_value


_TOOLS_SLOT = "\x00fitcoach tools\x00"
_TOOLS_SLOT_JSON = json.dumps(_TOOLS_SLOT)
# id(request form of a tool set) -> (that form, its JSON as the SDK writes it)
_tools_json: dict[int, tuple[list[Any], str]] = {}


def _body_with_tools(data: Any, tools: list[Any]) -> Any:
    """The request body the SDK would write (``json.dumps``, then UTF-8), with the tools' JSON
    encoded once per tool set instead of on every call (most of a short request's body). The
    body is left to the SDK, with the tools put in, if the slot is not found exactly once."""
    if not isinstance(data, dict) or data.get("tools") is not _TOOLS_SLOT:
        return data
    text = json.dumps(data)
    if text.count(_TOOLS_SLOT_JSON) != 1:  # a message carrying the slot's text: no shortcut
        data["tools"] = list(tools)  # a new list: the request may change, not ours
        return data
    known = _tools_json.get(id(tools))
    if known is None or known[0] is not tools:
        if len(_tools_json) >= MAX_CACHED_TOOLSETS:
            _tools_json.clear()
        known = (tools, json.dumps(tools))
        _tools_json[id(tools)] = known
    return text.replace(_TOOLS_SLOT_JSON, known[1]).encode("utf-8")


def _are_contents(contents: Any) -> bool:
    return isinstance(contents, list) and all(type(item) is types.Content for item in contents)


def _parameters_to_request(api_client: Any, parameters: Any) -> dict[str, Any]:
    """``_GenerateContentParameters_to_mldev`` of these parameters, with each content (the
    system instruction too), part and the config read through its field dict.

    The SDK's converters look a field up with ``key in obj`` before ``getattr``; on a pydantic
    model that test walks every field (``BaseModel.__iter__``) only to fail, for each of the
    ~20 fields of a part and ~40 of the config (7.8 % of a worker's CPU under bench/load.py).
    A model's ``__dict__`` holds the same values under the same names, so there the test is
    one lookup and the converters give the same body."""
    contents, config = parameters.contents, parameters.config
    if not (
        isinstance(parameters.model, str)
        and _are_contents(contents)
        and all(type(part) is types.Part for item in contents for part in item.parts or ())
        and type(config) is types.GenerateContentConfig
    ):
        return cast(
            "dict[str, Any]",
            genai_models._GenerateContentParameters_to_mldev(
                api_client, parameters, None, parameters
            ),
        )
    # The SDK's steps (google-genai 2.34.0, _GenerateContentParameters_to_mldev), same order.
    body: dict[str, Any] = {}
    _common.set_value_by_path(
        body, ["_url", "model"], _transformers.t_model(api_client, parameters.model)
    )
    _common.set_value_by_path(
        body,
        ["contents"],
        [
            _content_to_request(item, body, parameters)
            for item in _transformers.t_contents(contents)
        ],
    )
    fields = config.__dict__
    instruction = fields.get("system_instruction")
    if type(instruction) is types.Content:
        # The SDK's config converter writes the system instruction first, into the body,
        # through the same content converter; done here, its parts skip the field tests.
        _common.set_value_by_path(
            body, ["systemInstruction"], _content_to_request(instruction, body, parameters)
        )
        fields = {**fields, "system_instruction": None}
    _common.set_value_by_path(
        body,
        ["generationConfig"],
        genai_models._GenerateContentConfig_to_mldev(api_client, fields, body, parameters),
    )
    return body


def _content_to_request(content: types.Content, body: dict[str, Any], parameters: Any) -> Any:
    """``_Content_to_mldev`` of this content. A content of text parts alone (most of a
    conversation's history, sent again on every call) is written directly: a text part's
    request form is ``{"text": …}`` and the content's ``{"parts": […], "role": …}``, which is
    what the SDK's converter returns after testing each of a part's ~20 fields (about half
    of the contents' conversion time for a few turns); any other part goes to the SDK."""
    parts = content.parts
    if parts and all(_is_text_only(part) for part in parts):
        converted: dict[str, Any] = {"parts": [{"text": part.text} for part in parts]}
        if content.role is not None:
            converted["role"] = content.role
        return converted
    return genai_models._Content_to_mldev(_content_fields(content), body, parameters)


def _is_plain_text(content: Any) -> bool:
    """True for a content's request form of text parts only (``{"parts": [{"text": …}],
    "role": …}``), which the SDK's dict conversion and encoding return unchanged."""
    return (
        type(content) is dict
        and content.keys() <= {"parts", "role"}
        and type(content.get("role", "")) is str
        and type(content.get("parts")) is list
        and all(
            type(part) is dict and part.keys() == {"text"} and type(part["text"]) is str
            for part in content["parts"]
        )
    )


def _is_text_only(part: types.Part) -> bool:
    fields = part.__dict__
    return fields.get("text") is not None and sum(v is not None for v in fields.values()) == 1


def _content_fields(content: types.Content) -> dict[str, Any]:
    fields = dict(content.__dict__)
    if content.parts is not None:
        fields["parts"] = [part.__dict__ for part in content.parts]
    return fields


def _request_form_of_tools(api_client: Any, config: Any) -> list[Any] | None:
    """The request-body form of ``config.tools`` (``[]`` for no tools) when they are this
    module's cached declarations and the request is a plain Gemini Developer API call; None
    when the SDK should serve the request itself."""
    if (
        not isinstance(config, types.GenerateContentConfig)
        or api_client.vertexai
        or getattr(config, "should_return_http_response", None)
        or config.tools == []
    ):
        return None
    tools = config.tools
    if tools is None:
        return []
    key = tuple(id(tool) for tool in tools)
    known = _request_tools.get(key)
    if known is None or any(a is not b for a, b in zip(known[0], tools, strict=True)):
        form: list[Any] | None = None
        if all(isinstance(tool, SharedTool) for tool in tools):
            body: dict[str, Any] = {}
            genai_models._GenerateContentConfig_to_mldev(
                api_client, types.GenerateContentConfig(tools=list(tools)), body, None
            )
            encoded = _common.encode_unserializable_types(_common.convert_to_dict(body))
            form = cast("list[Any]", encoded["tools"])
        if len(_request_tools) >= MAX_CACHED_TOOLSETS:
            _request_tools.clear()
        known = (tuple(tools), form)
        _request_tools[key] = known
    return known[1]
