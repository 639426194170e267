"""google-genai's type-mismatch validator, skipped: the same models, no walk over their fields."""

from __future__ import annotations

import logging
from types import FunctionType
from typing import Any

import pydantic
import pytest
from google.genai import _common, types

from fitcoach.agent.genai_checks import SDK_VALIDATOR_CODE, skip_type_mismatch_warnings


@pytest.fixture(autouse=True)
def skipped() -> None:
    # True also tells that the installed SDK's validator is the one read and checked.
    assert skip_type_mismatch_warnings()


def sdk_validator() -> Any:
    function = _common.BaseModel.__dict__["_check_field_type_mismatches"].__func__
    return FunctionType(SDK_VALIDATOR_CODE["code"], function.__globals__)


@pytest.mark.parametrize(
    "data",
    [
        {"parts": [{"text": "hi"}], "role": "user"},
        {"role": "model", "parts": [types.Part(text="x")]},
        types.Content(role="user", parts=[types.Part(text="x")]),
        {"parts": types.FunctionResponse(name="log_meal", response={})},  # a mismatch
        "not a dict",
        None,
    ],
)
def test_the_sdk_validator_only_ever_returned_its_input(data: Any) -> None:
    assert sdk_validator()(types.Content, data) is data


def test_models_are_built_and_validated_as_before(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        part = types.Part(function_call=types.FunctionResponse(name="x", response={}))  # type: ignore[arg-type]
    assert isinstance(part.function_call, types.FunctionCall) and part.function_call.name == "x"
    assert "Type mismatch" not in caplog.text  # the warning is what is skipped
    content = types.Content.model_validate({"role": "user", "parts": [{"text": "hi"}]})
    assert content.parts is not None and content.parts[0].text == "hi"
    response = types.GenerateContentResponse._from_response(
        response={"candidates": [{"content": {"parts": [{"text": "ok"}], "role": "model"}}]},
        kwargs={},
    )
    assert response.text == "ok"
    with pytest.raises(pydantic.ValidationError):
        types.Part(text=5)  # type: ignore[arg-type]
    with pytest.raises(pydantic.ValidationError):
        types.Content(role="user", unknown_field=1)  # type: ignore[call-arg]


def test_skipping_twice_changes_nothing() -> None:
    function = _common.BaseModel.__dict__["_check_field_type_mismatches"].__func__
    code = function.__code__
    assert skip_type_mismatch_warnings()
    assert function.__code__ is code
