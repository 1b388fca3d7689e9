"""Fixtures of the client tests: the DriftDB server scripts/client-tests.sh
started (its address in DRIFTDB_TEST_DSN) and fresh connections to it."""

import os
import uuid

import psycopg
import pytest


@pytest.fixture(scope="session")
def dsn():
    value = os.environ.get("DRIFTDB_TEST_DSN")
    if not value:
        pytest.fail("DRIFTDB_TEST_DSN is not set: run scripts/client-tests.sh")
    return value


@pytest.fixture
def conn(dsn):
    with psycopg.connect(dsn) as c:
        yield c


@pytest.fixture
def table():
    """A table name no other test uses (tests share one server)."""
    return "t_" + uuid.uuid4().hex[:12]
