"""The dry run's call-file and journal lines, encoded once per call, are the very text
``json.dumps`` writes for the dicts docs/odoo.md describes (the format did not change)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from gateway.odoo.client import to_execute_kw
from gateway.odoo.dryrun import _Call

Params = dict[str, Any] | None
CALLS: list[tuple[str, str, list[int] | None, Params, Params]] = [
    ("purchase.order", "search_read", None, {"domain": [["a", "=", 1]], "fields": ["x"]}, None),
    ("purchase.order", "write", [1, 2], {"vals": {"a": Decimal("1.5"), "b": "é\""}}, {"x": 1}),
    ("purchase.order", "button_confirm", [3], None, None),
    ("purchase.order", "search", None, {"limit": 3, "domain": []}, {"x": 1}),
    ("purchase.order", "create", None, {"vals_list": [{"a": 1, 2: None}]}, {}),
    ("purchase.order", "fields_get", None, {"attributes": ["type"]}, None),
    ("mail.message", "search_count", None, {"limit": 1}, None),
]  # fmt: skip


@pytest.mark.parametrize(("model", "method", "ids", "params", "context"), CALLS)
def test_lines_are_what_json_dumps_writes(
    model: str,
    method: str,
    ids: list[int] | None,
    params: dict[str, Any] | None,
    context: dict[str, Any] | None,
) -> None:
    # given a call as the dry run used to write it
    args, kwargs = to_execute_kw(method, ids, params, context)
    line = {
        "model": model,
        "method": method,
        "ids": list(ids) if ids is not None else None,
        "params": params or {},
        "context": context or {},
        "execute_kw": {"args": args, "kwargs": kwargs},
    }
    call = _Call(model, method, ids, params, context)
    # then its call-file lines (answer or error) and journal line are the same text
    for name, value in (("answer", [{"id": 1, "v": Decimal(2)}]), ("error", {"name": "n"})):
        expected = json.dumps({**line, name: value}, default=str) + "\n"
        assert call.line(name, value).decode() == expected
    journal = json.dumps({"at": "T", "call": [model, method, args, kwargs]}, default=str)
    assert call.journal("T", model, method).decode() == journal + "\n"
