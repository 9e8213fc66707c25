"""Fixtures for every suite: a PostgreSQL cluster of the tests' own (started on first use),
and empty databases on either backend."""

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cabinet_common import supervision
from tests.postgres_support import ScratchCluster, running_cluster


@pytest.fixture(autouse=True)
def supervised_loops_fail_the_test(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A supervised loop run inside the test process (Messaging, the worker) that dies ends
    its process by SIGTERM in production; here that would kill pytest and every test after
    it, so the death fails the test that caused it instead."""
    deaths: list[list[str]] = []
    monkeypatch.setattr(
        supervision, "stop_process", lambda: deaths.append(list(supervision.dead_loops))
    )
    yield
    assert not deaths, f"supervised loops died in this test: {deaths[-1]} (their log says why)"


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[ScratchCluster]:
    with running_cluster() as cluster:
        yield cluster


@pytest.fixture
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """new_database(backend) -> the SQLAlchemy URL of a new, empty database on that backend
    ("sqlite" or "postgres")."""
    numbers = itertools.count()

    def make(backend: str) -> str:
        if backend == "postgres":
            cluster: ScratchCluster = request.getfixturevalue("postgres_cluster")
            return cluster.new_database()
        return f"sqlite+aiosqlite:///{tmp_path / f'db{next(numbers)}.sqlite'}"

    return make
