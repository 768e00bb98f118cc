"""Damaged input never escapes as anything but the AS2 package's partner-facing errors."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from gateway.as2 import cms, mdn
from gateway.as2.errors import As2RemoteError, MdnError
from gateway.as2.inbound import UnpackPolicy, unpack_message
from gateway.as2.outbound import EncryptOptions, SignOptions, build_message

from .conftest import World

PAYLOAD = b"ISA*00*          *00*          *ZZ*ACME*ZZ*GATEWAY~ST*850*1~SE*2*1~IEA*1*1~" * 20


def _mutations(body: bytes, rng: random.Random, count: int) -> list[bytes]:
    out = [body[:n] for n in sorted(rng.sample(range(len(body)), min(count, len(body))))]
    for _ in range(count):
        damaged = bytearray(body)
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(len(damaged))
            damaged[pos] = rng.randrange(256)
        out.append(bytes(damaged))
    out.append(body + body)
    out.append(b"")
    return out


@pytest.mark.parametrize(
    "layers", ["signed+encrypted", "signed", "compressed+signed+encrypted", "encrypted"]
)
def test_truncated_or_flipped_messages_raise_only_partner_errors(world: World, layers: str) -> None:
    ours = cms.KeyPair(world.ours.certificate, world.ours.private_key)
    partner = cms.KeyPair(world.partner.certificate, world.partner.private_key)
    message = build_message(
        PAYLOAD, filename="f.x12", as2_from="ACME", as2_to="GATEWAY",
        sign=SignOptions(partner) if "signed" in layers else None,
        encrypt=EncryptOptions(ours.certificate) if "encrypted" in layers else None,
        compress="compressed" in layers,
    )  # fmt: skip
    # the profile requires what the partner normally sends, as a real profile would
    policy = UnpackPolicy(require_signature="signed" in layers,
                          require_encryption="encrypted" in layers,
                          max_content_bytes=1 << 20)  # fmt: skip
    kwargs = {"our_keys": [ours], "partner_certs": [partner.certificate], "policy": policy}
    assert unpack_message(message.headers, message.body, **kwargs).payload == PAYLOAD  # type: ignore[arg-type]
    rng = random.Random(f"as2-fuzz-{layers}")
    outcomes: dict[str, int] = {}
    for body in _mutations(message.body, rng, 150):
        try:
            result = unpack_message(message.headers, body, **kwargs)  # type: ignore[arg-type]
        except As2RemoteError as exc:
            outcomes[exc.disposition_modifier] = outcomes.get(exc.disposition_modifier, 0) + 1
        else:
            # whatever gets through a signature requirement is the authentic content
            if "signed" in layers:
                assert result.signed and result.payload == PAYLOAD
            outcomes["accepted"] = outcomes.get("accepted", 0) + 1
    assert sum(v for k, v in outcomes.items() if k != "accepted") > 100, outcomes


def test_damaged_mdns_raise_only_mdn_errors(world: World) -> None:
    ours = cms.KeyPair(world.ours.certificate, world.ours.private_key)
    good = mdn.build_mdn(
        original_message_id="<m@x>", original_recipient="GATEWAY", our_as2_id="GATEWAY",
        partner_as2_id="ACME", disposition=mdn.Disposition(), received_mic="abc=, sha-256",
        signer=ours, now=datetime.now(UTC),
    )  # fmt: skip
    headers = dict(good.headers)
    assert mdn.parse_mdn(headers, good.body, [ours.certificate]).positive
    rng = random.Random("mdn-fuzz")
    refused = 0
    for body in _mutations(good.body, rng, 150):
        try:
            parsed = mdn.parse_mdn(headers, body, [ours.certificate])
        except MdnError:
            refused += 1
        else:
            assert parsed.original_message_id == "<m@x>" and parsed.positive
    assert refused > 100
