"""Profiles, maps and 850s of made-up partners for the reload and isolation tests."""

from __future__ import annotations

from pathlib import Path

from tests.pipeline.conftest import fixture_bytes


def profile_text(partner_id: str, isa_id: str, *, maps: dict[str, str] | None = None) -> str:
    """A valid X12 005010 profile (Keystone's settings under another id)."""
    lines = [
        f"id: {partner_id}",
        f"name: {partner_id.title()} Test Partner",
        "x12:",
        "  isa_qualifier: ZZ",
        f"  isa_id: {isa_id}",
        '  version: "005010"',
        "acknowledgements:",
        '  x12: "999"',
        "odoo:",
        "  vendor_ref: KEYSTONE",
        "  item_lookup: [ndc, vendor_part]",
        "  ndc_field: barcode",
    ]
    if maps:
        lines.append("maps:")
        lines += [f'  "{set_id}": {name}' for set_id, name in maps.items()]
    return "\n".join(lines) + "\n"


BROKEN_MAP = "extends: x12/005010/850\ndescription: broken on purpose\ncolour: blue\n"


def purchase_order(isa_id: str, number: int) -> bytes:
    """Keystone's 850 sent by ``isa_id`` with its own control and PO numbers."""
    data = fixture_bytes("keystone-pharma", "850_purchase_order.edi")
    return (
        data.replace(b"KEYSTONERX     ", isa_id.ljust(15).encode())
        .replace(b"*KEYSTONERX*", f"*{isa_id}*".encode())
        .replace(b"000088120", f"{number:09d}".encode())
        .replace(b"*88120*", f"*{number}*".encode())
        .replace(b"GE*1*88120", f"GE*1*{number}".encode())
        .replace(b"KPW-PO-88120", f"PO-{isa_id}-{number}".encode())
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
