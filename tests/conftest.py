"""Fixtures for every suite: a PostgreSQL cluster of the tests' own (started on first use)."""

from collections.abc import Iterator

import pytest

from tests.postgres_support import ScratchCluster, running_cluster


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[ScratchCluster]:
    with running_cluster() as cluster:
        yield cluster
