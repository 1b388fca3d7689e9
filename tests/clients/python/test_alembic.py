"""Alembic against DriftDB: a migration environment written to a scratch
directory, upgraded and downgraded through alembic.command (create_table,
create_index, add_column, alter_column, drop_column, unique and check
constraints created and dropped, the alembic_version bookkeeping), the
result checked by reflection, and autogenerate's compare_metadata run
against DriftDB's catalog."""

import textwrap
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    inspect,
    text,
)

ENV = """
from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
"""

CREATE = """
import sqlalchemy as sa
from alembic import context, op

revision = "a1"
down_revision = None
suffix = context.config.attributes["suffix"]


def upgrade():
    op.create_table(
        f"account_{suffix}",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(100), nullable=False),
        sa.Column("legacy", sa.Text),
    )
    op.create_index(f"ix_account_{suffix}_email", f"account_{suffix}", ["email"], unique=True)
    op.create_table(
        f"login_{suffix}",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey(f"account_{suffix}.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("ok", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("method", sa.String(10), nullable=False, server_default="password"),
        sa.Column("tries", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade():
    op.drop_table(f"login_{suffix}")
    op.drop_index(f"ix_account_{suffix}_email", table_name=f"account_{suffix}")
    op.drop_table(f"account_{suffix}")
"""

ALTER = """
import sqlalchemy as sa
from alembic import context, op

revision = "b2"
down_revision = "a1"
suffix = context.config.attributes["suffix"]


def upgrade():
    op.add_column(f"account_{suffix}", sa.Column("nickname", sa.String(50)))
    op.execute(f"UPDATE account_{suffix} SET nickname = email")
    op.alter_column(f"account_{suffix}", "nickname", nullable=False)
    op.alter_column(f"account_{suffix}", "legacy", new_column_name="notes")
    op.create_index(f"ix_account_{suffix}_nickname", f"account_{suffix}", ["nickname"])
    op.drop_column(f"account_{suffix}", "notes")
    op.create_unique_constraint(f"uq_account_{suffix}_nickname", f"account_{suffix}", ["nickname"])
    op.create_check_constraint(f"ck_login_{suffix}_tries", f"login_{suffix}", "tries >= 0")


def downgrade():
    op.drop_constraint(f"ck_login_{suffix}_tries", f"login_{suffix}", type_="check")
    op.drop_constraint(f"uq_account_{suffix}_nickname", f"account_{suffix}", type_="unique")
    op.add_column(f"account_{suffix}", sa.Column("legacy", sa.Text))
    op.drop_index(f"ix_account_{suffix}_nickname", table_name=f"account_{suffix}")
    op.drop_column(f"account_{suffix}", "nickname")
"""


@pytest.fixture
def migrations(tmp_path, engine):
    """An Alembic configuration whose script directory holds the two
    revisions above, running on one connection of `engine`."""
    scripts = tmp_path / "migrations"
    (scripts / "versions").mkdir(parents=True)
    (scripts / "env.py").write_text(ENV)
    (scripts / "script.py.mako").write_text("")
    (scripts / "versions" / "a1_create.py").write_text(textwrap.dedent(CREATE))
    (scripts / "versions" / "b2_alter.py").write_text(textwrap.dedent(ALTER))
    cfg = Config()
    cfg.set_main_option("script_location", str(scripts))
    suffix = uuid.uuid4().hex[:8]
    cfg.attributes["suffix"] = suffix
    with engine.begin() as c:
        c.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    with engine.connect() as connection:
        cfg.attributes["connection"] = connection
        yield cfg, connection, suffix
    with engine.begin() as c:
        c.exec_driver_sql(f"DROP TABLE IF EXISTS login_{suffix}")
        c.exec_driver_sql(f"DROP TABLE IF EXISTS account_{suffix}")
        c.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


