"""``outbound list`` / the console's Orders search: a PO-number fragment, taken literally."""

from __future__ import annotations

import uuid
from pathlib import Path

from gateway.pipeline.build import build_runtime
from gateway.pipeline.outbound import list_orders
from gateway.settings import Settings
from gateway.store.db import session_scope
from gateway.store.models import OutboundOrder


def test_search_takes_like_wildcards_literally(tmp_path: Path) -> None:
    runtime = build_runtime(Settings(data_dir=tmp_path, profiles_dir=str(tmp_path)))
    with session_scope(runtime.sessions) as session:
        for n, po in enumerate(["PO_1", "PO-1", "PO%2", "PO12"], 1):
            session.add(
                OutboundOrder(
                    partner_id="summit-medical", odoo_id=n, business_key=po, syntax="x12",
                    set_id="850", map_name="x12/004010/850", transport="sftp",
                    correlation_id=str(uuid.uuid4()),
                )
            )  # fmt: skip
    with session_scope(runtime.sessions) as session:
        found = lambda text: sorted(r["po_number"] for r in list_orders(session, search=text))  # noqa: E731
        # "_" and "%" are characters of a PO number here, not LIKE wildcards
        assert found("O_1") == ["PO_1"]
        assert found("O%") == ["PO%2"]
        assert found("po") == ["PO%2", "PO-1", "PO12", "PO_1"]  # case-insensitive fragment
        assert found("") == ["PO%2", "PO-1", "PO12", "PO_1"]
    runtime.engine.dispose()
