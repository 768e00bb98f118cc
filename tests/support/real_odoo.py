"""Real Odoo servers (17, 18, 19) for the test suite.

``../shared/odooNN/`` carries a trimmed Odoo Community archive and ``up.sh``, which
unpacks it, makes Odoo's own virtual environment and initialises a database with the
modules the gateway needs. This module builds on that:

* **Template databases**, made once per machine with ``up.sh`` and kept between runs:
  ``edigwNN_tpl`` (the five documented modules: purchase, stock, account,
  purchase_stock, product_expiry) and ``edigwNN_tpl_delivery`` (the same plus
  ``stock_delivery``). Building them is serialised by a file lock, so several test runs
  on one machine do not race.
* **One server per version per test session**, started here (not by ``up.sh``) on a
  free port with ``--db-filter`` admitting every database of this session, so one server
  serves many databases; cron threads are off so nothing runs behind the tests' back.
* **A fresh database per test module**: ``CREATE DATABASE ... TEMPLATE`` (a file copy in
  PostgreSQL, about a second) plus a copy of the template's filestore, dropped at the end.

Everything lives under ``$EDIGW_TEST_ODOO_HOME`` (default ``/tmp/edigw-odoo``), one
folder per version. ``EDIGW_ODOO_SHARED`` overrides where ``odoo17/`` etc. are found
(default: ``../shared`` beside the checkout).

:class:`OdooDatabase` gives what a test needs: the URL/database/login/password for the
gateway's settings (:meth:`OdooDatabase.gateway_env`) and an independent JSON-RPC helper
(:meth:`OdooDatabase.call`, plain httpx, not the gateway's client) for setting up data and
checking what the gateway wrote.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
VERSIONS = (17, 18, 19)
BASE_MODULES = ("purchase", "stock", "account", "purchase_stock", "product_expiry")
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "admin"
PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}


class OdooUnavailable(RuntimeError):
    """The real Odoo of a version cannot be had here (archive missing or start failed)."""


def shared_dir(version: int) -> Path:
    """Where ``odooNN/`` (archive + ``up.sh``) is expected."""
    root = Path(os.environ.get("EDIGW_ODOO_SHARED", REPO.parent / "shared"))
    return root / f"odoo{version}"


def home_dir(version: int) -> Path:
    """Everything this module writes for one version (venv, source, data, logs)."""
    root = Path(os.environ.get("EDIGW_TEST_ODOO_HOME", "/tmp/edigw-odoo"))
    return root / f"odoo{version}"


def free_port() -> int:
    """A free TCP port on loopback whose neighbour (Odoo's gevent port) is free too."""
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port < 65000 and _port_free(port + 1):
            return port
    raise OdooUnavailable("no free pair of TCP ports found")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _psql(sql: str, database: str = "postgres") -> str:
    proc = subprocess.run(
        [
            *("psql", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], "-d", database),
            *("-tAq", "-v", "ON_ERROR_STOP=1", "-c", sql),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        raise OdooUnavailable(f"psql failed ({sql[:80]}): {proc.stderr.strip()}")
    return proc.stdout.strip()


def database_exists(name: str) -> bool:
    """Whether PostgreSQL has a database of that name."""
    return _psql(f"select 1 from pg_database where datname = '{name}'") == "1"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class Installation:
    """One version's unpacked source, virtual environment and data folder."""

    version: int

    @property
    def shared(self) -> Path:
        return shared_dir(self.version)

    @property
    def home(self) -> Path:
        return home_dir(self.version)

    @property
    def source(self) -> Path:
        return self.home / "odoo"

    @property
    def venv_python(self) -> Path:
        # up.sh 17 names it ODOO_VENV=$ODOOH_DIR/venv too (the help text says odoo-venv)
        return self.home / "venv" / "bin" / "python"

    @property
    def data_dir(self) -> Path:
        return self.home / "odoo-data"

    def template(self, extra: Sequence[str] = ()) -> str:
        """Name of the template database with the five modules (+ ``extra``)."""
        suffix = "".join(f"_{name}" for name in sorted(extra))
        return f"edigw{self.version}_tpl{suffix}"

    def addons_path(self) -> str:
        paths = [self.source / "odoo" / "addons"]
        if (self.source / "addons").is_dir():
            paths.insert(0, self.source / "addons")
        return ",".join(str(path) for path in paths)

    def up_sh(self, port: int, database: str, extra: Sequence[str] = ()) -> None:
        """Run ``up.sh`` for one database, then stop the server it started."""
        script = self.shared / "up.sh"
        env = dict(os.environ)
        env.update(
            ODOOH_DIR=str(self.home),
            ODOO_SRC=str(self.source),
            ODOO_VENV=str(self.venv_python.parent.parent),
            ODOO_DATA_DIR=str(self.data_dir),
            ODOO_DB=database,
            ODOO_EXTRA_MODULES=",".join(extra),
            ODOO_ADMIN_PASSWORD=ADMIN_PASSWORD,
        )
        log = self.home / f"up-{database}.log"
        self.home.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            proc = subprocess.run(
                ["bash", str(script), str(port)],
                check=False,
                env=env,
                stdout=out,
                stderr=out,
                timeout=900,
            )
            subprocess.run(
                ["bash", str(script), "stop", str(port)],
                check=False,
                env=env,
                stdout=out,
                stderr=out,
                timeout=120,
            )
        if proc.returncode != 0:
            tail = log.read_text(errors="replace")[-2000:]
            raise OdooUnavailable(f"up.sh for Odoo {self.version} failed (log {log}):\n{tail}")

    def ensure_template(self, extra: Sequence[str] = ()) -> str:
        """Make the template database (and the base one it copies) when missing."""
        if not (self.shared / "up.sh").is_file():
            raise OdooUnavailable(
                f"no Odoo {self.version} archive at {self.shared} (the project's "
                f"../shared/odoo{self.version}/ folder; EDIGW_ODOO_SHARED overrides)"
            )
        name = self.template(extra)
        with _locked(self.home.parent / f".odoo{self.version}.lock"):
            base = self.template()
            if not database_exists(base) or not self.venv_python.exists():
                self.up_sh(free_port(), base)
            if extra and not database_exists(name):
                copy_database(self, base, name)
                self.up_sh(free_port(), name, extra)
        return name


def copy_database(inst: Installation, template: str, name: str) -> None:
    """A new database as a copy of ``template``, with its filestore.

    PostgreSQL copies only a database nobody else is connected to, and a copy in progress
    counts as a connection: copies are serialised across test processes (``./run test``
    runs two) by a file lock, and one that still meets another user (a server building a
    template, say) is tried again for up to a minute.
    """
    with _locked(inst.home.parent / f".odoo{inst.version}.copy.lock"):
        deadline = time.monotonic() + 60
        while True:
            try:
                _psql(f'CREATE DATABASE "{name}" OWNER odoo TEMPLATE "{template}"')
                break
            except OdooUnavailable as exc:
                if "being accessed by other users" not in str(exc):
                    raise
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
    source = inst.data_dir / "filestore" / template
    if source.is_dir():
        shutil.copytree(source, inst.data_dir / "filestore" / name, dirs_exist_ok=True)


def drop_database(inst: Installation, name: str) -> None:
    """Drop a database made by :func:`copy_database`, and its filestore."""
    _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    shutil.rmtree(inst.data_dir / "filestore" / name, ignore_errors=True)


@dataclass
class OdooServer:
    """One running Odoo of one version, serving this session's databases."""

    inst: Installation
    port: int
    prefix: str
    process: subprocess.Popen[bytes]
    log: Path
    databases: list[str] = field(default_factory=list)

    @property
    def version(self) -> int:
        return self.inst.version

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, version: int) -> OdooServer:
        """Make the templates when missing and start a server for this session."""
        inst = Installation(version)
        inst.ensure_template()
        port = free_port()
        prefix = f"edigw{version}_t{uuid.uuid4().hex[:8]}_"
        log = inst.home / f"server-{port}.log"
        command = [
            str(inst.venv_python),
            str(inst.source / "odoo-bin"),
            "--db_host", PG["host"], "--db_port", PG["port"],
            "--db_user", "odoo", "--db_password", "odoo",
            "--addons-path", inst.addons_path(),
            "--data-dir", str(inst.data_dir),
            "--db-filter", f"^{prefix}.*$",
            "--no-database-list",
            "--max-cron-threads", "0",
            "--http-interface", "127.0.0.1",
            "--http-port", str(port),
            "--gevent-port", str(port + 1),
            "--logfile", str(log),
        ]  # fmt: skip
        process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        server = cls(inst, port, prefix, process, log)
        server._wait_up()
        return server

    def _wait_up(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise OdooUnavailable(f"Odoo {self.version} exited at start; see {self.log}")
            try:
                reply = httpx.post(
                    f"{self.url}/jsonrpc",
                    json={
                        "jsonrpc": "2.0",
                        "method": "call",
                        "id": 0,
                        "params": {"service": "common", "method": "version", "args": []},
                    },
                    timeout=5,
                )
                if reply.status_code == 200 and "server_version" in reply.text:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise OdooUnavailable(f"Odoo {self.version} did not answer within {timeout:.0f} s")

    def new_database(self, label: str, extra: Sequence[str] = ()) -> OdooDatabase:
        """A fresh database for ``label`` (a test module), copied from the template."""
        template = self.inst.ensure_template(extra)
        safe = "".join(ch if ch.isalnum() else "_" for ch in label.lower())[:30]
        name = f"{self.prefix}{safe}_{uuid.uuid4().hex[:6]}"
        copy_database(self.inst, template, name)
        self.databases.append(name)
        return OdooDatabase(self, name, tuple(BASE_MODULES) + tuple(extra))

    def clone(self, source: OdooDatabase, label: str) -> OdooDatabase:
        """A fresh database for ``label`` copied from ``source``, one of this server's
        databases (its data, filestore and API keys), e.g. one a test module set up once.

        PostgreSQL copies only a database nobody is connected to: the server's pooled
        connections to ``source`` are closed first, so ``source`` serves as a template
        from then on (Odoo reconnects if it is used again).
        """
        _psql(
            "select pg_terminate_backend(pid) from pg_stat_activity "
            f"where datname = '{source.name}' and pid <> pg_backend_pid()"
        )
        safe = "".join(ch if ch.isalnum() else "_" for ch in label.lower())[:30]
        name = f"{self.prefix}{safe}_{uuid.uuid4().hex[:6]}"
        copy_database(self.inst, source.name, name)
        self.databases.append(name)
        return OdooDatabase(self, name, source.modules, source.login, source.password)

    def drop(self, database: OdooDatabase) -> None:
        """Drop one database of this server."""
        drop_database(self.inst, database.name)
        if database.name in self.databases:
            self.databases.remove(database.name)

    def stop(self) -> None:
        """Stop the server and drop every database it still serves."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, 9)
                self.process.wait(timeout=10)
        for name in list(self.databases):
            drop_database(self.inst, name)
        self.databases.clear()


class OdooRpcError(RuntimeError):
    """A JSON-RPC error answered by the real server (for test assertions)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


@dataclass
class OdooDatabase:
    """One database on a running :class:`OdooServer`, with an independent RPC helper."""

    server: OdooServer
    name: str
    modules: tuple[str, ...]
    login: str = ADMIN_LOGIN
    password: str = ADMIN_PASSWORD
    _uid: int | None = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def version(self) -> int:
        return self.server.version

    def gateway_env(self, prefix: str = "EDIGW_ODOO_") -> dict[str, str]:
        """The gateway's settings for this database (``EDIGW_ODOO_URL`` ...).

        ``prefix="EDIGW_ODOO_TEST_"`` gives the test-Odoo settings instead.
        """
        return {
            f"{prefix}URL": self.url,
            f"{prefix}DB": self.name,
            f"{prefix}USER": self.login,
            f"{prefix}PASSWORD": self.password,
        }

    def _rpc(self, service: str, method: str, args: Sequence[Any]) -> Any:
        reply = httpx.post(
            f"{self.url}/jsonrpc",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "id": 1,
                "params": {"service": service, "method": method, "args": list(args)},
            },
            timeout=120,
        )
        reply.raise_for_status()
        body = reply.json()
        if "error" in body:
            data = body["error"].get("data") or {}
            raise OdooRpcError(str(data.get("name", "?")), str(data.get("message", body)))
        return body.get("result")

    @property
    def uid(self) -> int:
        if self._uid is None:
            uid = self._rpc("common", "authenticate", [self.name, self.login, self.password, {}])
            if not uid:
                raise OdooUnavailable(f"cannot log in to {self.name} as {self.login}")
            self._uid = int(uid)
        return self._uid

    def call(
        self,
        model: str,
        method: str,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """``execute_kw`` as admin.

        ``db.call("res.partner", "search_read", [[...]], fields=[...])``
        """
        return self._rpc(
            "object",
            "execute_kw",
            [self.name, self.uid, self.password, model, method, list(args), kwargs],
        )

    def search_read(
        self,
        model: str,
        domain: Sequence[Any],
        fields: Sequence[str],
        order: str | None = None,
    ) -> list[dict[str, Any]]:
        """``search_read`` shortcut returning plain dicts."""
        kwargs: dict[str, Any] = {"fields": list(fields)}
        if order:
            kwargs["order"] = order
        return list(self.call(model, "search_read", list(domain), **kwargs))

    def create(self, model: str, values: Mapping[str, Any]) -> int:
        """Create one record and return its id."""
        result = self.call(model, "create", [dict(values)])
        return int(result[0] if isinstance(result, list) else result)

    def ref(self, xmlid: str) -> int:
        """Database id of an XML id such as ``uom.product_uom_unit``."""
        module, name = xmlid.split(".", 1)
        rows = self.search_read(
            "ir.model.data", [["module", "=", module], ["name", "=", name]], ["res_id"]
        )
        if not rows:
            raise KeyError(xmlid)
        return int(rows[0]["res_id"])
