"""``edi-gateway demo``: the sample partners' documents end to end, on the embedded default.

Starts the gateway in this process (SQLite, file payloads, stage workers on threads, the
AS2 endpoint over real HTTP and the SFTP server over real SSH on free local ports), then
plays a buyer at Meridian Health and the sample partners:

* Meridian's buyer confirms two purchase orders in Odoo; the gateway's outbound poll
  finds them and sends an 850 to Summit over AS2 (Summit's AS2 server, played by the
  demo, answers a signed MDN) and an EDIFACT ORDERS into Nordlicht's SFTP outbox.
* Summit Medical Supply (X12 4010, AS2) sends a signed and encrypted 856 with lots and
  expiry dates and checks our signed MDN; its 997 goes back over AS2 to a small AS2
  server the demo runs for Summit.
* Keystone Pharmaceutical Wholesale (X12 5010, SFTP) uploads an 850 and an 810 and finds
  its 999s in its outbox.
* Nordlicht Medizintechnik (EDIFACT D96A, SFTP) uploads a DESADV and an INVOIC, and one
  DESADV with a wrong segment count, and finds CONTRLs in its outbox.
* The seller side (:mod:`gateway.demo_seller`): Lakeside Regional Hospital, a customer
  of our distribution business, uploads an 850 that becomes a sale order; confirming it
  sends an 855, a partial delivery and its backorder two 856s, the posted invoice an 810.

Deliveries go to the dry-run Odoo outbox, or to a real Odoo when ``EDIGW_ODOO_*`` is set.
Returns False (the command exits non-zero) when anything did not go as expected.
"""

from __future__ import annotations

import logging
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import paramiko
import yaml
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from gateway.api.app import create_app
from gateway.as2 import certs
from gateway.as2.certs import create_key_pair
from gateway.as2.cms import KeyPair
from gateway.as2.http import mount as mount_as2
from gateway.as2.mdn import parse_mdn
from gateway.as2.outbound import EncryptOptions, SignOptions, build_message
from gateway.as2.receiver import As2Receiver
from gateway.canonical import PurchaseOrder
from gateway.demo_seller import play_seller
from gateway.engines import parse_payload
from gateway.identity import As2KeyPair, Identities, OurIdentity
from gateway.intake import Receipt, ReceivedPayload
from gateway.mapping import translate
from gateway.odoo.delivery import deliver
from gateway.odoo.errors import OdooError
from gateway.partners.as2 import As2Certificate, As2Settings
from gateway.partners.common import SecretRef
from gateway.partners.profile import PartnerProfile, X12Ids
from gateway.pipeline.dispatch import ThreadedDispatcher
from gateway.pipeline.outbound import list_orders, poll
from gateway.pipeline.runtime import Runtime
from gateway.process import build_process_runtime
from gateway.settings import PROJECT_DIR, Settings, get_settings
from gateway.states import AckState, MessageState, TransactionState
from gateway.store.models import (
    FINAL_TRANSACTION_STATES,
    Acknowledgement,
    BusinessException,
    Delivery,
    Interchange,
    Message,
    Transaction,
)
from gateway.transports import make_sftp_server

SAMPLES = PROJECT_DIR / "tests" / "fixtures" / "partners"
KEYS = PROJECT_DIR / "var" / "keys"


@dataclass
class Play:
    """One file a sample partner sends."""

    partner: str
    via: str  # "as2" | "sftp"
    sample: str  # file under tests/fixtures/partners/<partner>/
    expect: str  # "delivered" | "rejected"
    note: str = ""
    outcome: dict[str, Any] = field(default_factory=dict)


PLAYS = [
    Play(
        "summit-medical",
        "as2",
        "856_ship_notice.edi",
        "delivered",
        "signed + encrypted 856, 3 lots with expiry",
    ),
    Play("keystone-pharma", "sftp", "850_purchase_order.edi", "delivered", "850 with NDCs"),
    # billed before anything was received: the bill stays in draft for procurement
    Play(
        "keystone-pharma",
        "sftp",
        "810_invoice.edi",
        "business_exception",
        "810 invoice before receipt",
    ),
    Play(
        "nordlicht-medtech",
        "sftp",
        "DESADV_despatch_advice.edi",
        "delivered",
        "DESADV with batches and expiry",
    ),
    Play("nordlicht-medtech", "sftp", "INVOIC_invoice.edi", "delivered", "INVOIC"),
    Play(
        "nordlicht-medtech",
        "sftp",
        "DESADV_ERROR_segment_count.edi",
        "rejected",
        "wrong UNT segment count",
    ),
]


