"""psycopg 3 against a real DriftDB server: connection parameters, every
type in text and binary, transactions and their errors, prepared
statements, time travel, cancel and statement_timeout."""

import datetime
import decimal
import struct
import threading
import time
import uuid

import psycopg
import pytest
from psycopg import errors


def test_connect_reports_postgresql_16_parameters(conn):
    info = conn.info
    assert info.server_version >= 160000
    assert info.parameter_status("server_encoding") == "UTF8"
    assert info.parameter_status("integer_datetimes") == "on"
    assert info.parameter_status("standard_conforming_strings") == "on"
    assert info.parameter_status("TimeZone") == "UTC"
    assert info.parameter_status("DateStyle").startswith("ISO")
    assert conn.execute("SHOW server_version").fetchone()[0].startswith("16")


def test_wrong_database_is_3d000(dsn):
    with pytest.raises(psycopg.OperationalError) as e:
        psycopg.connect(dsn.replace("dbname=driftdb", "dbname=nosuchdb"))
    assert "does not exist" in str(e.value)


ROW = (
    1,
    "héllo ✓",
    decimal.Decimal("-12345.678"),
    datetime.datetime(2024, 1, 2, 3, 4, 5, 600000, tzinfo=datetime.timezone.utc),
    datetime.datetime(2024, 1, 2, 3, 4, 5),
    datetime.date(2024, 5, 6),
    datetime.time(13, 14, 15, 123456),
    datetime.timedelta(days=3, hours=4, seconds=5),
    b"\x00\x01\xff",
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    1.25,
    2.5,
    True,
    32000,
    9_000_000_000,
)

COLUMNS = """(id int primary key, s text, n numeric(12,3), tz timestamptz,
    ts timestamp, d date, t time, iv interval, b bytea, u uuid, f8 float8,
    f4 real, ok boolean, i2 smallint, i8 bigint)"""


@pytest.mark.parametrize("binary", [False, True])
def test_every_type_round_trips(conn, table, binary):
    conn.execute(f"CREATE TABLE {table} {COLUMNS}")
    marks = ", ".join(["%s"] * len(ROW))
    with conn.cursor(binary=binary) as cur:
        cur.execute(f"INSERT INTO {table} VALUES ({marks})", ROW)
        cur.execute(f"SELECT * FROM {table} WHERE id = %s", (1,))
        assert cur.fetchone() == ROW
        names = [d.name for d in cur.description]
        assert names[:3] == ["id", "s", "n"]
        cur.execute(f"INSERT INTO {table} (id) VALUES (2)")
        cur.execute(f"SELECT s, n, b FROM {table} WHERE id = 2")
        assert cur.fetchone() == (None, None, None)
    conn.commit()


ARRAYS = (
    [1, None, 3],
    ["a b", "", None, 'q"\\', "NULL"],
    [9_000_000_000],
    [decimal.Decimal("1.50"), decimal.Decimal("-2")],
    [True, False],
    [datetime.date(2024, 2, 29)],
    [datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)],
    [uuid.UUID("12345678-1234-5678-1234-567812345678")],
    [0.5, -1.25],
    [],
)


@pytest.mark.parametrize("binary", [False, True])
def test_arrays_round_trip_as_lists(conn, table, binary):
    conn.execute(
        f"""CREATE TABLE {table} (id int primary key, i int[], t text[], l bigint[],
        n numeric[], b boolean[], d date[], tz timestamptz[], u uuid[], f float8[],
        e int[])"""
    )
    marks = ", ".join(["%s"] * len(ARRAYS))
    with conn.cursor(binary=binary) as cur:
        cur.execute(f"INSERT INTO {table} VALUES (1, {marks})", ARRAYS)
        cur.execute(f"SELECT i, t, l, n, b, d, tz, u, f, e FROM {table} WHERE id = %s", (1,))
        assert cur.fetchone() == ARRAYS
        oids = [d.type_code for d in cur.description]
        assert oids[:3] == [1007, 1009, 1016]
        # An array parameter on the right of = ANY, and array results of
        # ARRAY[] and array_agg.
        cur.execute(f"SELECT id FROM {table} WHERE id = ANY(%s)", ([1, 2],))
        assert cur.fetchall() == [(1,)]
        cur.execute(f"SELECT ARRAY[id, 2], array_agg(id) FROM {table} GROUP BY id")
        assert cur.fetchone() == ([1, 2], [1])
        cur.execute(f"SELECT i[1], cardinality(t) FROM {table}")
        assert cur.fetchone() == (1, 5)
    conn.commit()


