"""A throwaway PostgreSQL cluster for tests, started by the devstack's own code on a free
port: one per test session, a fresh database (and role) per test that asks for one."""

import itertools
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from cabinet_devstack import postgres
from cabinet_devstack.processes import free_port

_names = itertools.count(1)
# What tests parametrised over the database run on.
BACKENDS = ("sqlite", "postgres")


class ScratchCluster:
    def __init__(self, cluster: postgres.Cluster) -> None:
        self.cluster = cluster

    def new_database(self) -> str:
        """The SQLAlchemy URL of a new, empty database with a role of its own."""
        name = f"test{next(_names)}"
        postgres.provision(self.cluster, [name])
        return self.cluster.database_url(name)


@contextmanager
def running_cluster() -> Iterator[ScratchCluster]:
    if not postgres.binaries_present():
        pytest.skip(
            f"PostgreSQL 15 is not installed ({postgres.BIN_DIR} has no initdb):"
            f" `make test` installs the Debian package {postgres.DEBIAN_PACKAGE}"
        )
    directory = postgres.scratch_directory()
    cluster = postgres.Cluster(directory, free_port(), durable=False)
    log = directory / "postgres.log"
    process = postgres.start(cluster, log, directory / "postgres.pid")
    try:
        postgres.wait_ready(cluster, process)
        yield ScratchCluster(cluster)
    finally:
        postgres.stop(cluster, log)
        process.stop()
        shutil.rmtree(directory, ignore_errors=True)
