"""The Gemini chat model, with the tool work done once instead of on every call.

``langchain-google-genai`` repeats three pieces of work on every request although the tools
are the same for every turn (bench/load.py under py-spy, share of a turn's CPU):

- ``bind_tools`` turns each LangChain tool into an OpenAI-style schema (≈ 2.5 %);
- ``_format_tools`` turns those schemas into Gemini function declarations (≈ 15 %);
- the google-genai SDK deep-copies the request config, declarations included (≈ 5 %).

Here the schemas are kept per tool object, the declarations per tool set, and the declarations
are marked as shared values that a deep copy may reuse (the SDK copies the config so that it
can change the config's own fields; it never changes a declaration)."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from google.genai import types
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_google_genai import ChatGoogleGenerativeAI

MAX_CACHED_TOOLSETS = 32
_declarations: OrderedDict[str, list[Any] | None] = OrderedDict()
# id(schema list) -> (that list, its declarations): the schema lists bind_tools hands out are
# reused for every call, so most lookups never serialise a schema.
_declarations_by_list: dict[int, tuple[list[Any], list[Any] | None]] = {}
# tuple of tool ids -> (those tools, their schemas)
_schemas: dict[tuple[int, ...], tuple[tuple[BaseTool, ...], list[dict[str, Any]]]] = {}


class SharedTool(types.Tool):
    """A Gemini tool declaration that is never changed once built: deep copies reuse it."""

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> SharedTool:
        return self


class CachedToolsGemini(ChatGoogleGenerativeAI):
    """``ChatGoogleGenerativeAI`` whose tool schemas and declarations are built once."""

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
