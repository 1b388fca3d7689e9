"""SQLAlchemy 2 (psycopg 3 dialect) against DriftDB: create_engine, Core
reflection through pg_catalog, and an ORM insert-query-update round trip."""

import uuid

from sqlalchemy import ForeignKey, Integer, String, inspect, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


def test_orm_round_trip_and_reflection(engine):
    suffix = uuid.uuid4().hex[:8]

    class Base(DeclarativeBase):
        pass

    class Author(Base):
        __tablename__ = f"author_{suffix}"
        id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
        name: Mapped[str] = mapped_column(String(50))

    class Book(Base):
        __tablename__ = f"book_{suffix}"
        id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
        title: Mapped[str] = mapped_column(String(100), index=True)
        author_id: Mapped[int] = mapped_column(ForeignKey(f"author_{suffix}.id"))

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Author(id=1, name="Ann"))
        s.flush()
        s.add_all([Book(id=1, title="One", author_id=1), Book(id=2, title="Two", author_id=1)])
        s.commit()
    with Session(engine) as s:
        book = s.scalars(select(Book).where(Book.title == "Two")).one()
        book.title = "Two, revised"
        s.commit()
    with Session(engine) as s:
        titles = s.scalars(select(Book.title).order_by(Book.id)).all()
        assert titles == ["One", "Two, revised"]

    insp = inspect(engine)
    assert f"book_{suffix}" in insp.get_table_names()
    assert insp.has_table(f"author_{suffix}")
    columns = {c["name"]: c for c in insp.get_columns(f"book_{suffix}")}
    assert set(columns) == {"id", "title", "author_id"}
    assert str(columns["title"]["type"]) == "VARCHAR(100)"
    assert columns["id"]["nullable"] is False
    fks = insp.get_foreign_keys(f"book_{suffix}")
    assert fks[0]["referred_table"] == f"author_{suffix}"
    assert fks[0]["constrained_columns"] == ["author_id"]


def test_reflection_of_keys_and_indexes(engine):
    """get_pk_constraint and get_indexes read pg_index.indkey (int2vector)
    through unnest/generate_subscripts and array_agg(... ORDER BY ...)."""
    table = f"reflected_{uuid.uuid4().hex[:8]}"
    with engine.begin() as c:
        c.exec_driver_sql(
            f"CREATE TABLE {table} (a int, b int, c text, d text, PRIMARY KEY (b, a))"
        )
        c.exec_driver_sql(f"CREATE UNIQUE INDEX {table}_c ON {table} (c)")
        c.exec_driver_sql(f"CREATE INDEX {table}_dc ON {table} (d, c)")
    insp = inspect(engine)
    pk = insp.get_pk_constraint(table)
    assert pk["constrained_columns"] == ["b", "a"]
    assert pk["name"] == f"{table}_pkey"
    indexes = {i["name"]: i for i in insp.get_indexes(table)}
    assert set(indexes) == {f"{table}_c", f"{table}_dc"}
    assert indexes[f"{table}_c"]["unique"] is True
    assert indexes[f"{table}_c"]["column_names"] == ["c"]
    assert indexes[f"{table}_dc"]["unique"] is False
    assert indexes[f"{table}_dc"]["column_names"] == ["d", "c"]