def test_numeric_typmod_in_row_description(conn, table):
    conn.execute(f"CREATE TABLE {table} (n numeric(10,2), v varchar(7))")
    cur = conn.execute(f"SELECT n, v FROM {table}")
    n, v = cur.description
    assert (n.precision, n.scale) == (10, 2)
    assert v.display_size == 7


def test_rowcount_and_status_of_dml(conn, table):
    conn.execute(f"CREATE TABLE {table} (id int primary key, v int)")
    cur = conn.execute(f"INSERT INTO {table} VALUES (1, 1), (2, 2), (3, 3)")
    assert cur.rowcount == 3 and cur.statusmessage == "INSERT 0 3"
    cur = conn.execute(f"UPDATE {table} SET v = v + 1 WHERE id > 1")
    assert cur.rowcount == 2 and cur.statusmessage == "UPDATE 2"
    cur = conn.execute(f"DELETE FROM {table} WHERE id = 1 RETURNING v")
    assert cur.fetchall() == [(1,)] and cur.statusmessage == "DELETE 1"


def test_error_in_block_aborts_it_until_rollback(conn, table):
    conn.execute(f"CREATE TABLE {table} (id int primary key)")
    conn.commit()
    conn.execute(f"INSERT INTO {table} VALUES (1)")
    with pytest.raises(errors.UniqueViolation):
        conn.execute(f"INSERT INTO {table} VALUES (1)")
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
    with pytest.raises(errors.InFailedSqlTransaction):
        conn.execute("SELECT 1")
    conn.rollback()
    assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)


def test_savepoint_clears_a_failed_block(conn, table):
    conn.execute(f"CREATE TABLE {table} (id int primary key)")
    conn.commit()
    with conn.transaction():
        conn.execute(f"INSERT INTO {table} VALUES (1)")
        with pytest.raises(errors.UniqueViolation):
            with conn.transaction():
                conn.execute(f"INSERT INTO {table} VALUES (1)")
        conn.execute(f"INSERT INTO {table} VALUES (2)")
    assert conn.execute(f"SELECT id FROM {table} ORDER BY id").fetchall() == [(1,), (2,)]


def test_write_conflict_is_40001(dsn, table):
    with psycopg.connect(dsn) as a, psycopg.connect(dsn) as b:
        a.execute(f"CREATE TABLE {table} (id int primary key, v int)")
        a.execute(f"INSERT INTO {table} VALUES (1, 0)")
        a.commit()
        a.execute(f"UPDATE {table} SET v = 1 WHERE id = 1")
        b.execute(f"UPDATE {table} SET v = 2 WHERE id = 1")
        a.commit()
        with pytest.raises(errors.SerializationFailure):
            b.commit()
        assert a.execute(f"SELECT v FROM {table}").fetchone() == (1,)


def test_prepared_statements_survive_many_executions(conn, table):
    conn.execute(f"CREATE TABLE {table} (id int primary key, v text)")
    with conn.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {table} VALUES (%s, %s)", [(i, f"v{i}") for i in range(20)]
        )
        for i in range(20):
            cur.execute(f"SELECT v FROM {table} WHERE id = %s", (i,), prepare=True)
            assert cur.fetchone() == (f"v{i}",)
    conn.commit()


