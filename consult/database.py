"""Declarative base with stable constraint names, SQLite tuning and the write-transaction helper."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Connection execution option that asks for BEGIN IMMEDIATE on SQLite (see ``write_transaction``).
IMMEDIATE = "consult_begin_immediate"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Naive UTC 'now': every timestamp in the database is UTC without a zone (SQLite has none)."""
    return datetime.now(UTC).replace(tzinfo=None)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    if not _is_sqlite(dbapi_connection):
        return
    # Let SQLAlchemy, not the driver, emit BEGIN, so that writes can use BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn) -> None:
    if conn.dialect.name != "sqlite":
        return
    immediate = conn.get_execution_options().get(IMMEDIATE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@contextmanager
def write_transaction(session: Session | scoped_session) -> Iterator[Session]:
    """Run a block of writes atomically: commit on success, roll back on any error.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE`` so that concurrent writers queue on
    the busy timeout instead of failing when a read lock would have to be upgraded. Any read
    transaction still open on the session is ended first (it holds no changes of its own).
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={IMMEDIATE: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def dialect_insert(session: Session | scoped_session):
    """The ``insert`` of the session's dialect, which knows ON CONFLICT (SQLite and PostgreSQL)."""
    from sqlalchemy.dialects import postgresql, sqlite

    name = session.get_bind().dialect.name
    return postgresql.insert if name == "postgresql" else sqlite.insert


def insert_rows(
    session,
    table,
    rows: list[dict],
    *,
    conflict_keys: tuple[str, ...] = (),
    update: tuple[str, ...] = (),
) -> None:
    """Bulk-insert ``rows`` (dicts with the same keys) into ``table`` in the current transaction.

    With ``conflict_keys``, a row that collides on them updates the ``update`` columns of the
    existing row instead. PostgreSQL gets COPY (through a temporary table when there is a conflict
    rule), SQLite a plain executemany: both are an order of magnitude faster than ORM or
    multi-VALUES inserts for hundreds of thousands of rows.
    """
    if not rows:
        return
    table = getattr(table, "__table__", table)
    columns = list(rows[0])
    if session.get_bind().dialect.name != "postgresql":
        statement = dialect_insert(session)(table)
        if conflict_keys:
            statement = statement.on_conflict_do_update(
                index_elements=list(conflict_keys),
                set_={c: statement.excluded[c] for c in update},
            )
        session.execute(statement, rows)
        return
    raw = session.connection().connection.driver_connection
    names = ", ".join(columns)
    target = table.name
    with raw.cursor() as cursor:
        if conflict_keys:
            target = f"_consult_load_{table.name}"
            cursor.execute(
                f"CREATE TEMP TABLE {target} (LIKE {table.name} INCLUDING DEFAULTS) ON COMMIT DROP"
            )
        with cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
        if conflict_keys:
            updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in update) or None
            action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
            cursor.execute(
                f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {target} "
                f"ON CONFLICT ({', '.join(conflict_keys)}) {action}"
            )
            cursor.execute(f"DROP TABLE {target}")
