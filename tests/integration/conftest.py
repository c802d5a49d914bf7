"""Fixtures that start the real proxy (once per test session) on a free loopback port."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import openai
import pytest

from tests.support.markers import unmarked_files

ROOT = Path(__file__).resolve().parents[2]
MASTER_KEY = "sk-test-master-key-for-integration-0001"
# What uvicorn logs (at INFO, to stderr) once its socket listens (uvicorn/server.py, startup).
LISTENING = b"Uvicorn running on "


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every file here carries ``pytestmark = pytest.mark.integration``, so ``-m "not
    integration"`` never starts a proxy; a file without it fails the collection."""
    missing = unmarked_files(items, Path(__file__).parent, "integration")
    if missing:
        names = ", ".join(str(path.relative_to(ROOT)) for path in missing)
        raise pytest.UsageError(f"add `pytestmark = pytest.mark.integration` to {names}")


class Output:
    """A proxy's stdout and stderr, copied into its log file by a thread that waits on the pipe.

    ``listening`` is set when uvicorn says its socket listens, ``ended`` when the output ends (the
    process exited), ``settled`` at the first of the two.
    """

    def __init__(self, pipe: IO[bytes], log_file: IO[bytes]) -> None:
        self.pipe, self.log_file = pipe, log_file
        self.listening = threading.Event()
        self.ended = threading.Event()
        self.settled = threading.Event()
        self._lock = threading.Lock()  # one reader at a time keeps the log in order
        self._tail = b""  # the end of the last chunk: the line may straddle two
        os.set_blocking(pipe.fileno(), False)
        self._thread = threading.Thread(target=self._copy, name="proxy-output", daemon=True)
        self._thread.start()

    def _copy(self) -> None:
        while not self.ended.is_set() and not self.log_file.closed:
            select.select([self.pipe], [], [])
            self.drain()

    def drain(self) -> None:
        """Copy what the proxy has written so far into the log file."""
        with self._lock:
            while not self.ended.is_set() and not self.log_file.closed:
                try:
                    chunk = os.read(self.pipe.fileno(), 65536)
                except BlockingIOError:
                    break
                if not chunk:
                    self.ended.set()
                    self.settled.set()
                    break
                self.log_file.write(chunk)
                seen = self._tail + chunk
                self._tail = seen[-len(LISTENING) :]
                if LISTENING in seen:
                    self.listening.set()
                    self.settled.set()
            if not self.log_file.closed:
                self.log_file.flush()

    def close(self) -> None:
        """After the process exited: copy the rest, then close the pipe and the log file."""
        try:
            self._thread.join(timeout=10)  # the output ends when the last process holding it exits
            if not self._thread.is_alive():
                self.pipe.close()
        finally:
            self.log_file.close()


@dataclass
class Proxy:
    """A running proxy process and what tests need to talk to it."""

    url: str
    key: str
    log_path: Path
    db_path: Path
    process: subprocess.Popen = field(repr=False)
    output: Output = field(repr=False)

    @property
    def log_file(self) -> IO[bytes]:
        return self.output.log_file

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def client(self, **kwargs) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.base_url, api_key=self.key, max_retries=0, **kwargs)

    def async_client(self, **kwargs) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(base_url=self.base_url, api_key=self.key, max_retries=0, **kwargs)

    def log(self) -> str:
        """Everything the proxy printed so far (what it wrote before answering is included)."""
        self.output.drain()
        return self.log_path.read_text(errors="replace")