# ---------------------------------------------------------------------------------------
# keys for the sample partners and for us
# ---------------------------------------------------------------------------------------
def ensure_keys(keys: Path) -> None:
    """Create the AS2 certificates and SFTP keys the sample profiles refer to."""
    keys.mkdir(parents=True, exist_ok=True)
    for name, cn in (("meridian-as2", "MERIDIAN-AS2"), ("summit-medical-as2", "SUMMITMED")):
        if not (keys / f"{name}.crt").exists():
            create_key_pair(cn, 730, keys / f"{name}.key", keys / f"{name}.crt")
    for name in ("keystone-sftp", "nordlicht-sftp", "lakeside-sftp"):
        if not (keys / name).exists():
            key = paramiko.ECDSAKey.generate(bits=256)
            key.write_private_key_file(str(keys / name))
            (keys / f"{name}.pub").write_text(f"{key.get_name()} {key.get_base64()} {name}-demo\n")


# ---------------------------------------------------------------------------------------
# servers
# ---------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_http(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free local port; yield its base URL."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name=f"http-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def summit_as2_app(keys: Path, received: list[bytes]) -> Any:
    """Summit's own AS2 server (played by the demo): takes our 997 and answers an MDN."""
    from fastapi import FastAPI

    class Inbox:
        def store_raw(self, data: bytes) -> str:
            return ""

        def receive(self, payload: ReceivedPayload) -> Receipt:
            received.append(payload.data)
            return Receipt(message_id=len(received), sha256="")

        def record_event(self, *args: Any, **kwargs: Any) -> None:
            return None

    summit = OurIdentity(
        name="summit",
        x12_id="SUMMITMED",
        edifact_id="SUMMITMED",
        as2_id="SUMMITMED",
        as2_keys=[
            As2KeyPair(
                certificate=keys / "summit-medical-as2.crt",
                private_key=SecretRef(file=keys / "summit-medical-as2.key"),
            )
        ],
    )
    meridian = PartnerProfile(
        id="meridian",
        name="Meridian Health",
        x12=X12Ids(isa_qualifier="ZZ", isa_id="MERIDIANHEALTH"),
        as2=As2Settings(
            as2_id="MERIDIAN-AS2", certificates=[As2Certificate(file=keys / "meridian-as2.crt")]
        ),
    )
    identities = Identities(default="summit", identities=[summit])
    receiver = As2Receiver(
        intake=Inbox(),
        identities=identities,
        max_body_bytes=10_000_000,
        find_partner=lambda f, t: (
            (meridian, summit) if f == "MERIDIAN-AS2" and t == "SUMMITMED" else None
        ),
        schedule_async_mdn=lambda job: None,
    )
    app = FastAPI()
    mount_as2(app, lambda: receiver, 10_000_000)
    return app


def demo_settings(base: Settings, data_dir: Path, summit_url: str) -> Settings:
    """Settings for the demo: its own data dir, and Summit's AS2 URL layered on its profile."""
    profiles = data_dir / "profiles"
    profiles.mkdir(parents=True, exist_ok=True)
    summit = yaml.safe_load((PROJECT_DIR / "partner_profiles" / "summit-medical.yaml").read_text())
    summit["as2"]["url"] = f"{summit_url}/as2"
    summit["as2"]["certificates"] = [{"file": str(KEYS / "summit-medical-as2.crt")}]
    (profiles / "summit-medical.yaml").write_text(yaml.safe_dump(summit, sort_keys=False))
    return base.model_copy(
        update={
            "data_dir": data_dir,
            "database_url": None,
            "payload_store": "file",
            "profiles_dir": ":".join(p for p in (base.profiles_dir, str(profiles)) if p),
            "broker_url": None,
        }
    )


