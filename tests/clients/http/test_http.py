"""The HTTP endpoint of a running server (scripts/client-tests.sh runs this
after the other client suites, so the counters have moved)."""

import os
import re
import socket
import urllib.error
import urllib.request

import pytest

BASE = os.environ.get("DRIFTDB_HTTP", "")


def get(path):
    if not BASE:
        pytest.fail("DRIFTDB_HTTP is not set: run scripts/client-tests.sh")
    try:
        with urllib.request.urlopen(BASE + path, timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def metric(text, name, labels=""):
    """The value of one sample, e.g. metric(t, "driftdb_statements_total", 'kind="select"')."""
    for line in text.splitlines():
        if line.startswith(name) and labels in line and not line.startswith("#"):
            head = line.rsplit(" ", 1)
            if head[0].split("{")[0] == name:
                return float(head[1])
    return None


def test_health():
    assert get("/health/live")[0] == 200
    assert get("/health/ready")[0] == 200
    assert get("/nope")[0] == 404


def test_metrics_are_prometheus_text_with_real_counts():
    status, ctype, text = get("/metrics")
    assert status == 200 and ctype.startswith("text/plain")
    assert "# TYPE driftdb_statements_total counter" in text
    # The client suites before this ran selects, inserts and failing
    # statements, and committed.
    assert metric(text, "driftdb_statements_total", 'kind="select"') > 10
    assert metric(text, "driftdb_statements_total", 'kind="insert"') > 10
    assert metric(text, "driftdb_errors_total", 'class="42"') >= 1
    assert metric(text, "driftdb_commits_total") > 10
    assert metric(text, "driftdb_fsyncs_total") >= 1
    assert metric(text, "driftdb_log_bytes_written_total") > 1000
    assert metric(text, "driftdb_connections_total") > 10
    assert metric(text, "driftdb_fsync_seconds_count") >= 1
    assert re.search(r'driftdb_statement_duration_seconds_bucket\{kind="select",le="0.001"\}', text)


def test_garbage_requests_get_errors():
    host, port = BASE.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"POST /metrics HTTP/1.1\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 405")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 431")
