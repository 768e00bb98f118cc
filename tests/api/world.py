"""A small gateway world for console tests: a temp data dir, the shipped sample partners,
an inline pipeline, keys for every role and documents fed through the real pipeline.

The EDI files are written here (Keystone Pharmaceutical Wholesale, X12 005010, one of the
shipped sample partners), so tests can pick their own PO numbers and control numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from gateway.api.auth import ROLES, create_key
from gateway.intake import ReceivedPayload
from gateway.pipeline.build import build_runtime
from gateway.pipeline.dispatch import InlineDispatcher
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.runtime import Runtime
from gateway.settings import Settings
from gateway.store.db import session_scope

BOOTSTRAP = "bootstrap-secret-for-tests"
PARTNER = "keystone-pharma"


def _isa(control: int) -> str:
    return (
        "ISA*00*          *00*          *ZZ*KEYSTONERX     *ZZ*MERIDIANHEALTH "
        f"*261116*0930*^*00501*{control:09d}*0*P*>~\n"
    )


def purchase_order(po: str, control: int) -> bytes:
    """An 850 from Keystone's buying system with three NDC lines."""
    body = [
        f"GS*PO*KEYSTONERX*MERIDIANHEALTH*20261116*0930*{control}*X*005010~",
        "ST*850*0001*005010~",
        f"BEG*00*SA*{po}**20261116~",
        "CUR*BY*USD~",
        "DTM*002*20261119~",
        "N1*BY*MERIDIAN GENERAL HOSPITAL PHARMACY*92*MH-PHARM~",
        "N1*SE*KEYSTONE PHARMACEUTICAL WHOLESALE*1*078123456~",
        "PO1*1*96*EA*2.41**N4*00338004904*VP*KPW-338049~",
        "PID*F****SODIUM CHLORIDE 0.9% INJ 1000 ML BAG~",
        "PO1*2*48*EA*2.87**N4*00264780000*VP*KPW-264780~",
        "PID*F****DEXTROSE 5% INJ 1000 ML BAG~",
        "CTT*2~",
        "SE*12*0001~",
        f"GE*1*{control}~",
        f"IEA*1*{control:09d}~",
    ]
    return (_isa(control) + "\n".join(body) + "\n").encode()


def invoice(number: str, po: str, control: int) -> bytes:
    """An 810 billing goods that were never received: business exceptions in a dry run."""
    body = [
        f"GS*IN*KEYSTONERX*MERIDIANHEALTH*20261116*0930*{control}*X*005010~",
        "ST*810*0001*005010~",
        f"BIG*20261118*{number}*20261116*{po}~",
        "N1*RI*KEYSTONE PHARMACEUTICAL WHOLESALE*1*078123456~",
        "N1*BY*MERIDIAN GENERAL HOSPITAL PHARMACY*92*MH-PHARM~",
        "IT1*1*96*EA*2.41**N4*00338004904*VP*KPW-338049~",
        "PID*F****SODIUM CHLORIDE 0.9% INJ 1000 ML BAG~",
        "TDS*23136~",
        "CTT*1~",
        "SE*9*0001~",
        f"GE*1*{control}~",
        f"IEA*1*{control:09d}~",
    ]
    return (_isa(control) + "\n".join(body) + "\n").encode()


@dataclass
class World:
    """A runtime with keys and documents."""

    runtime: Runtime
    keys: dict[str, str] = field(default_factory=dict)  # role -> key
    files: dict[str, int] = field(default_factory=dict)  # label -> message id

    def headers(self, role: str) -> dict[str, str]:
        """Bearer credentials of the role's key."""
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def feed(self, label: str, data: bytes, filename: str) -> int:
        """Receive a file like a transport would and run the pipeline to the end."""
        receipt = StoreIntake(self.runtime).receive(
            ReceivedPayload(data=data, transport="cli", filename=filename, actor="test")
        )
        dispatcher = self.runtime.dispatcher
        assert isinstance(dispatcher, InlineDispatcher)
        dispatcher.drain(max_wait=0.05)
        self.files[label] = receipt.message_id
        return receipt.message_id


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings on a temp data dir with the bootstrap key (never from the environment)."""
    # every field the console touches is given, so EDIGW_* variables in the environment
    # (a developer's shell, CI) cannot point the tests at a real store, broker or Odoo
    values: dict[str, object] = {
        "data_dir": data_dir,
        "admin_api_key": SecretStr(BOOTSTRAP),
        "max_payload_bytes": 64 * 1024,
        "database_url": None,
        "broker_url": None,
        "payload_store": "file",
        "profiles_dir": "",
        "maps_dir": "",
        "shipped_profiles": True,
        "odoo_url": None,
        "odoo_db": None,
        "odoo_user": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def make_world(data_dir: Path, *, documents: bool = True, **overrides: object) -> World:
    """Build the world: keys for every role, an 850 (delivered) and an 810 (exceptions)."""
    runtime = build_runtime(make_settings(data_dir, **overrides), dispatcher=InlineDispatcher())
    world = World(runtime=runtime)
    with session_scope(runtime.sessions) as session:
        for role in ROLES:
            _, key = create_key(session, f"{role}-key", role)
            world.keys[role] = key
    if documents:
        world.feed("po", purchase_order("PO-API-5001", 700001), "po-5001.edi")
        world.feed("invoice", invoice("INV-API-9001", "PO-API-5001", 700002), "inv-9001.edi")
    return world
