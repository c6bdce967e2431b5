"""A throwaway PostgreSQL server for the store's tests (deploy/local_postgres.py, the
cluster's own starter): initdb into a new temporary folder, postgres on a free port of
127.0.0.1 (trust authentication, no fsync), stopped and deleted afterwards; as root it
runs as the ``postgres`` user that Debian's package creates. ``MAPAPP_TEST_POSTGRES_URL``
(an admin URL) uses a server you already run instead.
"""

from __future__ import annotations

import os
import uuid

import pytest

from deploy.local_postgres import PostgresMissing, PostgresServer, find_bindir, free_port

__all__ = ["PostgresMissing", "find_bindir", "free_port", "in_ci", "missing",
           "new_database", "start_server"]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(reason: str):
    """Locally a skip; in CI a failure: a test that did not run must not pass there."""
    if in_ci():
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


def new_database(admin_url: str) -> str:
    """A new empty database on the server of ``admin_url``; its URL."""
    import psycopg

    name = f"mapapp_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url.replace("postgresql+psycopg://", "postgresql://"),
                         autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name


def start_server() -> PostgresServer:
    server = PostgresServer()
    try:
        return server.start()
    except BaseException:
        server.destroy()
        raise
