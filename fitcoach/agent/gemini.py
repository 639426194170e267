"""The Gemini chat model, with the tool declarations converted once instead of per call.

``langchain-google-genai`` turns the bound tools' JSON schemas into Gemini function
declarations on every request (dereferencing, schema conversion): about 15 % of the CPU of a
turn under load (bench/load.py, py-spy). The tools are the same for every turn, so the result
is kept, keyed by the schemas themselves."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from langchain_google_genai import ChatGoogleGenerativeAI

MAX_CACHED_TOOLSETS = 32
_declarations: OrderedDict[str, list[Any] | None] = OrderedDict()


class CachedToolsGemini(ChatGoogleGenerativeAI):
    """``ChatGoogleGenerativeAI`` whose tool declarations are converted once per tool set."""

    def _format_tools(
        self,
        tools: Sequence[Any] | None = None,
        functions: Sequence[Any] | None = None,
    ) -> list[Any] | None:
        try:
            key = json.dumps([tools, functions], sort_keys=True)
        except (TypeError, ValueError):  # Google tool objects, callables: convert as usual
            return super()._format_tools(tools, functions)
        if key not in _declarations:
            _declarations[key] = super()._format_tools(tools, functions)
            if len(_declarations) > MAX_CACHED_TOOLSETS:
                _declarations.popitem(last=False)
        declarations = _declarations[key]
        return list(declarations) if declarations is not None else None
