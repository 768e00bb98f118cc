"""Orders changed or cancelled in Odoo after they were sent: 860/ORDCHG or an exception.

The pipeline runs for real (SQLite store, payload store, inline runner, our validator,
the partner's maps); Odoo is a small table-backed stand-in answering the calls the poll
and the order reader make (``search_read``/``read`` with the domains they use,
``message_post``), and the transport a recorder. The real-Odoo version of this is
tests/odoo_real/test_outbound_changes.py.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from gateway.engines import parse_payload
from gateway.odoo.api import OdooApi, Values
from gateway.odoo.dialect import OdooDialect
from gateway.pipeline.build import build_runtime
from gateway.pipeline.dispatch import InlineDispatcher
from gateway.pipeline.outbound import list_orders, poll, record_functional_ack, resend_stalled
from gateway.pipeline.runtime import Runtime
from gateway.settings import Settings
from gateway.store.db import session_scope
from gateway.store.models import BusinessException, OutboundChange, OutboundOrder

REPO = Path(__file__).resolve().parents[2]


class TableOdoo(OdooApi):
    """Records in dicts; the domain operators the outbound poll and reader use."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[int, Values]] = {}
        self.notes: list[tuple[int, str]] = []
        self.clock = dt.datetime(2026, 12, 4, 9, 0, 0)

    @property
    def dialect(self) -> OdooDialect:
        return OdooDialect(major=17, server_version="17.0")

    def add(self, model: str, **values: Any) -> int:
        table = self.tables.setdefault(model, {})
        record_id = max(table, default=0) + 1
        table[record_id] = {"id": record_id, **values}
        return record_id

    def touch(self, order_id: int, **values: Any) -> None:
        """Write on a purchase order as Odoo does: a newer write_date."""
        self.clock += dt.timedelta(minutes=1)
        order = self.tables["purchase.order"][order_id]
        order.update(values, write_date=self.clock.strftime("%Y-%m-%d %H:%M:%S"))

    def _matches(self, row: Values, domain: Sequence[Any]) -> bool:
        for name, op, value in domain:
            have = row.get(name)
            have = have[0] if isinstance(have, list) and have and op != "in" else have
            if isinstance(have, list) and have:
                have = have[0]
            if op == "=" and have != value:
                return False
            if op == "in" and have not in value:
                return False
            if op == ">=" and not (have and str(have) >= str(value)):
                return False
        return True

    def call(
        self,
        model: str,
        method: str,
        *,
        ids: Sequence[int] | None = None,
        params: Values | None = None,
        context: Values | None = None,
    ) -> Any:
        params = params or {}
        table = self.tables.get(model, {})
        if method == "read":
            return [dict(table[i]) for i in ids or [] if i in table]
        if method == "search_read":
            rows = [dict(r) for r in table.values() if self._matches(r, params["domain"])]
            if "write_date" in str(params.get("order")):
                rows.sort(key=lambda r: (str(r.get("write_date")), r["id"]))
            offset = int(params.get("offset") or 0)
            limit = params.get("limit")
            return rows[offset : offset + limit if limit else None]
        if method == "message_post":
            self.notes.extend((i, str(params.get("body"))) for i in ids or [])
            return 1
        raise AssertionError(f"unexpected call {model}.{method}")


class Recorder:
    """The partner's side of the transport: every file it was handed."""

    def __init__(self) -> None:
        self.files: list[tuple[str, bytes]] = []

    def send(self, partner_id: str, filename: str, data: bytes, *, kind: str) -> str:
        self.files.append((filename, data))
        return f"outbox/{filename}"


