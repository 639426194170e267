"""google-genai's type-mismatch warning, skipped: it never changes what it validates.

Every google-genai model (``Content``, ``Part``, the request config, each piece of a response)
runs a ``mode="before"`` validator, ``_check_field_type_mismatches``, that walks all of the
model's fields (``get_origin``/``get_args`` of each annotation, three ``isinstance`` tests) to
log a warning when a field holds a pydantic model of another class, and then returns its input
unchanged. A turn builds a few dozen of these models (the history's contents and parts, the
config, the response), and under callgrind the validator was ≈ 7 % of an agent turn's
instructions (bench/agent_instructions.py).

:func:`skip_type_mismatch_warnings` gives that one function the body ``return data``: every
schema keeps calling it, so nothing is rebuilt and validation is otherwise the SDK's own. It
does so only for the source it was checked against (:data:`CHECKED_SOURCE_SHA256`); a new SDK
whose validator differs keeps its validator, and tests/unit/agent/test_genai_checks.py fails so
that the new one gets read."""

from __future__ import annotations

import hashlib
import inspect
from types import CodeType, FunctionType
from typing import Any

from google.genai import _common

CHECKED_SOURCE_SHA256 = "95c4d9d02f97b5c78bcfaee449310c040c2af327b425a3e470607aa11b413da2"
"""sha256 of the validator's source in google-genai 2.34.0, which only logs and returns data."""

_VALIDATOR = "_check_field_type_mismatches"
SDK_VALIDATOR_CODE: dict[str, CodeType] = {}
"""The SDK's own code of the validator, kept when it is replaced (for the tests)."""


def _pass_through(cls: type, data: Any) -> Any:
    return data


def skip_type_mismatch_warnings() -> bool:
    """Make the SDK's validator return its input at once (idempotent); False when the
    installed SDK's validator is not the one checked, which then stays as it is."""
    function = getattr(_common.BaseModel.__dict__.get(_VALIDATOR), "__func__", None)
    if not isinstance(function, FunctionType):
        return False
    if function.__code__ is _pass_through.__code__:
        return True
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return False
    if hashlib.sha256(source.encode()).hexdigest() != CHECKED_SOURCE_SHA256:
        return False
    SDK_VALIDATOR_CODE["code"] = function.__code__
    function.__code__ = _pass_through.__code__
    return True
