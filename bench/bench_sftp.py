"""Files per second through the hosted SFTP server, next to OpenSSH's sshd+internal-sftp.

Both servers receive the same files from the same client: several concurrent OpenSSH
``sftp -b`` processes, one per partner account. The hosted server runs in its own
process with an intake that hashes every file (as the content-addressed store would)
and then archives it; sshd only writes the file. Each case is repeated and the median
wall time is reported.

    .venv/bin/python bench/bench_sftp.py [--clients 4] [--repeat 3]

Needs OpenSSH (``sftp``, ``ssh-keygen``, ``/usr/sbin/sshd``) and root (for sshd).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

# the same cipher and MAC for both servers (OpenSSH would pick chacha20-poly1305 with
# sshd, which paramiko does not offer, so the defaults would compare ciphers, not servers)
CIPHER_OPTIONS = ["-o", "Ciphers=aes128-ctr", "-o", "MACs=hmac-sha2-256-etm@openssh.com"]
CASES = [("1 KB", 1024, 100), ("100 KB", 100 * 1024, 40), ("10 MB", 10 * 1024 * 1024, 2)]


# ---- the hosted server, in its own process -------------------------------------------
class HashingIntake:
    """Hashes what it receives (the store's cost) and keeps nothing."""

    def __init__(self) -> None:
        self.count = 0

    def store_raw(self, data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    def receive(self, payload):  # type: ignore[no-untyped-def]
        from gateway.intake import Receipt

        self.count += 1
        return Receipt(self.count, hashlib.sha256(payload.data).hexdigest())

    def record_event(self, kind: str, detail: str, **kwargs: object) -> None:
        pass


def serve(root: Path, host_key: Path, public_key: Path, clients: int, port_file: Path) -> None:
    """Run the hosted server until killed; write its port to ``port_file``."""
    import logging

    from gateway.partners.sftp import HostedAccount
    from gateway.sftp.server import SftpServer

    logging.getLogger("paramiko").setLevel(logging.CRITICAL)  # readiness probes reset

    key_line = public_key.read_text()
    accounts: Mapping[str, tuple[str, HostedAccount]] = {
        f"p{i}": (f"p{i}", HostedAccount(username=f"p{i}", authorized_keys=[key_line],
                                         max_file_bytes=64 * 1024 * 1024))
        for i in range(clients)
    }  # fmt: skip
    server = SftpServer("127.0.0.1", 0, root, host_key, lambda: accounts, HashingIntake(),
                        sweep_interval=None)  # fmt: skip
    server.start()
    port_file.write_text(str(server.port))
    server.serve_forever()


# ---- helpers -------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                if probe.recv(8).startswith(b"SSH-"):
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listening on {port}")


def run_clients(
    user_of: list[str],
    port: int,
    key: Path,
    known_hosts: Path,
    files: list[Path],
    remote_dir: list[str],
    work: Path,
    extra: str = "",
) -> float:
    """Run one sftp client per user at once; each uploads all ``files``; wall seconds."""
    processes = []
    started = time.perf_counter()
    for i, user in enumerate(user_of):
        batch = work / f"batch{i}"
        lines = [f"put {f} {remote_dir[i]}/c{i}-{f.name}\n" for f in files]
        batch.write_text("".join(lines) + (extra + "\n" if extra else ""))
        processes.append(subprocess.Popen(
            ["sftp", "-F", "/dev/null", "-q", "-b", str(batch), "-i", str(key), "-P", str(port),
             "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known_hosts}",
             "-o", "GlobalKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes",
             "-o", "BatchMode=yes", *CIPHER_OPTIONS, f"{user}@127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        ))  # fmt: skip
    for process in processes:
        _, err = process.communicate(timeout=600)
        if process.returncode != 0:
            raise SystemExit(f"sftp client failed: {err.decode()}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--serve", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        root, host_key, public_key, port_file = map(Path, args.serve)
        serve(root, host_key, public_key, args.clients, port_file)
        return
    for tool in ("sftp", "ssh-keygen"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found (apt-get install openssh-client)")
    sshd_binary = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(sshd_binary).exists() or os.geteuid() != 0:
        raise SystemExit("needs /usr/sbin/sshd (openssh-server) and root")

    work = Path(tempfile.mkdtemp(prefix="bench-sftp-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        key = work / "client"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        str(work / "sshd_host")], check=True)  # fmt: skip

        # hosted server in its own process (its own GIL, like production)
        hosted_root = work / "hosted"
        port_file = work / "port"
        processes.append(subprocess.Popen(
            [sys.executable, __file__, "--clients", str(args.clients), "--serve",
             str(hosted_root), str(work / "hosted_host"), str(key) + ".pub", str(port_file)],
        ))  # fmt: skip
        deadline = time.monotonic() + 20
        while not port_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        hosted_port = int(port_file.read_text())
        wait_listening(hosted_port, processes[-1])
        from gateway.sftp.keys import load_or_create_host_key

        hosted_key = load_or_create_host_key(work / "hosted_host")

        # OpenSSH sshd + internal-sftp as the reference
        sshd_port = free_port()
        (work / "authorized_keys").write_text((work / "client.pub").read_text())
        config = work / "sshd_config"
        config.write_text(
            f"ListenAddress 127.0.0.1\nHostKey {work / 'sshd_host'}\nPidFile {work / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {work / 'authorized_keys'}\nUsePAM no\nStrictModes no\n"
            "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
            "Subsystem sftp internal-sftp\nMaxStartups 100\n"
        )
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        processes.append(subprocess.Popen(
            [sshd_binary, "-D", "-e", "-f", str(config), "-p", str(sshd_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))  # fmt: skip
        wait_listening(sshd_port, processes[-1])
        sshd_pub = (work / "sshd_host.pub").read_text().split()
        known_hosts = work / "known_hosts"
        known_hosts.write_text(
            f"[127.0.0.1]:{hosted_port} {hosted_key.get_name()} {hosted_key.get_base64()}\n"
            f"[127.0.0.1]:{sshd_port} {sshd_pub[0]} {sshd_pub[1]}\n"
        )

        print(f"{args.clients} concurrent OpenSSH sftp clients, median of {args.repeat} runs")
        # connection cost alone: each client logs in and runs one command
        logins: dict[str, list[float]] = {"hosted": [], "sshd": []}
        users = [f"p{i}" for i in range(args.clients)]
        nowhere = [""] * args.clients
        for _ in range(args.repeat):
            logins["hosted"].append(
                run_clients(users, hosted_port, key, known_hosts, [], nowhere, work, "pwd")
            )
            logins["sshd"].append(
                run_clients(
                    ["root"] * args.clients, sshd_port, key, known_hosts, [], nowhere, work, "pwd"
                )
            )
        print(
            f"login + one command, {args.clients} clients at once: hosted "
            f"{statistics.median(logins['hosted']) * 1000:.0f} ms, sshd "
            f"{statistics.median(logins['sshd']) * 1000:.0f} ms"
        )
        print(f"{'size':>7} {'files':>6} | {'hosted f/s':>10} {'MB/s':>7} | "
              f"{'sshd f/s':>9} {'MB/s':>7} | hosted/sshd")  # fmt: skip
        for label, size, per_client in CASES:
            source = work / f"src-{size}"
            source.mkdir()
            files = []
            for n in range(per_client):
                path = source / f"f{n:04d}.edi"
                path.write_bytes(os.urandom(size))
                files.append(path)
            total = per_client * args.clients
            timings: dict[str, list[float]] = {"hosted": [], "sshd": []}
            for _ in range(args.repeat):
                # hosted: user p<i> uploads into its inbox; taken and archived on close
                users = [f"p{i}" for i in range(args.clients)]
                timings["hosted"].append(run_clients(
                    users, hosted_port, key, known_hosts, files, ["/inbox"] * args.clients, work
                ))  # fmt: skip
                sizes = [
                    p.stat().st_size for u in users for p in (hosted_root / u / "archive").iterdir()
                ]
                if len(sizes) != total or sum(sizes) != total * size:
                    raise SystemExit(f"hosted server archived {len(sizes)} of {total} files")
                for u in users:
                    shutil.rmtree(hosted_root / u / "archive")
                    (hosted_root / u / "archive").mkdir()
                # reference: root into per-client folders through sshd's internal-sftp
                dirs = [work / f"sshd-in-{i}" for i in range(args.clients)]
                for d in dirs:
                    shutil.rmtree(d, ignore_errors=True)
                    d.mkdir()
                timings["sshd"].append(run_clients(
                    ["root"] * args.clients, sshd_port, key, known_hosts, files,
                    [str(d) for d in dirs], work,
                ))  # fmt: skip
            hosted = statistics.median(timings["hosted"])
            sshd = statistics.median(timings["sshd"])
            megabytes = total * size / 1e6
            print(f"{label:>7} {total:>6} | {total / hosted:>10.1f} {megabytes / hosted:>7.1f} | "
                  f"{total / sshd:>9.1f} {megabytes / sshd:>7.1f} | "
                  f"{sshd / hosted:>10.2f}")  # fmt: skip
            shutil.rmtree(source)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
