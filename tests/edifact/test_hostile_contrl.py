"""Issue #17 finding 10, EDIFACT side: every CONTRL we write for a damaged interchange
passes our own validator (nothing the partner sent breaks its syntax)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway import edifact
from tests.edifact.helpers import VALID_ORDERS_BODY, interchange, message
from tests.x12.helpers import NUMBERS, OURS

_TEMPLATE = interchange(
    message("M1", *VALID_ORDERS_BODY), message("M2", *VALID_ORDERS_BODY)
).decode("latin-1")
_DAMAGE = st.one_of(
    st.text(min_size=0, max_size=40),
    st.text(alphabet="+:'?*\r\n\x00\x1féÜ€ ", min_size=1, max_size=8),
    st.sampled_from(["", "X", "UNH", "9" * 40, "ORDERS:D:96A:UN", "?", "M1"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_10_every_contrl_we_write_passes_our_validator(data: st.DataObject) -> None:
    segments = _TEMPLATE.split("'")
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.integers(0, len(segments) - 2))
        fields = segments[index].split("+")
        where = data.draw(st.integers(0, len(fields) - 1))
        fields[where] = data.draw(_DAMAGE)
        segments[index] = "+".join(fields)
    damaged = "'".join(segments).encode("utf-8", errors="replace")
    for ix in edifact.parse_payload(damaged).interchanges:
        contrl = edifact.build_contrl(ix, ours=OURS, numbers=NUMBERS)
        (parsed,) = edifact.parse_payload(contrl.data).interchanges
        problems = [*parsed.issues, *(i for t in parsed.transactions for i in t.issues)]
        assert problems == [], (damaged, contrl.data, problems)
