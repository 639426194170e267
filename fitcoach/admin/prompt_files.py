"""Prompt document files, re-read when they change; a bad file never replaces a good one."""

from __future__ import annotations

from pathlib import Path

import structlog

from fitcoach.agent.prompts import (
    DEFAULT_PROMPTS_DIR,
    DOCUMENTS,
    PromptDocument,
    PromptError,
    PromptIssue,
    file_name,
    load_document,
)

log = structlog.get_logger(__name__)
Stamp = tuple[int, int] | None


class PromptFiles:
    """The documents of one directory (the packaged file stands in for a missing one).

    ``reload()`` re-validates files whose modification time or size changed. An invalid file
    is reported in ``issues`` (file, field, problem) and the last good version stays in use;
    with no good version yet, the packaged default is used."""

    def __init__(self, prompts_dir: Path | None = None) -> None:
        self.dir = prompts_dir or DEFAULT_PROMPTS_DIR
        self.docs: dict[str, PromptDocument] = {}
        self.issues: dict[str, list[PromptIssue]] = {}
        self._stamps: dict[str, Stamp] = {}

    def path(self, document: str) -> Path:
        """The file that holds a document (the packaged one when the directory lacks it)."""
        own = self.dir / file_name(document)
        return own if own.exists() else DEFAULT_PROMPTS_DIR / file_name(document)

    def reload(self) -> bool:
        """Re-read changed files; True when a document in use changed."""
        changed = False
        for document in DOCUMENTS:
            path = self.path(document)
            stamp = _stamp(path)
            if document in self.docs and stamp == self._stamps.get(document):
                continue
            self._stamps[document] = stamp
            try:
                self.docs[document] = load_document(document, path.parent)
            except PromptError as exc:
                self.issues[document] = exc.issues
                log.error("prompt_file_invalid", issues=[str(i) for i in exc.issues])
                if document not in self.docs:
                    self.docs[document] = self._packaged(document, exc)
                    changed = True
                continue
            self.issues.pop(document, None)
            changed = True
        return changed

    def _packaged(self, document: str, error: PromptError) -> PromptDocument:
        if self.dir == DEFAULT_PROMPTS_DIR:
            raise error
        return load_document(document, DEFAULT_PROMPTS_DIR)


def _stamp(path: Path) -> Stamp:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def all_issues(files: PromptFiles) -> list[PromptIssue]:
    """Every problem currently reported for the files."""
    return [issue for issues in files.issues.values() for issue in issues]
