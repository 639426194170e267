"""Words for the people around a person, shared by the rules that tell their own logs,
weights and requests from talk about someone else ("my wife ran 10k", "my friend is 30")."""

from __future__ import annotations

OTHER_PEOPLE = (
    r"(?:wife|husband|partner|friends?|son|daughter|kids?|children|brother|sister|mum|mom|dad|"
    r"mother|father|parents?|boyfriend|girlfriend|colleague|coworker|boss|coach|trainer|"
    r"doctor|physio|dog|cat)"
)
"""A regex alternation (no groups) of those words; the callers add "my" and the context."""
