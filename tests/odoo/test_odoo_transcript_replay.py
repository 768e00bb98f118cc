"""The double answers the recorded Odoo 17 requests the way the real server did.

Every request of ``transcript.jsonl`` is replayed, in order, over HTTP against a fresh
double; the status code and the reply must match the recording. Values are compared
exactly except the few the real database decided on its own (noted in ``_VOLATILE``).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.conftest import missing
from tests.odoo.conftest import TRANSCRIPT_ENV, transcript_path
from tests.support.odoo_double import OdooDouble

# step -> why its value may differ (only the type/shape is compared there)
_VOLATILE = {
    "purchase_order_lines_read": "date_planned is 'now' plus the vendor lead time",
    "purchase_order_message_post_note": "mail.message ids depend on earlier chatter",
}


def _load() -> list[dict[str, Any]]:
    path = transcript_path()
    if not path.is_file():
        missing(f"recorded Odoo 17 transcript not found at {path} (set {TRANSCRIPT_ENV})")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _normal(value: Any) -> Any:
    """Order-insensitive form: lists of ids or of records are sorted."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normal(v) for v in value]
        if all(isinstance(v, int) and not isinstance(v, bool) for v in items):
            return sorted(items)
        if all(isinstance(v, dict) and "id" in v for v in items):
            return sorted(items, key=lambda v: v["id"])
        return items
    return value


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


def _seed_like_recording(double: OdooDouble) -> None:
    # the recorded database already held 6 partners (company, users ...): the vendor was 7;
    # a fresh double holds its company's and its admin's partners
    held = len(double.odoo.tables["res.partner"])
    for n in range(held, 6):
        double.odoo.create("res.partner", {"name": f"existing partner {n + 1}"})


def test_replaying_the_transcript_gives_the_recorded_answers(odoo_double: OdooDouble) -> None:
    # given a fresh double seeded like the recorded database
    steps = _load()
    _seed_like_recording(odoo_double)
    mismatches: list[str] = []
    with httpx.Client(base_url=odoo_double.url, timeout=5) as http:
        for step in steps:
            # when each recorded request is sent as recorded
            request = step["request"]
            if isinstance(request, str):
                response = http.post(
                    "/jsonrpc", content=request, headers={"Content-Type": "application/json"}
                )
            else:
                response = http.post("/jsonrpc", json=request)
            # then the status and the reply match the recording
            name = step["step"]
            if response.status_code != step["http_status"]:
                mismatches.append(f"{name}: HTTP {response.status_code} != {step['http_status']}")
                continue
            expected = step["response"]
            if "non_json_body" in expected:
                assert "json" not in response.headers["content-type"]
                if expected["non_json_body"] not in response.text:
                    mismatches.append(f"{name}: body {response.text[:80]!r}")
                continue
            got = response.json()
            if name in _VOLATILE:
                same = _shape(got) == _shape(expected)
            else:
                same = _normal(got) == _normal(expected)
            if not same:
                mismatches.append(f"{name}:\n  got      {got}\n  recorded {expected}")
    assert not mismatches, "\n".join(mismatches)
