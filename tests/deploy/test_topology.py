"""The production topology without Docker: separate processes on PostgreSQL and Redis.

API/AS2 (uvicorn), the AS2 listener (two processes), two Celery workers, the scheduler
(beat) and the SFTP server run as their own ``edi-gateway`` processes, exactly as
docker-compose.yml runs them. A partner
sends purchase orders over AS2 and over SFTP; one worker is killed with SIGKILL while
Odoo is in the middle of creating an order. Every document must end delivered once and
acknowledged once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import paramiko
import pytest
import yaml
from sqlalchemy import create_engine, func, select, text

from gateway.store.models import Acknowledgement, Delivery, Transaction
from tests.conftest import REPO
from tests.pipeline.test_celery_workers import purchase_orders, seeded_double

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port} after {timeout}s")


class Site:
    """Keys, identities and a site profile for Keystone trading over AS2 and SFTP."""

    def __init__(self, root: Path) -> None:
        from gateway.as2.certs import create_key_pair

        self.root = root
        keys = root / "keys"
        keys.mkdir(parents=True)
        create_key_pair("MERIDIAN-AS2", 30, keys / "us.key", keys / "us.crt")
        create_key_pair("KEYSTONERX", 30, keys / "keystone.key", keys / "keystone.crt")
        self.sftp_key = paramiko.ECDSAKey.generate(bits=256)
        (keys / "keystone-sftp.pub").write_text(
            f"{self.sftp_key.get_name()} {self.sftp_key.get_base64()} test\n"
        )
        self.keys = keys
        ids = yaml.safe_load((REPO / "identities.yaml").read_text())
        ids["identities"][0]["as2_keys"] = [
            {"certificate": str(keys / "us.crt"), "private_key": {"file": str(keys / "us.key")}}
        ]
        self.identities = root / "identities.yaml"
        self.identities.write_text(yaml.safe_dump(ids))
        profile = yaml.safe_load((REPO / "partner_profiles" / "keystone-pharma.yaml").read_text())
        profile["as2"] = {
            "as2_id": "KEYSTONERX",
            "certificates": [{"file": str(keys / "keystone.crt")}],
        }
        profile["sftp"]["hosted"]["authorized_keys"] = [str(keys / "keystone-sftp.pub")]
        profile["acknowledgements"]["transport"] = "sftp"  # every 999 into their outbox
        self.profiles = root / "profiles"
        self.profiles.mkdir()
        (self.profiles / "keystone-pharma.yaml").write_text(yaml.safe_dump(profile))

    def post_as2(self, url: str, data: bytes, name: str) -> tuple[httpx.Response, Any, Any]:
        """Post ``data`` signed and encrypted as Keystone; the answer, the message sent and
        our certificate (to read the MDN with)."""
        from gateway.as2 import certs
        from gateway.as2.cms import KeyPair
        from gateway.as2.outbound import EncryptOptions, SignOptions, build_message

        ours = certs.load_certificates(self.keys / "us.crt")[0]
        key = KeyPair(
            certificate=certs.load_certificates(self.keys / "keystone.crt")[0],
            private_key=certs.load_private_key(
                (self.keys / "keystone.key").read_bytes(), None, "keystone"
            ),
        )
        message = build_message(
            data,
            filename=name,
            as2_from="KEYSTONERX",
            as2_to="MERIDIAN-AS2",
            sign=SignOptions(key, "sha256"),
            encrypt=EncryptOptions(ours),
        )
        response = httpx.post(
            f"{url}/as2", content=message.body, headers=message.headers, timeout=30
        )
        return response, message, ours

    def send_as2(self, url: str, data: bytes, name: str) -> str:
        """Post ``data``; the disposition of the signed MDN that answers it."""
        from gateway.as2.mdn import parse_mdn

        response, message, ours = self.post_as2(url, data, name)
        mdn = parse_mdn(dict(response.headers), response.content, [ours], require_signature=True)
        assert mdn.received_mic == message.mic
        return mdn.disposition

    def sftp(self, port: int) -> tuple[paramiko.Transport, paramiko.SFTPClient]:
        transport = paramiko.Transport(("127.0.0.1", port))
        transport.connect(username="keystone", pkey=self.sftp_key)
        client = paramiko.SFTPClient.from_transport(transport)
        assert client is not None
        return transport, client


class Processes:
    """The gateway's processes, started like docker-compose starts them."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> None:
        cmd = [sys.executable, "-m", "gateway.cli.main", *args]
        log = (self.logs / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            cmd,
            env=self.env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                with_group(proc, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                with_group(proc, signal.SIGKILL)

    def tail(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-1500:]}" for p in self.logs.glob("*.log"))


def with_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


@pytest.fixture
def slow_first_create() -> Iterator[tuple[Any, threading.Event, threading.Event]]:
    double = seeded_double()
    arrived, release = threading.Event(), threading.Event()
    original = double.handle_jsonrpc

    def handle(payload: Any) -> Any:
        args = payload.get("params", {}).get("args", [])
        if args[3:5] == ["purchase.order", "create"] and not arrived.is_set():
            arrived.set()
            release.wait(30)
        return original(payload)

    double.handle_jsonrpc = handle  # type: ignore[method-assign]
    yield double, arrived, release
    release.set()
    double.stop()


def test_separate_processes_deliver_and_acknowledge_everything_once(
    tmp_path: Path,
    postgres_url: str,
    redis_url: str,
    queue_name: str,
    slow_first_create: tuple[Any, threading.Event, threading.Event],
) -> None:
    double, arrived, release = slow_first_create
    site = Site(tmp_path / "site")
    http_port, sftp_port, as2_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDIGW_")}
    env.update(
        {
            "EDIGW_DATA_DIR": str(tmp_path / "data"),
            "EDIGW_DATABASE_URL": postgres_url,
            "EDIGW_BROKER_URL": redis_url,
            "EDIGW_IDENTITIES_FILE": str(site.identities),
            "EDIGW_PROFILES_DIR": str(site.profiles),
            "EDIGW_ODOO_URL": double.url,
            "EDIGW_ODOO_DB": double.db,
            "EDIGW_ODOO_USER": double.user,
            "EDIGW_ODOO_PASSWORD": double.password,
            "EDIGW_STALLED_AFTER_SECONDS": "5",
            "EDIGW_BROKER_VISIBILITY_TIMEOUT": "5",
            "EDIGW_TASK_BACKOFF_SECONDS": "0.5",
            "EDIGW_QUEUE_NAME": queue_name,
        }
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = Processes(env, logs)
    try:
        procs.start("migrate", "db-upgrade")
        procs.procs["migrate"].wait(60)
        procs.start("api", "api", "--http-port", str(http_port))
        procs.start("as2", "as2", "--port", str(as2_port), "--processes", "2")
        procs.start("worker-1", "worker", "--pool", "threads", "--concurrency", "2")
        procs.start("worker-2", "worker", "--pool", "threads", "--concurrency", "2")
        procs.start("scheduler", "scheduler")
        procs.start("sftp", "sftp", "--sftp-port", str(sftp_port))
        wait_port(http_port)
        wait_port(sftp_port)
        wait_port(as2_port)
        assert httpx.get(f"http://127.0.0.1:{http_port}/healthz").json() == {"status": "ok"}

        files = purchase_orders(8)
        for n, data in enumerate(files[:4]):
            # two to the console's /as2, two to the AS2 listener's port
            port = http_port if n < 2 else as2_port
            disposition = site.send_as2(f"http://127.0.0.1:{port}", data, f"po{n}.edi")
            assert disposition.rstrip().endswith("processed"), disposition
        transport, sftp = site.sftp(sftp_port)
        for n, data in enumerate(files[4:], start=4):
            with sftp.open(f"inbox/po{n}.edi.part", "wb") as fh:
                fh.write(data)
            sftp.rename(f"inbox/po{n}.edi.part", f"inbox/po{n}.edi")

        # a worker is in the middle of creating an order in Odoo: kill whichever has it
        assert arrived.wait(60), procs.tail()
        procs.kill("worker-1")
        procs.kill("worker-2")
        release.set()
        procs.start("worker-3", "worker", "--pool", "threads", "--concurrency", "2")

        engine = create_engine(postgres_url)
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                states = [r[0] for r in conn.execute(select(Transaction.state))]
                acks = conn.execute(
                    select(Acknowledgement.state, Acknowledgement.transport, Acknowledgement.error)
                ).all()
            if (
                len(states) == 8
                and set(states) == {"delivered"}
                and [a[0] for a in acks] == ["sent"] * 8
            ):
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"not finished: {states}, acks {acks}\n{procs.tail()}")

        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(Delivery)).scalar() == 8
            acked = conn.execute(select(Acknowledgement.acknowledged_control_number)).all()
            assert len(acked) == len(set(acked)) == 8
            assert conn.execute(text("select count(*) from messages")).scalar() == 8
        engine.dispose()
        refs = sorted(po["partner_ref"] for po in double.records("purchase.order"))
        assert refs == sorted(f"KPW-PO-{7000 + n}" for n in range(8))
        outbox = sorted(sftp.listdir("outbox"))
        assert len(outbox) == 8 and all(name.startswith("999_") for name in outbox)
        sftp.close()
        transport.close()
    finally:
        release.set()
        procs.stop_all()
