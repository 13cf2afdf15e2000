"""`make run` is local and silent: the app listens on 127.0.0.1 only and asks nothing of the
outside at start (no external-IP lookup, no usage statistics, no e-mail prompt); what the project
prints is French.

The server is started with the very command `make run` runs (read with `make -n`, so the
Makefile's options and .streamlit/config.toml both apply), on a free port, against a copy of
the embedded store. Every HTTP request of the server's process goes through a proxy of this test
(HTTP_PROXY/HTTPS_PROXY): a request to the outside would reach it.
"""
from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make absent")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_run_lines(**variables: str) -> list[str]:
    """The commands of `make run` (dry run: nothing is executed)."""
    res = subprocess.run(["make", "-n", "run", *(f"{k}={v}" for k, v in variables.items())],
                         cwd=ROOT, capture_output=True, text=True, timeout=30, check=True)
    return res.stdout.splitlines()


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on `port` (Linux /proc/net/tcp and tcp6)."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                # the kernel writes each 32-bit word in host (little-endian) order
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, width // 2, 4))
                found.add(socket.inet_ntop(socket.AF_INET if width == 8 else socket.AF_INET6,
                                           words))
    return found


def _post_status(url: str) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="POST", data=b""),
                                    timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


class Sink:
    """A proxy that answers nothing and counts who called it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.calls: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.calls.append(conn.recv(200))
                except OSError:
                    self.calls.append(b"")

    def close(self):
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


def test_make_run_listens_on_loopback_only_and_calls_nobody(embedded_sqlite, tmp_path):
    port = free_port()
    lines = make_run_lines(PORT=str(port))
    echo = next(line for line in lines if line.startswith("echo "))
    assert f"Tableau de bord PERR : http://127.0.0.1:{port} " in echo  # French, and where
    command = shlex.split(next(line for line in lines if "streamlit run" in line))

    db = tmp_path / "perr.sqlite"
    shutil.copy(embedded_sqlite, db)
    sink = Sink()
    env = {k: v for k, v in os.environ.items()
           if not k.upper().startswith(("STREAMLIT_", "NO_PROXY"))}
    env.update({"DATABASE_URL": f"sqlite:///{db}", "PYTHONUNBUFFERED": "1",
                "HTTP_PROXY": sink.url, "HTTPS_PROXY": sink.url,
                "http_proxy": sink.url, "https_proxy": sink.url,
                # a first start without ~/.streamlit/credentials.toml, as on a fresh machine
                "HOME": str(tmp_path)})
    log = tmp_path / "streamlit.log"
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        end = time.time() + 15
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=1) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                assert time.time() < end, log.read_text()
                time.sleep(0.2)
        time.sleep(1.5)  # the start's own work (the welcome, the IP lookup) is done by then
        listening = listening_addresses(port)
        session_route = _post_status(f"http://127.0.0.1:{port}/api/session")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        sink.close()
    out = log.read_text()
    assert sink.calls == [], out
    # make run serves the sign-in cookie's route (serve.py, docs/auth.md): a POST without a
    # code is refused (403), it is not an unknown address (404) or Streamlit's page (200)
    assert session_route == 403
    for english in ("external IP", "External URL", "Network URL", "Collecting usage statistics",
                    "Email", "You can now view"):
        assert english not in out
    assert listening == {"127.0.0.1"}
