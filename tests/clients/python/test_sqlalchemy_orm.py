"""The SQLAlchemy 2 ORM (psycopg 3 dialect) as an application uses it against
DriftDB: declarative models with one-to-many and many-to-many relationships
(foreign keys ON DELETE CASCADE), create_all, identity and serial keys read
back through RETURNING, server defaults, joins with selectinload and
joinedload, updates, cascading deletes, bulk inserts, upserts (ON CONFLICT DO
UPDATE / DO NOTHING), JSON and JSONB columns, and a time-travel read of
what the ORM wrote."""

import uuid
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Identity,
    Integer,
    JSON,
    String,
    Table,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    joinedload,
    mapped_column,
    relationship,
    selectinload,
)


@pytest.fixture
def models(engine):
    """Users write posts, posts carry tags: tables named with a fresh suffix
    (the tests share one server), created by create_all and dropped after."""
    suffix = uuid.uuid4().hex[:8]

    class Base(DeclarativeBase):
        pass

    post_tag = Table(
        f"post_tag_{suffix}",
        Base.metadata,
        Column(
            "post_id",
            ForeignKey(f"post_{suffix}.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column(
            "tag_id",
            ForeignKey(f"tag_{suffix}.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )

    class User(Base):
        __tablename__ = f"user_{suffix}"
        id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
        status: Mapped[str] = mapped_column(String(20), server_default="active")
        joined: Mapped[date] = mapped_column(Date, server_default=text("'2024-01-31'"))
        posts: Mapped[list["Post"]] = relationship(
            back_populates="author", passive_deletes=True, order_by="Post.id"
        )

    class Post(Base):
        __tablename__ = f"post_{suffix}"
        id: Mapped[int] = mapped_column(primary_key=True)
        author_id: Mapped[int] = mapped_column(
            ForeignKey(f"user_{suffix}.id", ondelete="CASCADE"), index=True
        )
        title: Mapped[str] = mapped_column(String(200))
        views: Mapped[int] = mapped_column(server_default=text("0"))
        author: Mapped[User] = relationship(back_populates="posts")
        tags: Mapped[list["Tag"]] = relationship(
            secondary=post_tag, back_populates="posts", order_by="Tag.name"
        )

    class Tag(Base):
        __tablename__ = f"tag_{suffix}"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(30), unique=True)
        uses: Mapped[int] = mapped_column(server_default=text("1"))
        posts: Mapped[list[Post]] = relationship(
            secondary=post_tag, back_populates="tags", passive_deletes=True
        )

    Base.metadata.create_all(engine)
    yield SimpleNamespace(User=User, Post=Post, Tag=Tag, post_tag=post_tag)
    Base.metadata.drop_all(engine)


def seed(session, m):
    """Ann with two posts (tagged) and Bob with one; returns the users."""
    rust, sql, time = m.Tag(name="rust"), m.Tag(name="sql"), m.Tag(name="time")
    ann = m.User(name="Ann")
    ann.posts = [
        m.Post(title="Drift", tags=[rust, time]),
        m.Post(title="Joins", tags=[sql]),
    ]
    bob = m.User(name="Bob", status="away")
    bob.posts = [m.Post(title="Hello", tags=[sql, time])]
    session.add_all([ann, bob])
    session.commit()
    return ann, bob


def test_identity_serial_and_server_defaults_come_back(engine, models):
    m = models
    with Session(engine) as s:
        ann, bob = seed(s, m)
        assert ann.id is not None and bob.id == ann.id + 1
        assert ann.status == "active" and bob.status == "away"
        assert ann.joined == date(2024, 1, 31)
        post_ids = {p.id for p in ann.posts + bob.posts}
        assert post_ids == {1, 2, 3}
        assert all(p.views == 0 for p in ann.posts)
        ann_id = ann.id
    with Session(engine) as s:
        assert s.get(m.User, ann_id).name == "Ann"


def test_queries_with_joins_and_eager_loading(engine, models):
    m = models
    with Session(engine) as s:
        seed(s, m)
    with Session(engine) as s:
        titles = s.scalars(
            select(m.Post.title)
            .join(m.Post.author)
            .where(m.User.name == "Ann")
            .order_by(m.Post.title)
        ).all()
        assert titles == ["Drift", "Joins"]

        tagged_sql = s.scalars(
            select(m.User.name)
            .join(m.User.posts)
            .join(m.Post.tags)
            .where(m.Tag.name == "sql")
            .order_by(m.User.name)
        ).all()
        assert tagged_sql == ["Ann", "Bob"]

        per_user = s.execute(
            select(m.User.name, func.count(m.Post.id))
            .outerjoin(m.User.posts)
            .group_by(m.User.name)
            .order_by(func.count(m.Post.id).desc(), m.User.name)
        ).all()
        assert per_user == [("Ann", 2), ("Bob", 1)]

    with Session(engine) as s:
        users = s.scalars(
            select(m.User)
            .options(selectinload(m.User.posts).selectinload(m.Post.tags))
            .order_by(m.User.id)
        ).all()
        assert [[(p.title, [t.name for t in p.tags]) for p in u.posts] for u in users] == [
            [("Drift", ["rust", "time"]), ("Joins", ["sql"])],
            [("Hello", ["sql", "time"])],
        ]

    with Session(engine) as s:
        posts = (
            s.scalars(
                select(m.Post)
                .options(joinedload(m.Post.author), joinedload(m.Post.tags))
                .order_by(m.Post.title)
            )
            .unique()
            .all()
        )
        assert [(p.title, p.author.name, len(p.tags)) for p in posts] == [
            ("Drift", "Ann", 2),
            ("Hello", "Bob", 2),
            ("Joins", "Ann", 1),
        ]


def test_updates_and_cascading_deletes(engine, models):
    m = models
    with Session(engine) as s:
        ann, bob = seed(s, m)
        ann.status = "busy"
        s.commit()
        s.execute(
            update(m.Post).where(m.Post.author_id == bob.id).values(views=m.Post.views + 5)
        )
        s.commit()
        assert s.scalar(select(m.Post.views).where(m.Post.title == "Hello")) == 5
        assert s.scalar(select(m.User.status).where(m.User.id == ann.id)) == "busy"

        # The database cascades: Ann's posts and their tag links go with her.
        s.delete(ann)
        s.commit()
        assert s.scalars(select(m.Post.title).order_by(m.Post.id)).all() == ["Hello"]
        assert s.scalar(select(func.count()).select_from(m.post_tag)) == 2

        s.execute(delete(m.Tag).where(m.Tag.name == "time"))
        s.commit()
        hello = s.scalars(select(m.Post).where(m.Post.title == "Hello")).one()
        s.refresh(hello)
        assert [t.name for t in hello.tags] == ["sql"]


def test_bulk_inserts(engine, models):
    m = models
    with Session(engine) as s:
        s.execute(insert(m.Tag), [{"name": f"tag{i:03}"} for i in range(100)])
        s.execute(
            insert(m.User).values([{"name": f"user{i}", "status": "new"} for i in range(20)])
        )
        users = s.scalars(
            insert(m.User).returning(m.User),
            [{"name": "Cy"}, {"name": "Di", "status": "away"}],
        ).all()
        s.commit()
        assert [(u.name, u.status) for u in users] == [("Cy", "active"), ("Di", "away")]
        assert s.scalar(select(func.count()).select_from(m.Tag)) == 100
        assert s.scalar(select(func.sum(m.Tag.uses))) == 100
        assert s.scalar(select(func.count()).where(m.User.status == "new")) == 20

        s.execute(
            insert(m.Post),
            [{"author_id": users[0].id, "title": f"post {i}"} for i in range(50)],
        )
        s.commit()
        assert s.scalar(select(func.count(func.distinct(m.Post.id)))) == 50


def test_upserts(engine, models):
    m = models
    with Session(engine) as s:
        s.execute(insert(m.Tag), [{"name": "a"}, {"name": "b"}])
        stmt = pg_insert(m.Tag).values([{"name": "b"}, {"name": "c"}])
        stmt = stmt.on_conflict_do_update(
            index_elements=[m.Tag.name], set_={"uses": m.Tag.uses + stmt.excluded.uses}
        )
        s.execute(stmt)
        ignored = s.execute(
            pg_insert(m.Tag)
            .values([{"name": "a", "uses": 10}, {"name": "d", "uses": 4}])
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(m.Tag.name)
        ).scalars().all()
        s.execute(pg_insert(m.Tag).values(name="d").on_conflict_do_nothing())
        s.commit()
        assert ignored == ["d"]
        rows = s.execute(select(m.Tag.name, m.Tag.uses).order_by(m.Tag.name)).all()
        assert rows == [("a", 1), ("b", 2), ("c", 1), ("d", 4)]

        upserted = s.execute(
            pg_insert(m.Tag)
            .values(name="c", uses=7)
            .on_conflict_do_update(
                constraint=f"{m.Tag.__tablename__}_name_key",
                set_={"uses": pg_insert(m.Tag).excluded.uses},
                where=m.Tag.uses < 5,
            )
            .returning(m.Tag.id, m.Tag.uses)
        ).one()
        s.commit()
        assert upserted.uses == 7


def test_json_and_jsonb_columns(engine):
    class Base(DeclarativeBase):
        pass

    class Doc(Base):
        __tablename__ = f"doc_{uuid.uuid4().hex[:8]}"
        id: Mapped[int] = mapped_column(primary_key=True)
        meta = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
        extra = mapped_column(JSON)

    Base.metadata.create_all(engine)
    try:
        with Session(engine) as s:
            s.add_all(
                [
                    Doc(id=1, meta={"color": "red", "n": 1, "tags": ["a"]}, extra=[1, 2]),
                    Doc(id=2, meta={"color": "blue", "n": 2}),
                    Doc(id=3),
                ]
            )
            s.commit()

            def ids(cond):
                return s.scalars(select(Doc.id).where(cond).order_by(Doc.id)).all()

            assert ids(Doc.meta["color"].astext == "red") == [1]
            assert ids(Doc.meta.contains({"color": "blue"})) == [2]
            assert ids(Doc.meta.has_key("tags")) == [1]
            assert s.scalars(select(Doc.meta["n"].as_integer()).order_by(Doc.id)).all() == [1, 2, None]
            assert s.get(Doc, 3).meta == {}
            assert s.get(Doc, 1).extra == [1, 2]
            doc = s.get(Doc, 2)
            doc.meta = {**doc.meta, "n": 5}
            s.commit()
            assert s.scalar(select(Doc.meta["n"].as_integer()).where(Doc.id == 2)) == 5
        columns = {c["name"]: c for c in inspect(engine).get_columns(Doc.__tablename__)}
        assert type(columns["meta"]["type"]).__name__ == "JSONB"
        assert type(columns["extra"]["type"]).__name__ == "JSON"
        assert columns["meta"]["default"] == "'{}'::jsonb"
    finally:
        Base.metadata.drop_all(engine)


def test_time_travel_read_of_orm_writes(engine, models, driftdb):
    m = models
    with Session(engine) as s:
        ann, _ = seed(s, m)
        before = s.scalar(text("SELECT drift_seq()"))
        ann.posts[0].title = "Drift, revised"
        s.delete(ann.posts[1])
        s.commit()
        table = m.Post.__tablename__
        past = s.execute(
            text(
                f"SELECT title FROM {table} FOR SYSTEM_TIME AS OF @SEQ:{before} "
                "WHERE author_id = :author ORDER BY id"
            ),
            {"author": ann.id},
        ).scalars().all()
        now = s.scalars(select(m.Post.title).where(m.Post.author_id == ann.id)).all()
        assert past == ["Drift", "Joins"]
        assert now == ["Drift, revised"]
