"""SQLAlchemy's with_for_update() (SELECT … FOR UPDATE and its variants)
against DriftDB: the locking read, an update, and the 40001 a lock that
another commit overtook gets at COMMIT."""

import uuid

import pytest
from sqlalchemy import Integer, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


def accounts(engine):
    """A fresh mapped table of two accounts: 1 with 100, 2 with 50."""

    class Base(DeclarativeBase):
        pass

    class Account(Base):
        __tablename__ = f"account_{uuid.uuid4().hex[:8]}"
        id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
        balance: Mapped[int] = mapped_column(Integer)

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Account(id=1, balance=100), Account(id=2, balance=50)])
        s.commit()
    return Account


def test_with_for_update(engine):
    Account = accounts(engine)

    with Session(engine) as s:
        acct = s.scalars(select(Account).where(Account.id == 1).with_for_update()).one()
        acct.balance -= 30
        s.commit()
    with Session(engine) as s:
        rows = s.scalars(
            select(Account)
            .order_by(Account.id)
            .with_for_update(read=True, nowait=True, of=Account)
        ).all()
        assert [(a.id, a.balance) for a in rows] == [(1, 70), (2, 50)]
        s.scalars(select(Account).with_for_update(skip_locked=True, key_share=True)).all()
        s.commit()


def test_an_overtaken_lock_fails_at_commit(engine, driftdb):
    """A lock that another session's commit overtakes: the locker's COMMIT
    fails with 40001 (PostgreSQL would make the other session wait, so this
    runs on DriftDB only)."""
    Account = accounts(engine)
    with Session(engine) as locker, Session(engine) as other:
        locker.scalars(select(Account).where(Account.id == 2).with_for_update()).one()
        other.execute(update(Account).where(Account.id == 2).values(balance=0))
        other.commit()
        with pytest.raises(OperationalError) as failure:
            locker.commit()
        assert failure.value.orig.sqlstate == "40001"
