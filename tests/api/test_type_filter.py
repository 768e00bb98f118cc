"""The tracker's document-type filter offers what is stored, and each option finds it."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.api.app import create_app
from gateway.documents import REGISTRY
from gateway.store.db import session_scope
from gateway.store.models import Transaction
from tests.api.world import make_world

FIXTURES = Path(__file__).parents[1] / "fixtures" / "partners"
# every good sample of two shipped partners: one X12, one EDIFACT
FILES = sorted(
    f"{partner}/{path.name}"
    for partner in ("keystone-pharma", "nordlicht-medtech")
    for path in (FIXTURES / partner).glob("*.edi")
    if "_ERROR_" not in path.name
)


def _options(html: str) -> dict[str, str]:
    select_html = re.search(r'<select id="document_type".*?</select>', html, re.S)
    assert select_html, "the tracker has no type filter"
    found = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select_html.group(0))
    return {value: label for value, label in found if value}


def _listed(client: TestClient, document_type: str) -> set[int]:
    response = client.get("/messages", params={"document_type": document_type, "view": "documents"})
    assert response.status_code == 200, response.text
    return {int(i) for i in re.findall(r'<tr><td><a href="/documents/(\d+)">', response.text)}


def test_every_stored_document_type_is_filterable(tmp_path: Path) -> None:
    # given one document of every registered type in X12 and in EDIFACT, fed through the
    # real pipeline (which stores the type it reads from the registry)
    world = make_world(tmp_path, documents=False)
    for name in FILES:
        world.feed(name, (FIXTURES / name).read_bytes(), Path(name).name)
    with session_scope(world.runtime.sessions) as session:
        rows = session.execute(
            select(Transaction.id, Transaction.document_type, Transaction.set_id)
        )
        stored: dict[str, set[int]] = {}
        by_set: dict[str, set[int]] = {}
        for txn_id, document_type, set_id in rows:
            stored.setdefault(document_type, set()).add(txn_id)
            by_set.setdefault(set_id, set()).add(txn_id)
    # every type a partner sends us was stored, none other (846/832 and INVRPT/PRICAT are
    # only ever sent by us: their registry entry travels outbound only)
    assert set(stored) == {t.name for t in REGISTRY if "inbound" in t.directions}
    with TestClient(create_app(world.runtime)) as client:
        login = client.post("/login", data={"key": world.keys["viewer"], "next": "/"})
        assert login.status_code == 200
        options = _options(client.get("/messages").text)
        # when filtering by each stored type (and each set id that carried one)
        for document_type, ids in stored.items():
            # then the filter offers it under its label and lists exactly those documents
            assert document_type in options, f"{document_type} is not offered"
            assert options[document_type] == next(
                t.label for t in REGISTRY if t.name == document_type
            )
            assert _listed(client, document_type) == ids
        for set_id, ids in by_set.items():
            assert set_id in options, f"set {set_id} is not offered"
            assert _listed(client, set_id) == ids
    # and nothing offered is a name no document can be stored under (the old "order_ack")
    known = {t.name for t in REGISTRY} | {s for t in REGISTRY for s in t.set_ids}
    assert set(options) - known <= {"997", "999", "CONTRL"}
