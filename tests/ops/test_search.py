"""Business-key search: partial, case-insensitive, before translation (finding 9)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from gateway.api.app import create_app
from tests.api.world import make_world
from tests.ops.partner_files import purchase_order


def test_fragment_of_a_po_number_finds_documents_translated_or_not(tmp_path: Path) -> None:
    world = make_world(tmp_path, documents=False)
    # one translated 850 and one from an unknown sender (rejected before translation)
    world.feed("known", purchase_order("KEYSTONERX", 4401), "known.edi")
    world.feed("unknown", purchase_order("STRANGERRX", 4402), "unknown.edi")
    with TestClient(create_app(world.runtime)) as client:
        headers = world.headers("viewer")
        found = client.get(
            "/api/v1/transactions", params={"business_key": "keystonerx-44"}, headers=headers
        ).json()
        keys = sorted(t["business_key"] for t in found["items"])
        assert keys == ["PO-KEYSTONERX-4401"]
        untranslated = client.get(
            "/api/v1/transactions", params={"business_key": "stranger"}, headers=headers
        ).json()
        assert [(t["business_key"], t["state"]) for t in untranslated["items"]] == [
            ("PO-STRANGERRX-4402", "rejected")
        ]
        # the tracker page: a fragment finds it; nothing found says so
        client.post("/login", data={"key": world.keys["viewer"]})
        page = client.get("/messages", params={"business_key": "po-keystone"}).text
        assert "PO-KEYSTONERX-4401" in page
        none = client.get("/messages", params={"business_key": "no-such-po"}).text
        assert "Nothing matches these filters" in none


def test_timeline_says_why_an_acknowledgement_is_kept_for_download(tmp_path: Path) -> None:
    from sqlalchemy import select

    from gateway.store.db import session_scope
    from gateway.store.models import Event

    world = make_world(tmp_path, documents=False)
    world.feed("po", purchase_order("KEYSTONERX", 4501), "po.edi")
    with session_scope(world.runtime.sessions) as session:
        details = list(session.scalars(select(Event.detail).where(Event.kind == "ack_stored")))
    assert details, "the 999 was kept for download"
    for text in details:
        assert "none configured" not in text and "kept for download: " in text
        assert text.endswith(("acknowledgements", "in this process"))
