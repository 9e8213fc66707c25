"""Fixtures for every suite: a PostgreSQL cluster of the tests' own (started on first use),
and empty databases on either backend."""

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.postgres_support import ScratchCluster, running_cluster


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
