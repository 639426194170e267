"""Voice notes: the model transcribes the audio; the transcript joins the normal text flow."""

from __future__ import annotations

import base64
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

TRANSCRIBE_PROMPT = (
    "Transcribe this voice note verbatim in its original language. Reply with the transcript "
    "only, no comments."
)


async def transcribe(model: BaseChatModel, path: Path, mime_type: str) -> str:
    """The words spoken in an audio file."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    message = HumanMessage(
        content=[
            {"type": "text", "text": TRANSCRIBE_PROMPT},
            {"type": "audio", "base64": data, "mime_type": mime_type},
        ]
    )
    reply = await model.ainvoke([message])
    return reply.text.strip()