# ---------------------------------------------------------------------------------------
# the partners' side
# ---------------------------------------------------------------------------------------
def send_as2(url: str, play: Play, data: bytes) -> str:
    """Summit sends a signed and encrypted document and checks our signed MDN."""
    summit_key = KeyPair(
        certificate=certs.load_certificates(KEYS / "summit-medical-as2.crt")[0],
        private_key=certs.load_private_key(
            (KEYS / "summit-medical-as2.key").read_bytes(), None, "summit key"
        ),
    )
    meridian_cert = certs.load_certificates(KEYS / "meridian-as2.crt")[0]
    message = build_message(
        data,
        filename=play.sample,
        as2_from="SUMMITMED",
        as2_to="MERIDIAN-AS2",
        sign=SignOptions(summit_key, "sha256"),
        encrypt=EncryptOptions(meridian_cert, "aes256-cbc"),
        mdn="sync",
        mdn_signed=True,
    )
    response = httpx.post(f"{url}/as2", content=message.body, headers=message.headers, timeout=30)
    mdn = parse_mdn(
        dict(response.headers), response.content, [meridian_cert], require_signature=True
    )
    mic_ok = mdn.received_mic == message.mic
    result = mdn.disposition.split(";")[-1].strip()
    return f"MDN {result}, signed, MIC {'matches' if mic_ok else 'MISMATCH'}"


SFTP_USERS = {
    "keystone-pharma": "keystone",
    "nordlicht-medtech": "nordlicht",
    "lakeside-hospital": "lakeside",
}


def send_sftp(port: int, play: Play, data: bytes) -> str:
    """A partner uploads into its inbox (temporary name, then rename, as careful clients do)."""
    username = SFTP_USERS[play.partner]
    key_file = KEYS / f"{username}-sftp"
    transport = paramiko.Transport(("127.0.0.1", port))
    try:
        transport.connect(
            username=username, pkey=paramiko.ECDSAKey.from_private_key_file(str(key_file))
        )
        sftp = paramiko.SFTPClient.from_transport(transport)
        if sftp is None:
            raise RuntimeError(f"demo SFTP on port {port}: no SFTP channel opened")
        with sftp.open(f"inbox/{play.sample}.part", "wb") as fh:
            fh.write(data)
        sftp.rename(f"inbox/{play.sample}.part", f"inbox/{play.sample}")
        sftp.close()
    finally:
        transport.close()
    return f"uploaded as {username}"


def sftp_outbox(port: int, partner: str) -> list[str]:
    """What the partner finds in its outbox."""
    username = SFTP_USERS[partner]
    key_file = KEYS / f"{username}-sftp"
    transport = paramiko.Transport(("127.0.0.1", port))
    try:
        transport.connect(
            username=username, pkey=paramiko.ECDSAKey.from_private_key_file(str(key_file))
        )
        sftp = paramiko.SFTPClient.from_transport(transport)
        if sftp is None:
            raise RuntimeError(f"demo SFTP on port {port}: no SFTP channel opened")
        names = sorted(sftp.listdir("outbox"))
        sftp.close()
        return names
    finally:
        transport.close()


