"""Store tests run on both backends: a SQLite file per test, and a new database per test
on one PostgreSQL server that the session starts (``postgres.py``) and stops."""

from __future__ import annotations

import os

import pytest
from postgres import PostgresMissing, missing, new_database, start_server

from mapapp.store import Store, caches

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_admin():
    """The admin URL of a PostgreSQL server for the session (skip, or fail in CI)."""
    given = os.environ.get("MAPAPP_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    try:
        server = start_server()
    except PostgresMissing as exc:
        missing(str(exc))
    yield server.admin_url
    server.destroy()


def make_url(backend: str, request, tmp_path, name: str = "store") -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / name}.sqlite"
    admin = request.getfixturevalue("postgres_admin")
    try:
        return new_database(admin)
    except Exception as exc:  # a server that went away: fail in CI, skip locally
        missing(f"cannot create a database on {admin}: {exc}")


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def url(backend, request, tmp_path) -> str:
    return make_url(backend, request, tmp_path)


@pytest.fixture
def new_url(backend, request, tmp_path):
    """Another empty store of the same backend, as many as a test asks for."""
    made = iter(range(1, 100))
    return lambda: make_url(backend, request, tmp_path, f"other{next(made)}")


@pytest.fixture(autouse=True)
def _fresh_caches():
    caches.clear()  # each test sees its own stores only
    yield
    caches.clear()


@pytest.fixture
def store(url):
    with Store(url) as opened:
        yield opened
