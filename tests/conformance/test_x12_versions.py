"""Versions per partner and per set, as the acknowledgement states them (X12.6).

``tests/pipeline/test_partner_versions.py`` covers a 5010 set from a partner set up for
4010 (999: IK5 R 1, AK9 R with AK905 2). Here the 4010 family: a group in a release the
profile does not list is answered by a 997 in that group's own release (a 999 does not
exist before 005010, whatever the profile asks), with AK5 R 1 "transaction set not
supported" and AK905 2 "functional group version not supported"; a listed release in the
same partner's traffic is accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gateway import x12
from gateway.pipeline.runtime import Runtime
from tests.pipeline.conftest import acks_sent, fixture_bytes, ingest, make_runtime  # noqa: F401 (fixture)
from tests.pipeline.test_partner_versions import _as_migrating, _site
from tests.x12.helpers import Pyx12Validator


@pytest.fixture(scope="module")
def pyx12_validator() -> Pyx12Validator:
    return Pyx12Validator()


def _in_release(data: bytes, isa12: bytes, gs08: bytes) -> bytes:
    """The sample 004010 file re-sent as another 4010-family release."""
    return data.replace(b"*00401*", b"*" + isa12 + b"*", 1).replace(
        b"*X*004010~", b"*X*" + gs08 + b"~", 1
    )


def _segments(ack: bytes) -> tuple[str, list[list[str]]]:
    interchange = x12.parse_payload(ack).interchanges[0]
    group = interchange.groups[0]
    return group.version, [list(s.parts) for t in group.transactions for s in t.segments]


def test_unlisted_4010_family_release_gets_a_997_in_its_release_with_ak5_1_and_ak905_2(
    make_runtime: Callable[..., Runtime],  # noqa: F811
    tmp_path: Path,
    pyx12_validator: Pyx12Validator,
) -> None:
    # given a partner whose 855s are 004010 only (the profile asks for 999s)
    site = _site(tmp_path, {"855": ["004010"], "856": ["005010"]})
    runtime = make_runtime(profiles_dir=str(site))
    sample = _as_migrating(fixture_bytes("summit-medical", "855_po_ack.edi"), b"SUMMITMED")
    # when the same 855 arrives as 004030 (ISA12 00403, GS08 004030)
    (txn,) = ingest(runtime, _in_release(sample, b"00403", b"004030"))
    assert (txn.set_id, txn.version, txn.state) == ("855", "004030", "rejected")
    # then the answer is a 997 (4010 family) in 004030 that rejects the set and the group
    (ack,) = acks_sent(runtime)
    version, segments = _segments(ack)
    assert version == "004030"
    assert next(s for s in segments if s[0] == "ST")[1] == "997"
    assert ["AK5", "R", "1"] in segments  # 718 code 1: transaction set not supported
    assert ["AK9", "R", "1", "1", "0", "2"] in segments  # 716 code 2: version not supported
    assert pyx12_validator.errors(ack) == []


def test_the_listed_release_of_the_same_partner_is_accepted_in_a_997(
    make_runtime: Callable[..., Runtime],  # noqa: F811
    tmp_path: Path,
    pyx12_validator: Pyx12Validator,
) -> None:
    # the profile lists 004030 next to 004010 for 855: the 004030 855 is accepted
    site = _site(tmp_path, {"855": ["004010", "004030"], "856": ["005010"]})
    runtime = make_runtime(profiles_dir=str(site))
    sample = _as_migrating(fixture_bytes("summit-medical", "855_po_ack.edi"), b"SUMMITMED")
    (txn,) = ingest(runtime, _in_release(sample, b"00403", b"004030"))
    assert (txn.set_id, txn.version) == ("855", "004030")
    assert txn.state != "rejected", txn.error
    (ack,) = acks_sent(runtime)
    version, segments = _segments(ack)
    assert version == "004030"
    assert ["AK5", "A"] in segments
    assert ["AK9", "A", "1", "1", "1"] in segments
    assert pyx12_validator.errors(ack) == []


def test_a_release_after_005010_is_not_supported_and_says_so_in_the_999(
    make_runtime: Callable[..., Runtime],  # noqa: F811
    tmp_path: Path,
    pyx12_validator: Pyx12Validator,
) -> None:
    # no 006020 (or 005030-005050) specs could be sourced reliably (docs/acknowledgements.md,
    # "Releases after 005010"): a 006020 group is answered in the nearest release we have
    # (999 005010X231A1) and rejected as a version we do not support, never accepted
    site = _site(tmp_path, {"855": ["004010", "005010"], "856": ["005010"]})
    runtime = make_runtime(profiles_dir=str(site))
    sample = _as_migrating(fixture_bytes("keystone-pharma", "855_po_ack.edi"), b"KEYSTONERX")
    data = sample.replace(b"*00501*", b"*00602*", 1).replace(b"*X*005010~", b"*X*006020~", 1)
    data = data.replace(b"ST*855*0001*005010~", b"ST*855*0001*006020~", 1)
    (txn,) = ingest(runtime, data)
    assert (txn.set_id, txn.version, txn.state) == ("855", "006020", "rejected")
    (ack,) = acks_sent(runtime)
    version, segments = _segments(ack)
    assert version == "005010X231A1"
    assert ["IK5", "R", "1"] in segments
    assert ["AK9", "R", "1", "1", "0", "2"] in segments
    assert pyx12_validator.errors(ack) == []


def test_a_profile_cannot_list_a_release_we_have_no_specs_for() -> None:
    from pydantic import ValidationError

    from tests.mapping.helpers import make_profile

    with pytest.raises(ValidationError, match="006020"):
        make_profile(x12={"isa_qualifier": "ZZ", "isa_id": "X", "versions": ["006020"]})