# ---------------------------------------------------------------------------------------
# waiting and reporting
# ---------------------------------------------------------------------------------------
def wait_until_settled(
    runtime: Runtime, dispatcher: ThreadedDispatcher, expected: int, timeout: float
) -> bool:
    """Wait until every expected message is processed and every acknowledgement handled."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dispatcher.wait_idle(max(0.1, min(2.0, deadline - time.monotonic())))
        with runtime.sessions() as s:
            messages = s.scalar(select(func.count()).select_from(Message)) or 0
            unsplit = (
                s.scalar(
                    select(func.count())
                    .select_from(Message)
                    .where(Message.state == MessageState.RECEIVED)
                )
                or 0
            )
            open_txns = (
                s.scalar(
                    select(func.count())
                    .select_from(Transaction)
                    .where(Transaction.state.not_in([str(x) for x in FINAL_TRANSACTION_STATES]))
                )
                or 0
            )
            queued_acks = (
                s.scalar(
                    select(func.count())
                    .select_from(Acknowledgement)
                    .where(Acknowledgement.state == AckState.QUEUED)
                )
                or 0
            )
        if messages >= expected and not unsplit and not open_txns and not queued_acks:
            return True
        time.sleep(0.2)
    return False


def report(console: Console, runtime: Runtime, plays: list[Play]) -> bool:
    """Print each document's path and check it against what was expected."""
    ok = True
    table = Table(title="what happened to each document", show_lines=True)
    table.add_column("partner / file", overflow="fold")
    table.add_column("document", overflow="fold")
    table.add_column("acknowledged", overflow="fold")
    table.add_column("result", overflow="fold")
    with runtime.sessions() as s:
        for play in plays:
            who = f"{play.partner}\n[dim]{play.via}: {play.sample}[/]"
            message = s.scalar(
                select(Message).where(Message.filename == play.sample).order_by(Message.id.desc())
            )
            if message is None:
                ok = False
                table.add_row(who, "-", "-", "[red]never arrived[/]")
                continue
            txns = s.scalars(select(Transaction).where(Transaction.message_id == message.id)).all()
            acks = s.scalars(
                select(Acknowledgement)
                .join(Interchange, Interchange.id == Acknowledgement.interchange_id)
                .where(Interchange.message_id == message.id)
            ).all()
            ack_text = "\n".join(f"{a.kind} {a.status} ({a.state})" for a in acks) or "-"
            if not txns:
                ok &= play.expect == "rejected"
                table.add_row(who, "received", ack_text, f"[red]{message.error}[/]")
                continue
            for txn in txns:
                delivery = s.scalar(select(Delivery).where(Delivery.transaction_id == txn.id))
                excs = s.scalars(
                    select(BusinessException).where(BusinessException.transaction_id == txn.id)
                ).all()
                document = f"received {txn.set_id} {txn.control_number}"
                if txn.business_key:
                    document += f"\ntranslated: {txn.document_type} {txn.business_key}"
                if txn.state == TransactionState.DELIVERED:
                    records = ", ".join(
                        f"{r['model']} {r.get('name') or r['id']}"
                        for r in (delivery.records if delivery else [])
                    )
                    target = delivery.target if delivery else "ledger"
                    result = f"[green]delivered ({target})[/]\n{records or 'already delivered'}"
                elif txn.state == TransactionState.BUSINESS_EXCEPTION:
                    result = "[yellow]business exception[/]\n" + "\n".join(e.message for e in excs)
                else:
                    result = f"[red]{txn.state}[/]\n{txn.error or ''}"
                state_ok = txn.state == play.expect
                acks_ok = bool(acks) and all(
                    a.state in (AckState.SENT, AckState.STORED) for a in acks
                )
                ok &= state_ok and acks_ok
                flag = "" if state_ok else f"\n[bold red]expected {play.expect}[/]"
                table.add_row(who, document, ack_text, result + flag)
    console.print(table)
    return ok


def run_demo(console: Console, *, keep: bool = False) -> bool:
    """Run the demo; True when every document went the way it should."""
    for noisy in ("paramiko", "gateway.sftp.ssh"):  # clients hanging up are normal here
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    base = get_settings()
    data_dir = base.data_dir / "demo"
    if data_dir.exists() and not keep:
        shutil.rmtree(data_dir)
    console.rule("[bold]edi-gateway demo")
    console.print("creating keys for us and the sample partners in var/keys …")
    ensure_keys(KEYS)
    summit_inbox: list[bytes] = []
    with serve_http(summit_as2_app(KEYS, summit_inbox)) as summit_url:
        settings = demo_settings(base, data_dir, summit_url)
        dispatcher = ThreadedDispatcher(workers=2)
        runtime = build_process_runtime(settings, dispatcher=dispatcher)
        dispatcher.start()
        try:
            app = _gateway_app(runtime)
            with serve_http(app) as gateway_url:
                sftp = make_sftp_server(runtime, host="127.0.0.1", port=0)
                sftp.start()
                console.print(
                    f"gateway running: HTTP {gateway_url} (POST /as2), "
                    f"SFTP 127.0.0.1:{sftp.port}, data in {data_dir}"
                )
                odoo = (
                    ("Odoo at " + str(settings.odoo_url))
                    if settings.odoo_configured
                    else (f"dry-run Odoo outbox {settings.dry_run_dir}")
                )
                console.print(f"deliveries go to the {odoo}")
                try:
                    ok = _play(console, runtime, dispatcher, gateway_url, sftp.port, summit_inbox)
                finally:
                    sftp.stop()
        finally:
            dispatcher.stop()
            runtime.engine.dispose()
    return ok


def _gateway_app(runtime: Runtime) -> Any:
    return create_app(runtime)