def test_untyped_parameters_take_the_type_of_their_place(conn, table):
    """A Parse without parameter types: Describe reports the type each
    parameter's place implies (PostgreSQL's inference), and a binary value
    sent for one is read as that type."""
    conn.execute(f"CREATE TABLE {table} (id int primary key, name text, at date)")
    conn.commit()
    pg = conn.pgconn
    statements = {
        b"q": (f"SELECT name FROM {table} WHERE id = $1 AND name <> $2 LIMIT $3", [23, 25, 20]),
        b"i": (f"INSERT INTO {table} (id, name, at) VALUES ($1, $2, $3)", [23, 25, 1082]),
        b"u": (f"UPDATE {table} SET at = $2 WHERE id BETWEEN $1 AND $1 + 0", [23, 1082]),
        b"c": ("SELECT $1::bigint + 1, $2", [20, 25]),
    }
    for name, (sql, oids) in statements.items():
        assert pg.prepare(name, sql.encode()).status == psycopg.pq.ExecStatus.COMMAND_OK
        described = pg.describe_prepared(name)
        assert [described.param_type(i) for i in range(described.nparams)] == oids, sql
    inserted = pg.exec_prepared(
        b"i",
        [struct.pack("!i", 7), b"seven", struct.pack("!i", 9000)],
        param_formats=[1, 0, 1],
    )
    assert inserted.status == psycopg.pq.ExecStatus.COMMAND_OK, inserted.error_message
    found = pg.exec_prepared(b"q", [struct.pack("!i", 7), b"x", struct.pack("!q", 5)], param_formats=[1, 0, 1])
    assert found.status == psycopg.pq.ExecStatus.TUPLES_OK, found.error_message
    assert found.get_value(0, 0) == b"seven"
    assert conn.execute(f"SELECT at FROM {table}").fetchone() == (datetime.date(2024, 8, 22),)


def test_a_multi_statement_query_is_one_transaction(dsn, table):
    """Several statements in one simple query commit together or not at
    all (PostgreSQL's implicit transaction); with BEGIN/COMMIT inside they
    follow those."""
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(f"CREATE TABLE {table} (id int primary key)")
        with pytest.raises(errors.DivisionByZero):
            c.execute(f"INSERT INTO {table} VALUES (1); INSERT INTO {table} VALUES (2); SELECT 1/0")
        assert c.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
        c.execute(f"INSERT INTO {table} VALUES (1); INSERT INTO {table} VALUES (2)")
        assert c.execute(f"SELECT count(*) FROM {table}").fetchone() == (2,)
        c.execute(f"BEGIN; INSERT INTO {table} VALUES (3); COMMIT; INSERT INTO {table} VALUES (4)")
        assert c.execute(f"SELECT count(*) FROM {table}").fetchone() == (4,)


def test_time_travel_over_the_wire(conn, table):
    conn.autocommit = True
    conn.execute(f"CREATE TABLE {table} (id int primary key, v text)")
    conn.execute(f"INSERT INTO {table} VALUES (1, 'old')")
    before = conn.execute("SELECT drift_seq()").fetchone()[0]
    conn.execute(f"UPDATE {table} SET v = 'new' WHERE id = 1")
    conn.execute(f"DELETE FROM {table}")
    past = conn.execute(
        f"SELECT v FROM {table} FOR SYSTEM_TIME AS OF @SEQ:{before}"
    ).fetchall()
    assert past == [("old",)]
    history = conn.execute(
        f"SELECT v, _seq_from FROM {table} FOR SYSTEM_TIME ALL ORDER BY _seq_from"
    ).fetchall()
    assert [v for v, _ in history] == ["old", "new"]
    conn.execute(f"RESTORE TABLE {table} TO @SEQ:{before}")
    assert conn.execute(f"SELECT v FROM {table}").fetchall() == [("old",)]


def big_table(conn, table, n=400):
    conn.autocommit = True
    conn.execute(f"CREATE TABLE {table} (id int primary key)")
    values = ", ".join(f"({i})" for i in range(n))
    conn.execute(f"INSERT INTO {table} VALUES {values}")


SLOW = "SELECT count(*) FROM {t} a, {t} b, {t} c"


def test_cancel_stops_a_running_statement(conn, table):
    big_table(conn, table)
    timer = threading.Timer(0.5, conn.cancel)
    timer.start()
    started = time.monotonic()
    with pytest.raises(errors.QueryCanceled) as e:
        conn.execute(SLOW.format(t=table))
    assert "user request" in str(e.value)
    assert time.monotonic() - started < 20
    # The session is usable afterwards.
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_statement_timeout(conn, table):
    big_table(conn, table)
    conn.execute("SET statement_timeout = 300")
    with pytest.raises(errors.QueryCanceled) as e:
        conn.execute(SLOW.format(t=table))
    assert "statement timeout" in str(e.value)
    conn.execute("RESET statement_timeout")
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_a_slow_statement_stalls_no_other_session(dsn, conn, table):
    big_table(conn, table)
    conn.execute("SET statement_timeout = 5000")
    worker = threading.Thread(
        target=lambda: pytest.raises(errors.QueryCanceled, conn.execute, SLOW.format(t=table))
    )
    worker.start()
    time.sleep(0.2)
    with psycopg.connect(dsn) as other:
        started = time.monotonic()
        for _ in range(20):
            assert other.execute("SELECT 1").fetchone() == (1,)
        assert time.monotonic() - started < 3
    worker.join()


