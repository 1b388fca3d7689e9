"""Fixtures of the client tests: the DriftDB server scripts/client-tests.sh
started (its address in DRIFTDB_TEST_DSN), fresh connections to it and a
SQLAlchemy engine on it."""

import os
import uuid

import psycopg
import pytest
from sqlalchemy import create_engine


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


@pytest.fixture
def engine(dsn):
    """A SQLAlchemy engine (psycopg 3 dialect) on the server of DRIFTDB_TEST_DSN."""
    parts = dict(p.split("=", 1) for p in dsn.split())
    url = "postgresql+psycopg://{user}@{host}:{port}/{dbname}".format(**parts)
    e = create_engine(url)
    yield e
    e.dispose()


@pytest.fixture
def driftdb(engine):
    """Skips a test of DriftDB's own SQL (time travel) when the suite runs
    against PostgreSQL itself, as it does to check the rest of the suite."""
    with engine.connect() as c:
        version = c.exec_driver_sql("SELECT version()").scalar_one()
    if "DriftDB" not in version:
        pytest.skip("time travel is DriftDB's own SQL")
