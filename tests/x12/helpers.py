"""Helpers for the X12 tests: document builders and pyx12 as an independent validator."""

from __future__ import annotations

import io
import logging
import re
import shutil
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from gateway import x12
from gateway.edi import AckControlNumbers, EdiInterchange, OwnIdentity

NOW = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
OURS = OwnIdentity(qualifier="ZZ", id="GATEWAY", group_id="GATEWAYAPP")
NUMBERS = AckControlNumbers(interchange=501, group=601, transaction=701)

PO_850 = [
    "BEG*00*SA*PO-1001**20240301",
    "REF*DP*038",
    "DTM*002*20240315",
    "N1*ST*General Hospital*92*0042",
    "N3*1 Main Street",
    "N4*Springfield*IL*62701*US",
    "PO1*1*10*EA*12.5**VP*GLV-100*UP*012345678905",
    "PID*F****Nitrile gloves, medium",
    "PO1*2*4*BX*40**VP*SYR-5ML*N4*12345-6789-01",
    "CTT*2",
]


def build(
    set_id: str = "850",
    segments: Sequence[str] = PO_850,
    *,
    version: str = "00401",
    gs_version: str = "004010",
    functional_id: str = "PO",
    sets: int = 1,
    control: int = 1,
) -> bytes:
    """A one-group interchange with ``sets`` copies of a transaction set."""
    builder = x12.DocumentBuilder(
        sender=("ZZ", "HOSPITAL"),
        receiver=("ZZ", "GATEWAY"),
        control_number=control,
        version=version,
        now=NOW,
    )
    builder.group(functional_id, "HOSPITALAPP", "GATEWAYAPP", 1, gs_version)
    for n in range(sets):
        builder.transaction(set_id, f"{n + 1:04d}", segments)
    return builder.to_bytes()


def only_interchange(data: bytes) -> EdiInterchange:
    """Parse and return the single interchange of a payload."""
    payload = x12.parse_payload(data)
    assert len(payload.interchanges) == 1, payload.issues
    return payload.interchanges[0]


# X12 I05 interchange ID qualifiers; pyx12's HIPAA maps list only a subset.
_I05 = [
    "01",
    "02",
    "03",
    "04",
    "07",
    "08",
    "09",
    "10",
    "11",
    "12",
    "13",
    "14",
    "15",
    "16",
    "17",
    "18",
    "19",
    "20",
    "27",
    "28",
    "29",
    "30",
    "33",
    "ZZ",
]


class Pyx12Validator:
    """pyx12 checking our 997/999 against its own maps.

    pyx12's 997 and 999 maps are the HIPAA guides: their AK101 (functional id) and
    AK201 (set id) code lists hold only health-care values, and ISA05/ISA07 only some
    qualifiers. A copy of the maps gets those lists widened with the procurement codes;
    every other check is pyx12's own.

    pyx12 also ships the 997 for 004010 only and control maps for 00401 and 00501.
    For the other releases we answer in, the copy registers the 997 map under their
    versions (the 997 did not change from 004010 to 004060; 005010 and later only added
    optional trailing elements and codes: AK403 12/13 and AK905 19), and widens the
    GS08 lists with those versions.
    """

    def __init__(self) -> None:
        import pyx12

        from gateway.x12.specs.sets import VERSIONS

        source = Path(pyx12.__file__).parent / "map"
        self.map_path = Path(tempfile.mkdtemp(prefix="pyx12maps")) / "map"
        shutil.copytree(source, self.map_path)
        extra = {
            "AK101": ["PO", "PR", "SH", "IN", "FA", "SM", "QM", "RE", "SC", "RS"],
            "AK201": ["850", "855", "856", "810", "997", "999", "204", "214", "944", "820"],
            "ISA05": _I05,
            "ISA07": _I05,
            "GS08": list(VERSIONS),
        }
        for path in self.map_path.glob("*.xml"):
            text = path.read_text()
            for xid, codes in extra.items():
                add = "".join(f"<code>{c}</code>" for c in codes)
                text = re.sub(
                    rf'(<element xid="{xid}">.*?<valid_codes>)',
                    lambda m, add=add: m.group(1) + add,
                    text,
                    flags=re.S,
                )
            path.write_text(text)
        self._register_versions()

    def _register_versions(self) -> None:
        from gateway.x12.specs.sets import VERSIONS

        maps = self.map_path / "997.4010.xml"
        later = maps.read_text()
        later = re.sub(
            r'(<element xid="AK403">.*?<valid_codes>)',
            lambda m: m.group(1) + "<code>12</code><code>13</code>",
            later,
            flags=re.S,
        )
        for n in range(5, 10):
            later = re.sub(
                rf'(<element xid="AK90{n}">.*?<valid_codes>)',
                lambda m: m.group(1) + "<code>19</code>",
                later,
                flags=re.S,
            )
        (self.map_path / "997.5010.later.xml").write_text(later)
        index = self.map_path / "maps.xml"
        text = index.read_text()
        # pyx12 finds a map by ISA12 + GS08: a group of any release may travel under
        # either control version (a 4010 group in a 00501 interchange is legal X12)
        sections = "".join(
            f'<version icvn="{icvn}"><map vriic="{v}" fic="FA" abbr="997">'
            f"{'997.4010.xml' if v < '005010' else '997.5010.later.xml'}</map></version>"
            for icvn in ("00401", "00501")
            for v in VERSIONS
            if (icvn, v) != ("00401", "004010")
        )
        index.write_text(text.replace("</maps>", sections + "</maps>"))

    def errors(self, data: bytes) -> list[str]:
        """pyx12's complaints about a document (empty when it passes)."""
        import pyx12.params
        import pyx12.x12n_document

        param = pyx12.params.params()
        param.set("map_path", str(self.map_path))
        logger = logging.getLogger("pyx12")
        buffer = io.StringIO()
        handler = logging.StreamHandler(buffer)
        handler.setLevel(logging.INFO)
        logger.addHandler(handler)
        old_level = logger.level
        logger.setLevel(logging.INFO)
        # pyx12 reads text; UTF-8 keeps a multi-byte terminator (U+2026) one character
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        try:
            ok = pyx12.x12n_document.x12n_document(
                param, io.StringIO(text), None, None, map_path=str(self.map_path)
            )
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
        lines = [line for line in buffer.getvalue().splitlines() if line.strip()]
        if not ok and not lines:
            lines = ["pyx12 returned False"]
        return lines
