"""SQLAlchemy 2 (psycopg 3 dialect) against DriftDB: create_engine, Core
reflection through pg_catalog, and an ORM insert-query-update round trip."""

import uuid

import pytest
from sqlalchemy import ForeignKey, Integer, String, create_engine, inspect, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


@pytest.fixture
def engine(dsn):
    url = "postgresql+psycopg://driftdb@{host}:{port}/driftdb".format(
        **dict(p.split("=", 1) for p in dsn.split())
    )
    e = create_engine(url)
    yield e
    e.dispose()


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
