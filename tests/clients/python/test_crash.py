"""kill -9 of the server during concurrent commits from several clients,
then a restart: every commit a client saw acknowledged is there. Runs its
own server (the binary in DRIFTDB_BIN) on a scratch data directory."""

import os
import signal
import socket
import subprocess
import tempfile
import threading
import time

import psycopg
import pytest


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, data_dir, port):
    proc = subprocess.Popen(
        [
            binary,
            "serve",
            "--data-dir",
            data_dir,
            "--listen",
            f"127.0.0.1:{port}",
            "--http-listen",
            "127.0.0.1:0",
        ],
        env={**os.environ, "RUST_LOG": "error"},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    pytest.fail("driftdb serve did not start")


@pytest.mark.parametrize("round_", range(3))
def test_acknowledged_commits_survive_kill_9(round_):
    binary = os.environ.get("DRIFTDB_BIN")
    if not binary:
        pytest.fail("DRIFTDB_BIN is not set: run scripts/client-tests.sh")
    with tempfile.TemporaryDirectory() as data_dir:
        port = free_port()
        dsn = f"host=127.0.0.1 port={port} user=driftdb dbname=driftdb"
        proc = start(binary, data_dir, port)
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("CREATE TABLE acked (client int, n int, PRIMARY KEY (client, n))")
        acked = {k: [] for k in range(6)}

        def client(k):
            try:
                with psycopg.connect(dsn, autocommit=True) as c:
                    for n in range(100_000):
                        c.execute("INSERT INTO acked VALUES (%s, %s)", (k, n))
                        acked[k].append(n)
            except psycopg.Error:
                pass  # the server died under us: expected

        threads = [threading.Thread(target=client, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        time.sleep(0.4 + 0.3 * round_)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        for t in threads:
            t.join()
        assert sum(len(v) for v in acked.values()) > 0
        proc = start(binary, data_dir, port)
        try:
            with psycopg.connect(dsn) as c:
                rows = c.execute("SELECT client, n FROM acked").fetchall()
            present = {}
            for k, n in rows:
                present.setdefault(k, set()).add(n)
            for k, ns in acked.items():
                missing = set(ns) - present.get(k, set())
                assert not missing, f"client {k} lost acknowledged rows {sorted(missing)[:10]}"
        finally:
            proc.terminate()
            assert proc.wait(timeout=30) == 0
