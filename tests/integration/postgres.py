"""A throw-away PostgreSQL cluster for tests (initdb + pg_ctl in a temporary folder)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.integration.conftest import free_port


def server_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or ``None`` when PostgreSQL is absent."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _as_postgres(command: list[str]) -> list[str]:
    # The server refuses to run as root: drop to the postgres user when we are root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class Cluster:
    """A running throw-away cluster: its URL, and stop/start for fault tests."""

    def __init__(self, bindir: Path, root: Path, port: int) -> None:
        self.bindir, self.root, self.port = bindir, root, port
        self.data = root / "data"
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres([str(self.bindir / "pg_ctl"), "-D", str(self.data), *args]),
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections (``pg_ctl -w``)."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg_ctl("-w", "-l", str(self.root / "server.log"), "-o", options, "start")

    def stop(self) -> None:
        """Stop the server now, cutting every connection (``-m fast``)."""
        self._pg_ctl("-w", "-m", "fast", "stop")


@contextmanager
def running_cluster() -> Iterator[Cluster]:
    """Start a cluster on a free loopback port; stop and delete it afterwards."""
    bindir = server_bin()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) not found")
    root = Path(tempfile.mkdtemp(prefix="agentllm-pg-"))
    cluster = Cluster(bindir, root, free_port())
    try:
        os.chmod(root, 0o755)
        cluster.data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
            shutil.chown(cluster.data, "postgres")
        subprocess.run(
            _as_postgres(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(cluster.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
        )
        cluster.start()
        try:
            yield cluster
        finally:
            subprocess.run(
                _as_postgres(
                    [str(bindir / "pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "stop"]
                ),
                capture_output=True,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Start a cluster on a free loopback port; yield its URL; stop and delete it afterwards."""
    with running_cluster() as cluster:
        yield cluster.url
