"""One cluster (deploy/cluster.py): a throwaway PostgreSQL, two replicas and nginx in
front, on free ports, started once for test_deploy_cluster.py (its tests all use it) and
stopped as soon as they end, not held through the rest of the suite. Without nginx or
PostgreSQL binaries the tests fail in CI (CI=true) and are skipped elsewhere, as the
store's tests are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from deploy.cluster import Cluster, NginxMissing, find_nginx
from deploy.local_postgres import PostgresMissing, find_bindir, free_port


def missing(reason: str):
    """Locally a skip; in CI a failure: a test that did not run must not pass there."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"deployment tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"deployment tests skipped: {reason}")


@pytest.fixture(scope="module")
def cluster():
    try:
        find_nginx()
        find_bindir()
    except (NginxMissing, PostgresMissing) as exc:
        missing(str(exc))
    # A browser reports the map: the rest of the page waits for it (as tests/browser).
    with Cluster(2, port=free_port(), env={"MAPAPP_MAP_WAIT_S": "4"}) as started:
        yield started


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium (tests/browser's), or skip/fail as above."""
    from browser.conftest import CHROMIUM

    if not Path(CHROMIUM).exists():
        missing(f"Chromium not found at {CHROMIUM} (scripts/ensure_chromium.sh)")
    return CHROMIUM
