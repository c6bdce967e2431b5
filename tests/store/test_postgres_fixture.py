"""The PostgreSQL fixture's own rules: where it finds the server, and that in CI a test
that cannot reach PostgreSQL fails instead of skipping."""

from __future__ import annotations

import pytest
from postgres import PostgresMissing, find_bindir, missing


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception),
                                             ("", pytest.skip.Exception)])
def test_no_postgresql_fails_in_ci_and_skips_elsewhere(monkeypatch, ci, outcome):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="no server here"):
        missing("no server here")


def test_a_pg_bin_without_the_binaries_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv("PG_BIN", str(tmp_path))
    with pytest.raises(PostgresMissing, match=r"scripts/ensure_postgres\.sh"):
        find_bindir()