def test_copy_in_and_out(conn, table):
    conn.execute(f"CREATE TABLE {table} (id int primary key, v text, n numeric(6,2))")
    with conn.cursor() as cur:
        with cur.copy(f"COPY {table} (id, v, n) FROM STDIN") as copy:
            for i in range(1000):
                copy.write_row((i, None if i % 10 == 0 else f"row\t{i}", i / 4))
        assert cur.rowcount == 1000
        with cur.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(b'5000,"quoted, ""text""",1.5\n5001,,\n')
    conn.commit()
    assert conn.execute(f"SELECT count(*), count(v) FROM {table}").fetchone() == (1002, 901)
    assert conn.execute(f"SELECT v FROM {table} WHERE id = 5000").fetchone() == ('quoted, "text"',)
    with conn.cursor() as cur:
        with cur.copy(f"COPY (SELECT id, v, n FROM {table} WHERE id < 3 ORDER BY id) TO STDOUT") as copy:
            rows = list(copy.rows())
        assert rows == [("0", None, "0.00"), ("1", "row\t1", "0.25"), ("2", "row\t2", "0.50")]
        with cur.copy(f"COPY {table} (id) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
            data = b"".join(bytes(b) for b in copy)
        lines = data.decode().splitlines()
        assert lines[0] == "id" and len(lines) == 1003


def test_bad_copy_data_writes_nothing(conn, table):
    conn.execute(f"CREATE TABLE {table} (id int primary key, v int)")
    conn.commit()
    with pytest.raises(errors.InvalidTextRepresentation):
        with conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
            copy.write(b"1\t2\n2\tnot-a-number\n")
    conn.rollback()
    assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
    with pytest.raises(errors.QueryCanceled):
        with conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
            copy.write(b"1\t2\n")
            raise psycopg.errors.QueryCanceled("client gave up")
    conn.rollback()
    assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)


@pytest.mark.parametrize("binary", [False, True])
def test_json_columns_round_trip_as_python_objects(conn, table, binary):
    from psycopg.types.json import Json, Jsonb

    conn.execute(f"CREATE TABLE {table} (id int primary key, doc jsonb, raw json)")
    doc = {"name": "héllo", "n": 1.5, "tags": ["a", None], "nested": {"ok": True}}
    with conn.cursor(binary=binary) as cur:
        # psycopg's Jsonb adapter sends jsonb's binary form (a version byte
        # and the text) in a binary cursor.
        cur.execute(
            f"INSERT INTO {table} VALUES (%s, %s, %s)",
            (1, Jsonb(doc), Json([1, {"a": 2}])),
        )
        cur.execute(
            f"SELECT doc, raw, doc -> 'nested', doc ->> 'name' FROM {table} WHERE id = %s",
            (1,),
        )
        assert cur.fetchone() == (doc, [1, {"a": 2}], {"ok": True}, "héllo")
        assert [d.type_code for d in cur.description] == [3802, 114, 3802, 25]
        # `?` is jsonb's key-exists operator, parameters are $n: both in one query.
        cur.execute(
            f"SELECT id FROM {table} WHERE doc ? %s AND doc @> %s",
            ("tags", Jsonb({"nested": {"ok": True}})),
        )
        assert cur.fetchall() == [(1,)]
        cur.execute(f"UPDATE {table} SET doc = doc || %s WHERE id = 1", (Jsonb({"n": 2}),))
        cur.execute(f"SELECT doc ->> 'n', jsonb_agg(id) FROM {table} GROUP BY 1")
        assert cur.fetchone() == ("2", [1])
    conn.commit()
