"""Storing engine findings as JSON and reading them back."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from gateway.edi.model import Issue, Level

GATEWAY = "gateway"  # marks issues the gateway added (partner, duplicate, test mode ...)


def issue_to_json(issue: Issue, *, source: str = "engine") -> dict[str, Any]:
    """A JSON-ready dict of an issue, with its plain-words description."""
    data = {k: v for k, v in dataclasses.asdict(issue).items() if v is not None}
    data["level"] = issue.level.value
    data["source"] = source
    data["text"] = issue.describe()
    return data


def issues_to_json(issues: Iterable[Issue], *, source: str = "engine") -> list[dict[str, Any]]:
    """Serialize a list of issues."""
    return [issue_to_json(i, source=source) for i in issues]


def issue_from_json(data: dict[str, Any]) -> Issue:
    """Rebuild an issue stored by :func:`issue_to_json`."""
    fields = {f.name for f in dataclasses.fields(Issue)}
    kwargs = {k: v for k, v in data.items() if k in fields}
    kwargs["level"] = Level(kwargs["level"])
    return Issue(**kwargs)


def gateway_issues(stored: Iterable[dict[str, Any]]) -> list[Issue]:
    """The issues the gateway itself added (to merge into a fresh parse)."""
    return [issue_from_json(d) for d in stored if d.get("source") == GATEWAY]


def summarize(stored: Iterable[dict[str, Any]], limit: int = 3) -> str:
    """The first few findings in plain words, for error columns and CLI output."""
    texts = [str(d.get("text") or d.get("message")) for d in stored]
    more = f" (+{len(texts) - limit} more)" if len(texts) > limit else ""
    return "; ".join(texts[:limit]) + more