# Meridian's own purchase orders: what its buyer enters in Odoo (the sample files give the
# items), confirmed, then sent by the gateway before the suppliers' answers refer to them.
OUR_ORDERS = [
    ("summit-medical", "850_purchase_order.edi"),
    ("nordlicht-medtech", "ORDERS_purchase_order.edi"),
]


def our_orders(runtime: Runtime) -> list[tuple[PartnerProfile, PurchaseOrder]]:
    """Our orders to Summit and Nordlicht, as canonical orders (the sample files)."""
    out = []
    for partner_id, sample in OUR_ORDERS:
        profile = runtime.registry.get(partner_id)
        if profile is None or profile.odoo is None:
            raise RuntimeError(f"demo: sample partner {partner_id} has no profile with odoo")
        payload = parse_payload((SAMPLES / partner_id / sample).read_bytes())
        interchange = payload.interchanges[0]
        group = interchange.groups[0]
        txn = group.transactions[0]
        mapping = runtime.maps.map_for(profile, interchange.syntax.value, txn.version, txn.set_id)
        document = translate(
            txn, interchange=interchange, group=group, map=mapping, profile=profile
        ).document
        if not isinstance(document, PurchaseOrder):
            raise RuntimeError(f"demo: {partner_id}/{sample} is not a purchase order")
        out.append((profile, document))
    return out


def seed_our_orders(runtime: Runtime) -> list[str]:
    """Play Meridian's buyer: enter and confirm our orders to Summit and Nordlicht in Odoo.

    The orders carry the PO numbers the suppliers' sample answers quote. An order already
    in Odoo (a second run on a real Odoo) is found, not entered twice. Returns a line per
    order saying what was done.
    """
    lines = []
    for profile, document in our_orders(runtime):
        if profile.odoo is None:  # our_orders() only returns profiles with odoo
            raise RuntimeError(f"demo: partner {profile.id} has no odoo section")
        po = document.po_number
        if runtime.odoo.search_read("purchase.order", [["name", "=", po]], ["id"]):
            lines.append(f"our PO {po} to {profile.name}: already in Odoo")
            continue
        draft = profile.model_copy(
            update={"odoo": profile.odoo.model_copy(update={"purchase_order_state": "draft"})}
        )
        # the buyer's order: the delivery's item lookup stands in for the buyer's typing;
        # named before it is confirmed, so its receipt carries the name as Odoo's would
        outcome = deliver(document, profile=draft, odoo=runtime.odoo)
        orders = [r for r in outcome.records if r.model == "purchase.order"]
        for record in orders:
            runtime.odoo.write("purchase.order", [record.id], {"name": po, "partner_ref": ""})
            runtime.odoo.call("purchase.order", "button_confirm", ids=[record.id])
        if orders:
            lines.append(f"our PO {po} to {profile.name}: confirmed in Odoo")
        else:
            why = "; ".join(issue.message for issue in outcome.exceptions) or "no order made"
            lines.append(f"our PO {po} to {profile.name}: NOT entered ({why})")
    return lines


def send_our_orders(console: Console, runtime: Runtime, timeout: float = 30) -> bool:
    """The scheduler's outbound poll: our confirmed orders go out; True when all were sent."""
    result = poll(runtime)
    for error in result.errors:
        console.print(f"  [red]✗ {error}[/]")
    deadline = time.monotonic() + timeout
    pos = {document.po_number for _, document in our_orders(runtime)}
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        with runtime.sessions() as session:
            rows = [r for r in list_orders(session) if r["po_number"] in pos]
        if len(rows) == len(pos) and all(r["state"] != "queued" for r in rows):
            break
        time.sleep(0.2)
    for row in rows:
        sent = row["state"] == "sent"
        mark = "[green]→[/]" if sent else "[red]✗[/]"
        console.print(
            f"  {mark} {row['partner_id']:<18} {row['transport']:<4} {row['set']} "
            f"{row['po_number']} interchange {row['interchange_control']}: {row['state']}"
            + ("" if sent else f" {row.get('error') or ''}")
        )
    return len(rows) == len(pos) and all(r["state"] == "sent" for r in rows)