def _odoo(vendor_ref: str) -> tuple[TableOdoo, int]:
    odoo = TableOdoo()
    vendor = odoo.add("res.partner", name="Supplier", ref=vendor_ref, street="1 Dock Rd",
                      city="Dayton", zip="45402", state_id=False, country_id=False)  # fmt: skip
    for code, barcode in (
        ("A", "00012345600012"),
        ("B", "00012345600029"),
        ("C", "00012345600036"),
    ):
        template = odoo.add("product.template", name=f"Item {code}")
        odoo.add("product.product", default_code=f"OUR-{code}", barcode=barcode,
                 product_tmpl_id=[template, f"Item {code}"])  # fmt: skip
        odoo.add(
            "product.supplierinfo",
            partner_id=[vendor, "Supplier"],
            product_code=f"V-{code}",
            product_id=False,
            product_tmpl_id=[template, f"Item {code}"],
            sequence=1,
        )
    lines = [_line(odoo, 1, 1, 10), _line(odoo, 1, 2, 5)]
    odoo.add("purchase.order", name="PO-7001", state="purchase", partner_id=[vendor, "Supplier"],
             company_id=False, currency_id=[1, "USD"], date_order="2026-12-01 08:00:00",
             date_approve="2026-12-01 08:05:00", date_planned="2026-12-10 00:00:00",
             partner_ref=False, picking_type_id=False, order_line=lines,
             write_date="2026-12-04 08:00:00")  # fmt: skip
    return odoo, 1


def _line(odoo: TableOdoo, order_id: int, product: int, qty: float) -> int:
    return odoo.add(
        "purchase.order.line",
        order_id=[order_id, "PO-7001"],
        product_id=[product, f"Item {product}"],
        name=f"Item {product}",
        product_qty=qty,
        product_uom=[1, "Units"],
        price_unit=2.5,
        date_planned="2026-12-10 00:00:00",
        display_type=False,
    )


def _runtime(
    tmp_path: Path, partner: str, changes: str, odoo: TableOdoo, database_url: str | None = None
) -> tuple[Runtime, Recorder]:
    profiles = tmp_path / "profiles"
    profiles.mkdir(exist_ok=True)
    profile = yaml.safe_load((REPO / "partner_profiles" / f"{partner}.yaml").read_text())
    profile.pop("as2", None)
    profile.pop("maps", None)
    profile["sftp"] = {"hosted": {"username": partner.split("-", maxsplit=1)[0]}}
    profile["outbound"] = {"purchase_order": {"transport": "sftp", "changes": changes}}
    profile["odoo"]["uom"] = {"EA": "Units"}
    (profiles / f"{partner}.yaml").write_text(yaml.safe_dump(profile))
    settings = Settings(data_dir=tmp_path / "var", profiles_dir=str(profiles),
                        task_backoff_seconds=0.01, database_url=database_url,
                        shipped_profiles=False)  # fmt: skip
    runtime = build_runtime(settings, dispatcher=InlineDispatcher(), odoo_factory=lambda: odoo)
    recorder = Recorder()
    runtime.senders["sftp"] = recorder
    return runtime, recorder


def _run(runtime: Runtime) -> Any:
    result = poll(runtime)
    assert not result.errors, result.errors
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    return result


def _x12_segments(data: bytes) -> list[list[str]]:
    payload = parse_payload(data)
    (interchange,) = payload.interchanges
    (group,) = interchange.groups
    (tx,) = group.transactions
    assert not [i for i in tx.issues if i.fatal], tx.issues
    return [[seg.tag, *(str(e) for e in seg.elements)] for seg in tx.segments]


