"""One partner on two X12 releases: identified by its ids alone, each group acknowledged
in its own version and translated through the map of its version; a set in a release the
profile does not list is rejected in the acknowledgement, never accepted then dropped."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from gateway import x12
from gateway.pipeline.runtime import Runtime
from gateway.store.models import Document
from tests.conftest import REPO
from tests.pipeline.conftest import acks_sent, fixture_bytes, ingest
from tests.x12.helpers import Pyx12Validator


def _as_migrating(data: bytes, old: bytes) -> bytes:
    """A sample partner's file re-sent under the migrating distributor's ids."""
    padded = old.ljust(15)
    return data.replace(padded, b"MIGRATING".ljust(15)).replace(old, b"MIGRATING")


def _site(tmp_path: Path, versions: Any) -> Path:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    profile = yaml.safe_load((REPO / "partner_profiles" / "summit-medical.yaml").read_text())
    profile.update(id="migrating-dist", name="Distributor migrating to 5010")
    profile["x12"] = {
        "isa_qualifier": "ZZ",
        "isa_id": "MIGRATING",
        "version": "004010",
        "versions": versions,
    }
    profile.pop("as2")
    profile["maps"] = {}
    profile["acknowledgements"] = {"x12": "999", "ta1": "on_error"}
    (site / "migrating-dist.yaml").write_text(yaml.safe_dump(profile))
    return site


@pytest.fixture(scope="module")
def pyx12_validator() -> Pyx12Validator:
    return Pyx12Validator()


def test_one_partner_sends_4010_855s_and_5010_856s(
    make_runtime: Callable[..., Runtime], tmp_path: Path, pyx12_validator: Pyx12Validator
) -> None:
    from gateway.demo import seed_our_orders

    # given one profile listing both releases, and the orders the 855 answers in Odoo
    runtime = make_runtime(profiles_dir=str(_site(tmp_path, ["004010", "005010"])))
    seed_our_orders(runtime)
    ack_855 = _as_migrating(fixture_bytes("summit-medical", "855_po_ack.edi"), b"SUMMITMED")
    asn_856 = _as_migrating(fixture_bytes("keystone-pharma", "856_ship_notice.edi"), b"KEYSTONERX")
    # when both arrive in one file
    txns = ingest(runtime, ack_855 + asn_856)
    # then both are the same partner's, accepted, and translated through their own maps
    assert [(t.partner_id, t.set_id, t.version) for t in txns] == [
        ("migrating-dist", "855", "004010"),
        ("migrating-dist", "856", "005010"),
    ]
    assert all(t.ack_status == "accepted" for t in txns), [t.issues for t in txns]
    assert all(t.state in ("delivered", "business_exception") for t in txns), [
        (t.state, t.error) for t in txns
    ]
    with runtime.sessions() as s:
        maps = {d.document_type: d.map_name for d in s.scalars(select(Document))}
    assert maps == {
        "order_acknowledgement": "x12/004010/855",
        "ship_notice": "x12/005010/856",
    }
    # and each interchange is acknowledged in its version: a 997 004010 for the 4010
    # group (the 999 does not exist there) and a 999 005010X231A1 for the 5010 one
    acks = acks_sent(runtime)
    answered = [x12.parse_payload(a).interchanges[0].groups[0] for a in acks]
    assert [(g.version, g.transactions[0].set_id) for g in answered] == [
        ("004010", "997"),
        ("005010X231A1", "999"),
    ]
    for data in acks:
        assert pyx12_validator.errors(data) == []


def test_a_set_in_a_release_the_profile_does_not_list_is_rejected_in_the_ack(
    make_runtime: Callable[..., Runtime], tmp_path: Path, pyx12_validator: Pyx12Validator
) -> None:
    # given a partner whose 855s are 004010 only and 856s 005010 only
    site = _site(tmp_path, {"855": ["004010"], "856": ["005010"]})
    runtime = make_runtime(profiles_dir=str(site))
    # when a 5010 855 arrives (the keystone sample's 855, under the partner's ids)
    data = _as_migrating(fixture_bytes("keystone-pharma", "855_po_ack.edi"), b"KEYSTONERX")
    (txn,) = ingest(runtime, data)
    # then it is rejected at validation, never translated
    assert (txn.set_id, txn.version, txn.state) == ("855", "005010", "rejected")
    assert "set up for X12 004010 for 855" in (txn.error or "")
    with runtime.sessions() as s:
        assert s.scalars(select(Document)).all() == []
    # and the 999 says so: IK5 R with code 1 (transaction set not supported) and AK9 R
    # with AK905 2 (functional group version not supported)
    (ack,) = acks_sent(runtime)
    assert pyx12_validator.errors(ack) == []
    segments = [
        list(seg.parts)
        for t in x12.parse_payload(ack).interchanges[0].transactions
        for seg in t.segments
    ]
    assert ["IK5", "R", "1"] in segments
    assert ["AK9", "R", "1", "1", "0", "2"] in segments
