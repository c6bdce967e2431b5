"""Connections: an engine for a URL, SQLite set up for concurrent writers, database
errors as StoreUnavailable, and the schema brought to the newest revision on open.

SQLite: WAL (readers never wait for a writer), a busy timeout, and writes that start
with ``BEGIN IMMEDIATE`` (SQLAlchemy's pysqlite recipe: the driver's own BEGIN turned
off, ours emitted in the ``begin`` event), so two writers queue for the lock instead of
one failing half-way. PostgreSQL: psycopg 3, a connect timeout, a lock timeout, and
connections checked before use (a restarted server is no error).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

import mapapp.store.schema as schema
from mapapp.model.messages import msg
from mapapp.store.errors import StoreError, StoreUnavailable

MIGRATIONS = Path(__file__).with_name("migrations")
WRITE = "mapapp_write"  # execution option: this transaction writes (SQLite: IMMEDIATE)
_UPGRADE_LOCK = 0x6D61706170700001  # PostgreSQL advisory lock key: one upgrade at a time
_ALEMBIC = threading.Lock()  # alembic's ``context`` is one global: one run at a time


def parse_url(url: str) -> sa.URL:
    """The URL with a driver we ship: ``postgresql://`` and ``postgres://`` mean psycopg 3
    (SQLAlchemy's default would be psycopg2, which is not installed)."""
    text = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if text.startswith(prefix):
            text = "postgresql+psycopg://" + text[len(prefix):]
    try:
        parsed = sa.make_url(text)
    except sa.exc.ArgumentError:
        raise StoreError(msg("store_unsupported", url=_hidden(text))) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(msg("store_unsupported", url=parsed.render_as_string()))
    return parsed


def _hidden(text: str) -> str:
    """A URL that did not parse, without what could be a password."""
    head, _, tail = text.rpartition("@")
    return f"{head.split('://')[0]}://***@{tail}" if head else text


def display(url: sa.URL) -> str:
    return url.render_as_string(hide_password=True)


def make_engine(url: sa.URL, timeout_s: float) -> sa.Engine:
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, timeout_s)
    options = f"-c lock_timeout={int(timeout_s * 1000)}"
    return sa.create_engine(url, pool_pre_ping=True, connect_args={
        "connect_timeout": max(1, min(10, round(timeout_s))), "options": options})


def _sqlite_engine(url: sa.URL, timeout_s: float) -> sa.Engine:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": timeout_s})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        write = connection.get_execution_options().get(WRITE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def unavailable(exc: sa.exc.DBAPIError, where: str, backend: str) -> StoreUnavailable:
    """The database error as a message: which database, what went wrong, what to do."""
    reason = str(exc.orig if exc.orig is not None else exc).strip()
    reason = (reason.splitlines() or ["?"])[0][:300]
    if "lock" in reason.lower():
        hint = msg("store_hint_locked")
    else:
        hint = msg("store_hint_sqlite" if backend == "sqlite" else "store_hint_postgres")
    return StoreUnavailable(msg("store_unavailable", url=where, reason=reason, hint=hint))


@contextlib.contextmanager
def reachable(where: str, backend: str) -> Iterator[None]:
    """Database errors of connecting and locking raised as StoreUnavailable."""
    try:
        yield
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        raise unavailable(exc, where, backend) from exc


# --- schema revisions ----------------------------------------------------------------

def _alembic_config():
    from alembic.config import Config  # only when opening: a cold start need not load it

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(connection: sa.Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: sa.Engine, where: str, target: str = "head") -> None:
    """Bring the schema to ``target`` (the newest by default), in one transaction that
    holds the database's write lock (SQLite) or an advisory lock (PostgreSQL): two
    processes opening one database at once upgrade it once. A database newer than this
    code is refused rather than written to."""
    from alembic import command
    from alembic.script import ScriptDirectory

    config = _alembic_config()
    scripts = ScriptDirectory.from_config(config)
    head = scripts.get_current_head() if target == "head" else target
    with engine.connect() as connection:
        current = current_revision(connection)
    if current == head:
        return
    with engine.execution_options(**{WRITE: True}).begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": _UPGRADE_LOCK})
        current = current_revision(connection)  # again: another process may have done it
        if current is not None and current not in {s.revision for s in scripts.walk_revisions()}:
            raise StoreError(msg("store_newer", url=where, revision=current))
        if current == head:
            return
        config.attributes["connection"] = connection
        with _ALEMBIC:
            command.upgrade(config, target)
        if current is not None and sa.inspect(connection).has_table("audit"):
            connection.execute(schema.audit.insert().values(
                at=datetime.now(UTC), actor="mapapp", action="upgrade", slug=None,
                version=None, detail=json.dumps({"from": current, "to": head})))