def _change_quantity_and_add_line(odoo: TableOdoo, order_id: int) -> None:
    odoo.tables["purchase.order.line"][1]["product_qty"] = 12
    added = _line(odoo, order_id, 3, 7)
    order = odoo.tables["purchase.order"][order_id]
    odoo.touch(order_id, order_line=[*order["order_line"], added])


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_x12_change_cancel_and_their_997(
    tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("postgres_url") if database == "postgresql" else None
    odoo, order_id = _odoo("SUMMIT")
    runtime, partner = _runtime(tmp_path, "summit-medical", "send", odoo, url)
    # given the 850 went out
    _run(runtime)
    assert [name.split("_")[0] for name, _ in partner.files] == ["850"]
    # when the buyer raises line 1 from 10 to 12 and adds item C in Odoo
    _change_quantity_and_add_line(odoo, order_id)
    result = _run(runtime)
    # then one 860 goes out, valid, with the supplier's line numbers and the right codes
    assert result.changed == ["PO-7001"]
    assert [name.split("_")[0] for name, _ in partner.files] == ["850", "860"]
    segments = _x12_segments(partner.files[1][1])
    bch = next(s for s in segments if s[0] == "BCH")
    assert bch[1:4] == ["04", "SA", "PO-7001"]
    assert bch[5] == "1"  # BCH05: the change's number, revision 1
    pocs = [s for s in segments if s[0] == "POC"]
    assert [p[1:4] for p in pocs] == [["1", "QI", "12"], ["3", "AI", "7"]]
    assert pocs[1][8:10] == ["VP", "V-C"]
    # and a poll that finds nothing new sends nothing more
    _run(runtime)
    assert len(partner.files) == 2
    with session_scope(runtime.sessions) as session:
        (change,) = session.scalars(select(OutboundChange)).all()
        assert (change.revision, change.purpose, change.state) == (1, "change", "sent")
        group = change.group_control
        order = session.scalars(select(OutboundOrder)).one()
        assert any("change 1 sent as 860" in note for note in order.notes_pending)
    # when the supplier's 997 rejects the 860's group
    with session_scope(runtime.sessions) as session:
        touched = record_functional_ack(session, "summit-medical", "997", None, group, "rejected",
                                        ["5"])  # fmt: skip
        assert touched == [order.id]
    with session_scope(runtime.sessions) as session:
        assert session.scalars(select(OutboundChange)).one().state == "rejected"
        kinds = [e.kind for e in session.scalars(select(BusinessException))]
        assert kinds == ["order_change_rejected"]
        # the order itself stays where its own 997 left it (none yet: sent)
        assert session.scalars(select(OutboundOrder)).one().state == "sent"
    # when the order is cancelled in Odoo
    odoo.touch(order_id, state="cancel")
    _run(runtime)
    # then an 860 with BCH01 01 goes out and the order is cancelled in our cycle
    assert [name.split("_")[0] for name, _ in partner.files] == ["850", "860", "860"]
    cancel = _x12_segments(partner.files[2][1])
    assert next(s for s in cancel if s[0] == "BCH")[1] == "01"
    assert not [s for s in cancel if s[0] == "POC"]
    (row,) = list_orders(runtime.sessions())
    assert row["state"] == "cancelled"
    assert [(c["revision"], c["purpose"], c["state"]) for c in row["changes"]] == [
        (1, "change", "rejected"),
        (2, "cancel", "sent"),
    ]
    # the console's Orders view lists both change orders with their states
    from fastapi.testclient import TestClient

    from gateway.api.app import create_app
    from gateway.api.auth import create_key

    with session_scope(runtime.sessions) as session:
        _, key = create_key(session, "viewer-test", "viewer")
    page = TestClient(create_app(runtime=runtime)).get(
        "/orders?q=7001", headers={"Authorization": f"Bearer {key}"}
    )
    assert page.status_code == 200
    first, second = row["changes"]
    assert f"860 {first['interchange_control']} change 1" in page.text
    assert f"860 {second['interchange_control']} cancel" in page.text
    # control numbers: each 860 its own interchange, never the 850's
    controls = [parse_payload(data).interchanges[0].control_number for _, data in partner.files]
    assert len(set(controls)) == 3


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_crash_after_writing_the_860_sends_that_860_once(
    tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("postgres_url") if database == "postgresql" else None
    odoo, order_id = _odoo("SUMMIT")
    runtime, partner = _runtime(tmp_path, "summit-medical", "send", odoo, url)
    _run(runtime)
    _change_quantity_and_add_line(odoo, order_id)
    # given the worker died after the 860 was written and stored, before it was sent
    poll(runtime)
    runtime.dispatcher._heap.clear()  # type: ignore[attr-defined]  # the lost task
    assert [name.split("_")[0] for name, _ in partner.files] == ["850"]
    # when the process restarts: a poll finds nothing new, the stalled change is resent
    again, partner_again = _runtime(tmp_path, "summit-medical", "send", odoo, url)
    assert poll(again).changed == []
    again.dispatcher.dispatch(resend_stalled(again, older_than=dt.timedelta(0)))
    again.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    assert resend_stalled(again, older_than=dt.timedelta(0)) == []
    # then exactly one 860 reached the supplier, under the control number drawn first
    assert [name.split("_")[0] for name, _ in partner_again.files] == ["860"]
    with session_scope(again.sessions) as session:
        (change,) = session.scalars(select(OutboundChange)).all()
        sent = parse_payload(partner_again.files[0][1]).interchanges[0].control_number
        assert int(sent) == int(change.interchange_control)


def test_with_changes_exception_nothing_is_sent_and_the_buyer_is_told(tmp_path: Path) -> None:
    odoo, order_id = _odoo("SUMMIT")
    runtime, partner = _runtime(tmp_path, "summit-medical", "exception", odoo)
    _run(runtime)
    _change_quantity_and_add_line(odoo, order_id)
    assert _run(runtime).changed == ["PO-7001"]
    odoo.touch(order_id, state="cancel")
    _run(runtime)
    assert [name.split("_")[0] for name, _ in partner.files] == ["850"]
    with session_scope(runtime.sessions) as session:
        assert session.scalars(select(OutboundChange)).all() == []
        messages = [e.message for e in session.scalars(select(BusinessException))]
    assert len(messages) == 2
    assert "was changed in Odoo after it was sent" in messages[0] and "NOT told" in messages[0]
    assert "was cancelled in Odoo after it was sent" in messages[1]


def test_cancelled_before_it_was_ever_sent_is_ignored(tmp_path: Path) -> None:
    odoo, order_id = _odoo("SUMMIT")
    odoo.tables["purchase.order"][order_id]["state"] = "cancel"
    runtime, partner = _runtime(tmp_path, "summit-medical", "send", odoo)
    _run(runtime)
    assert partner.files == []
    with session_scope(runtime.sessions) as session:
        assert session.scalars(select(OutboundOrder)).all() == []


@pytest.mark.parametrize("directory", ["D96A", "D01B"])
def test_edifact_ordchg(tmp_path: Path, directory: str) -> None:
    odoo, order_id = _odoo("NORDLICHT")
    runtime, partner = _runtime(tmp_path, "nordlicht-medtech", "send", odoo)
    if directory != "D96A":
        path = tmp_path / "profiles" / "nordlicht-medtech.yaml"
        profile = yaml.safe_load(path.read_text())
        profile["edifact"]["directory"] = directory
        path.write_text(yaml.safe_dump(profile))
        runtime.reload()
    _run(runtime)
    # when line 2 is deleted and line 1 raised in Odoo
    odoo.tables["purchase.order.line"][1]["product_qty"] = 12
    odoo.touch(order_id, order_line=[1])
    _run(runtime)
    assert [name.split("_")[0] for name, _ in partner.files] == ["ORDERS", "ORDCHG"]
    data = partner.files[1][1]
    payload = parse_payload(data)
    (interchange,) = payload.interchanges
    assert not [i for g in interchange.groups for t in g.transactions for i in t.issues if i.fatal]
    text = data.decode()
    assert f"ORDCHG:D:{directory[1:]}:UN" in text
    assert "BGM+230+PO-7001+4'" in text and "RFF+ON:PO-7001'" in text
    assert "LIN+1+3+00012345600012:EN'" in text and "QTY+21:12:EA'" in text
    assert "LIN+2+2+00012345600029:EN'" in text and "QTY+21:0:EA'" in text
    # a CONTRL accepting the ORDCHG's interchange marks the change accepted
    with session_scope(runtime.sessions) as session:
        change = session.scalars(select(OutboundChange)).one()
        record_functional_ack(session, "nordlicht-medtech", "CONTRL", change.interchange_control,
                              None, "accepted")  # fmt: skip
    with session_scope(runtime.sessions) as session:
        assert session.scalars(select(OutboundChange)).one().state == "accepted"


def test_outbound_list_shows_the_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from gateway.cli.main import app
    from gateway.settings import get_settings

    odoo, order_id = _odoo("SUMMIT")
    runtime, _ = _runtime(tmp_path, "summit-medical", "send", odoo)
    _run(runtime)
    _change_quantity_and_add_line(odoo, order_id)
    _run(runtime)
    monkeypatch.setenv("EDIGW_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        listed = CliRunner().invoke(app, ["outbound", "list", "--json"])
        table = CliRunner().invoke(app, ["outbound", "list"])
    finally:
        get_settings.cache_clear()
    assert listed.exit_code == 0, listed.output
    (row,) = [json.loads(line) for line in listed.stdout.splitlines()]
    (change,) = row["changes"]
    assert (change["set"], change["purpose"], change["state"]) == ("860", "change", "sent")
    assert change["summary"] == ["line 1 (V-A): quantity 10 -> 12", "line 3 (V-C) added (7 EA)"]
    # the table (wrapped to the terminal) has the change order's set in its changes column
    assert table.exit_code == 0 and "860" in table.stdout and "changes" in table.stdout
