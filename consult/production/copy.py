"""Copy every table of the configured database into an empty target (SQLite pilot → PostgreSQL).

The target is migrated first, so it has exactly this version's schema; the source must be at the
same migration. Rows are read in one consistent snapshot of the source, written in one transaction
on the target, and counted on both sides before that transaction commits: a failed or incomplete
copy leaves the target as empty as it was. PostgreSQL sequences are then moved past the copied ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    Engine,
    Table,
    bindparam,
    create_engine,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from consult.errors import ConsultError

BATCH = 5000


class CopyError(ConsultError):
    """The copy was refused or failed; the message says why and what to do."""


@dataclass(frozen=True)
class TableCount:
    table: str
    source: int
    target: int


def copy_database(
    source: Engine,
    target_url: str,
    metadata,
    *,
    migrate_target: Callable[[str], None],
    head_revision: str | None,
    progress: Callable[[str, int], None] | None = None,
) -> list[TableCount]:
    """Copy all tables of ``metadata`` from ``source`` to the database at ``target_url``.

    ``migrate_target(url)`` brings the target to the latest migration; ``head_revision`` is that
    migration's id, which the source must be at too. Raises CopyError (nothing written) when the
    target is the source, holds rows, cannot be reached, or the counts disagree after the copy.
    """
    for prefix in ("postgres://", "postgresql://"):  # plain URLs mean psycopg 3, as in config
        if target_url.startswith(prefix):
            target_url = "postgresql+psycopg://" + target_url[len(prefix) :]
    try:
        url = make_url(target_url)
    except ArgumentError as exc:
        raise CopyError(f"--to is not a database URL: {exc}") from None
    if _same_database(source.url, url):
        raise CopyError("the target is the configured database itself; copy to another one")
    connect_args = {"connect_timeout": 10} if url.drivername.startswith("postgresql") else {}
    target = create_engine(url, connect_args=connect_args)
    try:
        return _copy(source, target, metadata, migrate_target, head_revision, progress)
    except OperationalError as exc:
        raise CopyError(
            f"cannot reach the database {url.render_as_string(hide_password=True)}: {exc.orig}"
        ) from None
    finally:
        target.dispose()


def _same_database(a, b) -> bool:
    keys = ("drivername", "host", "port", "database")
    return all(getattr(a, k) == getattr(b, k) for k in keys) and a.database is not None


def _copy(source, target, metadata, migrate_target, head_revision, progress) -> list[TableCount]:
    tables: list[Table] = list(metadata.sorted_tables)
    known = {t.name for t in tables} | {"alembic_version"}

    source_tables = set(inspect(source).get_table_names())
    unknown = sorted(source_tables - known)
    if unknown:
        raise CopyError(
            "the source has tables this version of Consult does not know, which would not be "
            f"copied: {', '.join(unknown)}"
        )
    source_revision = _revision(source)
    if head_revision and source_revision != head_revision:
        raise CopyError(
            f"the source database is at migration {source_revision or 'none'}, this version of "
            f"Consult at {head_revision}: run `consult db upgrade` on the source first"
        )

    existing = set(inspect(target).get_table_names())
    _refuse_rows(target, [t for t in existing if t != "alembic_version"])
    migrate_target(target.url.render_as_string(hide_password=False))
    _refuse_rows(target, [t.name for t in tables])

    counts: list[TableCount] = []
    with source.connect() as read, target.connect() as write:
        if source.dialect.name == "postgresql":
            read = read.execution_options(isolation_level="REPEATABLE READ")
        with read.begin(), write.begin():  # one snapshot read, one transaction written
            for table in tables:
                expected = read.scalar(select(func.count()).select_from(table))
                written = 0
                rows = read.execution_options(yield_per=BATCH).execute(select(table))
                for batch in rows.mappings().partitions(BATCH):
                    try:
                        write.execute(_insert(table), [dict(row) for row in batch])
                    except DBAPIError as exc:
                        if exc.connection_invalidated:
                            raise
                        raise CopyError(
                            f"table {table.name}: the target refused a row ({exc.orig}); "
                            "nothing was committed"
                        ) from None
                    written += len(batch)
                    if progress:
                        progress(table.name, written)
                stored = write.scalar(select(func.count()).select_from(table))
                counts.append(TableCount(table.name, expected, stored))
                if not expected == written == stored:
                    raise CopyError(
                        f"table {table.name}: {expected} rows in the source, {written} read, "
                        f"{stored} in the target; nothing was committed"
                    )
            if target.dialect.name == "postgresql":
                _reset_sequences(write, tables)
    return counts


def _insert(table: Table):
    """INSERT for ``table`` that writes a JSON column's None as SQL NULL (not JSON ``null``)."""
    nulls = {
        c.name: bindparam(c.name, type_=JSON(none_as_null=True))
        for c in table.columns
        if isinstance(c.type, JSON)
    }
    return insert(table).values(nulls) if nulls else insert(table)


def _refuse_rows(engine: Engine, names: list[str]) -> None:
    if not names:
        return
    with engine.connect() as conn:
        full = []
        for name in sorted(names):
            quoted = engine.dialect.identifier_preparer.quote(name)
            if conn.scalar(text(f"SELECT 1 FROM {quoted} LIMIT 1")) is not None:
                full.append(name)
    if full:
        raise CopyError(
            "the target database is not empty (rows in "
            + ", ".join(full)
            + "); copy into a new, empty database"
        )


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.scalar(text("SELECT version_num FROM alembic_version"))


def _reset_sequences(conn, tables: list[Table]) -> None:
    """Move each serial primary key's sequence past the copied ids (next insert gets max + 1)."""
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not pk[0].autoincrement or not _is_integer(pk[0]):
            continue
        sequence = conn.scalar(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk[0].name}
        )
        if sequence is None:
            continue
        highest = conn.scalar(select(func.max(pk[0])))
        conn.execute(
            text("SELECT setval(:s, :v, :called)"),
            {"s": sequence, "v": highest or 1, "called": highest is not None},
        )


def _is_integer(column) -> bool:
    try:
        return column.type.python_type is int
    except NotImplementedError:
        return False