def start_proxy(
    tmp: Path,
    extra_env: dict[str, str] | None = None,
    startup_timeout: float = 120,
    args: tuple[str, ...] = (),
) -> Proxy:
    """Start ``agentllm`` with the offline model and a temporary database; wait until healthy."""
    port = free_port()
    db_path = tmp / "sessions.db"
    env = {
        **os.environ,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "AGENTLLM_MODEL": "echo",
        "AGENTLLM_DB_URL": f"sqlite:///{db_path}",
        "LITELLM_MASTER_KEY": MASTER_KEY,
        "GEMINI_API_KEY": "",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **(extra_env or {}),
    }
    log_path = tmp / "proxy.log"
    log_file = log_path.open("wb")
    try:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "agentllm",
                "serve",
                "--port",
                str(port),
                "--config",
                str(ROOT / "proxy_config.yaml"),
                "--runtime-config",
                str(tmp / "runtime.yaml"),
                *args,
            ],
            cwd=tmp,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    except BaseException:
        log_file.close()
        raise
    assert process.stdout is not None
    proxy = Proxy(
        url=f"http://127.0.0.1:{port}",
        key=MASTER_KEY,
        log_path=log_path,
        db_path=db_path,
        process=process,
        output=Output(process.stdout, log_file),
    )
    try:
        wait_healthy(proxy, startup_timeout)
    except BaseException:
        stop_proxy(proxy)  # a proxy that never became healthy is not left running
        raise
    return proxy


def wait_healthy(proxy: Proxy, startup_timeout: float) -> None:
    """Return once uvicorn says it listens and the liveness probe answers; raise with the log if
    the proxy exits first (needs uvicorn's INFO lines: a log level of info or debug)."""
    deadline = time.monotonic() + startup_timeout
    if not proxy.output.settled.wait(startup_timeout):
        raise RuntimeError(f"proxy not listening after {startup_timeout} s:\n{proxy.log()}")
    if not proxy.output.listening.is_set():  # its output ended: it exited
        proxy.process.wait(timeout=30)
        raise RuntimeError(f"proxy exited with {proxy.process.returncode}:\n{proxy.log()}")
    # One process logs that line once its socket listens; with --workers the parent logs it once
    # the socket is bound, before a worker listens on it, and only asking tells when one does: a
    # poll with a short backoff, which a single process answers at the first try.
    pause = 0.01
    while True:
        try:
            response = httpx.get(f"{proxy.url}/health/liveliness", timeout=10)
            break
        except httpx.ConnectError as exc:
            if proxy.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"proxy not healthy ({exc!r}):\n{proxy.log()}") from exc
            time.sleep(pause)
            pause = min(pause * 2, 0.2)
    if response.status_code != 200:
        raise RuntimeError(f"proxy not healthy ({response.status_code}):\n{proxy.log()}")


def stop_proxy(proxy: Proxy) -> None:
    """SIGTERM, then SIGKILL after 30 s; always wait for the process and close its log."""
    try:
        if proxy.process.poll() is None:
            proxy.process.send_signal(signal.SIGTERM)
            try:
                proxy.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proxy.process.kill()
                proxy.process.wait()
    finally:
        proxy.output.close()


@contextmanager
def running_proxy(
    tmp: Path, extra_env: dict[str, str] | None = None, args: tuple[str, ...] = ()
) -> Iterator[Proxy]:
    """``start_proxy`` ... ``stop_proxy`` as a context: several proxies go in one ``ExitStack``
    (or one ``with``), so a start that fails stops the ones already started."""
    started = start_proxy(tmp, extra_env, args=args)
    try:
        yield started
    finally:
        stop_proxy(started)


@pytest.fixture(scope="session")
def proxy(tmp_path_factory) -> Iterator[Proxy]:
    running = start_proxy(tmp_path_factory.mktemp("proxy"))
    yield running
    stop_proxy(running)


@pytest.fixture(scope="session")
def slow_proxy(tmp_path_factory) -> Iterator[Proxy]:
    """A proxy whose offline model waits 50 ms before each word: a model that produces its reply
    over time, as a real one does (the default one produces a whole reply at once)."""
    running = start_proxy(tmp_path_factory.mktemp("slow"), {"AGENTLLM_ECHO_DELAY": "0.05"})
    yield running
    stop_proxy(running)


@pytest.fixture
def client(proxy) -> openai.OpenAI:
    return proxy.client()


@pytest.fixture
def aclient(proxy) -> openai.AsyncOpenAI:
    return proxy.async_client()