def version(connection):
    return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_and_downgrade_keep_schema_and_version(engine, migrations):
    cfg, connection, suffix = migrations
    account, login = f"account_{suffix}", f"login_{suffix}"

    command.upgrade(cfg, "a1")
    connection.commit()
    assert version(connection) == "a1"
    connection.execute(text(f"INSERT INTO {account} (id, email) VALUES (1, 'ann@x')"))
    connection.commit()

    command.upgrade(cfg, "head")
    connection.commit()
    assert version(connection) == "b2"
    versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    assert versions == [("b2",)]

    insp = inspect(engine)
    columns = {c["name"]: c for c in insp.get_columns(account)}
    assert list(columns) == ["id", "email", "nickname"]
    assert str(columns["nickname"]["type"]) == "VARCHAR(50)"
    assert columns["nickname"]["nullable"] is False
    assert columns["email"]["nullable"] is False
    indexes = {i["name"]: i for i in insp.get_indexes(account)}
    assert indexes[f"ix_account_{suffix}_email"]["unique"] is True
    assert indexes[f"ix_account_{suffix}_nickname"]["column_names"] == ["nickname"]
    assert indexes[f"ix_account_{suffix}_nickname"]["unique"] is False
    fk = insp.get_foreign_keys(login)[0]
    assert (fk["referred_table"], fk["constrained_columns"]) == (account, ["account_id"])
    assert fk["options"].get("ondelete") == "CASCADE"
    assert connection.execute(text(f"SELECT nickname FROM {account}")).scalar_one() == "ann@x"
    uniques = insp.get_unique_constraints(account)
    assert [(u["name"], u["column_names"]) for u in uniques] == [
        (f"uq_account_{suffix}_nickname", ["nickname"])
    ]
    checks = insp.get_check_constraints(login)
    assert [c["name"] for c in checks] == [f"ck_login_{suffix}_tries"]

    command.downgrade(cfg, "a1")
    connection.commit()
    assert version(connection) == "a1"
    insp = inspect(engine)
    assert [c["name"] for c in insp.get_columns(account)] == ["id", "email", "legacy"]
    assert insp.get_unique_constraints(account) == []
    assert insp.get_check_constraints(login) == []

    command.downgrade(cfg, "base")
    connection.commit()
    assert version(connection) is None
    assert not inspect(engine).has_table(account)


def test_autogenerate_compares_models_with_the_catalog(migrations):
    cfg, connection, suffix = migrations
    command.upgrade(cfg, "head")
    connection.commit()

    metadata = MetaData()
    account = Table(
        f"account_{suffix}",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("email", String(100), nullable=False),
        Column("nickname", String(50), nullable=False),
        Index(f"ix_account_{suffix}_email", "email", unique=True),
        Index(f"ix_account_{suffix}_nickname", "nickname"),
        UniqueConstraint("nickname", name=f"uq_account_{suffix}_nickname"),
    )
    Table(
        f"login_{suffix}",
        metadata,
        Column("id", Integer, primary_key=True),
        Column(
            "account_id",
            Integer,
            ForeignKey(account.c.id, ondelete="CASCADE"),
            nullable=False,
        ),
        Column("ok", Boolean, nullable=False, server_default="false"),
        Column("method", String(10), nullable=False, server_default="password"),
        Column("tries", Integer, nullable=False, server_default="0"),
    )
    ours = {f"account_{suffix}", f"login_{suffix}"}

    def include(obj, name, kind, reflected, compare_to):
        return kind != "table" or name in ours

    ctx = MigrationContext.configure(
        connection,
        opts={
            "include_object": include,
            "compare_type": True,
            "compare_server_default": True,
        },
    )
    assert compare_metadata(ctx, metadata) == []

    # A model that differs is reported as the changes a migration would make.
    Table(f"extra_{suffix}", metadata, Column("id", Integer, primary_key=True))
    ours.add(f"extra_{suffix}")
    account.append_column(Column("age", Integer))
    login = metadata.tables[f"login_{suffix}"]
    login.c.method.server_default.arg = "sms"
    diff = compare_metadata(ctx, metadata)
    flat = [d if isinstance(d, tuple) else d[0] for d in diff]
    assert sorted(d[0] for d in flat) == ["add_column", "add_table", "modify_default"]