def report_orders(console: Console, runtime: Runtime) -> bool:
    """Where each of our orders stands after the suppliers' answers."""
    expected = {"summit-medical": "shipped", "nordlicht-medtech": "invoiced"}
    ok = True
    with runtime.sessions() as session:
        rows = [r for r in list_orders(session) if r["document_type"] == "purchase_order"]
    table = Table(title="our purchase orders (edi-gateway outbound list)", show_lines=True)
    for column in ("partner", "order", "sent as", "cycle"):
        table.add_column(column, overflow="fold")
    for row in rows:
        want = expected.get(row["partner_id"])
        good = row["state"] == want
        ok &= good
        steps = " → ".join(row["timeline"])
        table.add_row(
            row["partner_id"],
            row["po_number"],
            f"{row['set']} {row['interchange_control']} over {row['transport']}",
            f"{'[green]' if good else '[red]'}{row['state']}[/]\n[dim]{steps}[/]",
        )
    console.print(table)
    return ok and len(rows) == len(expected)


def _play(
    console: Console,
    runtime: Runtime,
    dispatcher: ThreadedDispatcher,
    gateway_url: str,
    sftp_port: int,
    summit_inbox: list[bytes],
) -> bool:
    ok = True
    # On a real Odoo too: a second run finds the orders (by name) instead of entering them
    # again, and the gateway does not send an order it sent before.
    console.print("[bold]Meridian's buyer confirms two purchase orders in Odoo[/]")
    try:
        for line in seed_our_orders(runtime):
            console.print(f"  {line}")
    except OdooError as exc:
        ok = False
        console.print(f"  [red]✗ could not place our purchase orders in Odoo: {exc}[/]")
    console.print("[bold]the gateway polls Odoo and sends them[/] (outbound poll)")
    with console.status("sending our orders: read from Odoo, write, validate, send …"):
        ok &= send_our_orders(console, runtime)
    console.print("[bold]partners sending[/] (each file is processed before the next is sent)")
    sent = 0
    for play in PLAYS:
        data = (SAMPLES / play.partner / play.sample).read_bytes()
        try:
            detail = (
                send_as2(gateway_url, play, data)
                if play.via == "as2"
                else send_sftp(sftp_port, play, data)
            )
            console.print(
                f"  [green]→[/] {play.partner:<18} {play.via:<4} {play.sample:<34} {detail}"
            )
            sent += 1
        except Exception as exc:
            ok = False
            console.print(f"  [red]✗[/] {play.partner} {play.via} {play.sample}: {exc}")
            continue
        with console.status(
            f"gateway processing {play.sample}: validate, acknowledge, translate, deliver …"
        ):
            if not wait_until_settled(runtime, dispatcher, sent, timeout=30):
                console.print(f"[red]{play.sample} was not processed within 30 s[/]")
                ok = False
    ok &= report(console, runtime, PLAYS)
    ok &= report_orders(console, runtime)
    hospital = SAMPLES / "lakeside-hospital" / "850_purchase_order.edi"
    ok &= play_seller(
        console,
        runtime,
        upload=lambda name, data: send_sftp(
            sftp_port, Play("lakeside-hospital", "sftp", name, "delivered"), data
        ),
        settle=lambda files: wait_until_settled(runtime, dispatcher, sent + files, timeout=30),
        sample=hospital.read_bytes(),
    )
    console.print("[bold]what the partners got back[/]")
    for partner in ("keystone-pharma", "nordlicht-medtech", "lakeside-hospital"):
        with suppress(Exception):
            names = sftp_outbox(sftp_port, partner)
            console.print(f"  {partner} outbox: {', '.join(names) or 'nothing'}")
            ok &= bool(names)
    kinds = [
        seg.strip()[3:7].strip("*")
        for message in summit_inbox
        for seg in message.decode("latin-1").split("~")
        if seg.strip().startswith("ST*")
    ]
    statuses = [
        seg.strip()
        for message in summit_inbox
        for seg in message.decode("latin-1").split("~")
        if seg.strip().startswith("AK9")
    ]
    console.print(
        f"  summit-medical AS2 server received {len(summit_inbox)} message(s) over AS2 "
        f"({', '.join(kinds)}), each answered with its signed MDN: {', '.join(statuses)}"
    )
    ok &= sorted(kinds) == ["850", "997"]
    console.print("[bold green]demo passed[/]" if ok else "[bold red]demo found problems[/]")
    return ok
