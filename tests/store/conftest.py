"""Store fixtures: a real PostgreSQL for the session, a fresh database per test, SQLite files."""

from __future__ import annotations

import shutil

import pytest

from tests.store.pg import PgServer


@pytest.fixture(scope="session")
def pg_server():
    if not shutil.which("initdb") or not shutil.which("pg_ctl"):
        pytest.fail("PostgreSQL binaries (initdb, pg_ctl) not on PATH: run `make system`")
    server = PgServer().start()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server):
    with pg_server.database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'rasad.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Both backends: the same test runs on a SQLite file and on a real PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rasad.db'}"
    else:
        server = request.getfixturevalue("pg_server")
        with server.database() as url:
            yield url


@pytest.fixture
def make_store():
    """Open a Store on a URL with its own FeedBus; everything opened is closed at the end."""
    from console.bus import FeedBus
    from console.settings import Settings
    from console.store import Store

    opened = []

    def make(url: str, console: str = "desk-1", **settings):
        bus = FeedBus()
        # the test data is dated in the past: no background sealing/rollup unless a test asks for it
        settings.setdefault("store_maintenance_s", 3600.0)
        store = Store(Settings(db=url, console_id=console, **settings), bus)
        store.open()
        assert store.wait_ready(20), store.error
        opened.append((store, bus))
        return store, bus

    yield make
    for store, bus in reversed(opened):
        store.close()
        bus.close()
