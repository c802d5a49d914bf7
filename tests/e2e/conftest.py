"""Fixtures for the browser tests: the real proxy, a real Open WebUI, headless Chromium.

Run them with ``make e2e`` (nox session ``e2e``): it installs Open WebUI into ``.ui-venv/`` and
runs pytest with the ``playwright`` package. Chromium comes from the system (Debian's
``chromium``), found on ``PATH`` or through ``AGENTLLM_CHROMIUM``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import pytest

from tests.e2e import openwebui
from tests.e2e.recorder import Recorder
from tests.integration.conftest import Proxy, free_port, start_proxy, stop_proxy

ROOT = Path(__file__).resolve().parents[2]
MEASUREMENTS = ROOT / "tmp" / "e2e" / "measurements.json"
SETUP_FAILURES = ROOT / "tmp" / "e2e" / "screenshots"
SCREENSHOTS = ROOT / "docs" / "img"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
measured: dict[str, float] = {}


@dataclass
class OpenWebUI:
    """A running Open WebUI and the admin account the tests signed up."""

    url: str
    log_path: Path
    process: subprocess.Popen = field(repr=False)
    log_file: IO[str] = field(repr=False)
    token: str = ""
    user_id: str = ""

    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=60
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (Linux)."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        if int(fields.get("Pid", "0")) == pid or int(fields.get("PPid", "0")) == pid:
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return total / 1024


def start_open_webui(tmp: Path, base_url: str, key: str, startup_timeout: float = 240) -> OpenWebUI:
    """Start Open WebUI offline against ``base_url`` on a free loopback port; wait until healthy."""
    executable = openwebui.open_webui_bin()
    if not executable.exists():
        pytest.fail(f"{executable} is missing: run `make e2e` (or `uv run nox -s e2e`)")
    data_dir = tmp / "open-webui-data"
    port = free_port()
    log_path = tmp / "open-webui.log"
    started = time.monotonic()
    log_file = log_path.open("w")
    try:
        process = subprocess.Popen(
            openwebui.serve_command("127.0.0.1", port),
            env=openwebui.offline_env(base_url, key, data_dir),
            cwd=tmp,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    except BaseException:
        log_file.close()
        raise
    try:
        return _wait_healthy(process, log_file, log_path, port, started, startup_timeout)
    except BaseException:
        stop_open_webui(process)  # one that never became healthy is not left running
        log_file.close()
        raise


def _wait_healthy(
    process: subprocess.Popen,
    log_file: IO[str],
    log_path: Path,
    port: int,
    started: float,
    startup_timeout: float,
) -> OpenWebUI:
    url = f"http://127.0.0.1:{port}"
    pause = 0.05
    while time.monotonic() - started < startup_timeout:
        if process.poll() is not None:
            raise RuntimeError(
                f"open-webui exited with {process.returncode}:\n{log_path.read_text()}"
            )
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                measured["open_webui_startup_s"] = round(time.monotonic() - started, 1)
                return OpenWebUI(url=url, log_path=log_path, process=process, log_file=log_file)
        except httpx.HTTPError:
            pass
        # A poll with a short backoff: Open WebUI's readiness is known by asking its /health.
        time.sleep(pause)
        pause = min(pause * 2, 0.5)
    raise RuntimeError(f"open-webui not healthy after {startup_timeout} s:\n{log_path.read_text()}")


def stop_open_webui(process: subprocess.Popen) -> None:
    """SIGTERM Open WebUI's process group (it may start workers), then kill what is left."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def chromium_path() -> str:
    found = os.environ.get("AGENTLLM_CHROMIUM") or shutil.which("chromium")
    found = found or shutil.which("chromium-browser")
    if not found:
        pytest.fail("no Chromium: `apt-get install chromium`, or set AGENTLLM_CHROMIUM")
    return found


EMAIL, PASSWORD = "alice@example.com", "e2e-Passw0rd!"


@pytest.fixture(scope="session")
def proxy(tmp_path_factory) -> Iterator[Proxy]:
    running = start_proxy(tmp_path_factory.mktemp("proxy"))
    yield running
    stop_proxy(running)


@pytest.fixture(scope="session")
def recorder(proxy) -> Iterator[Recorder]:
    """What Open WebUI sends to the proxy, request by request."""
    running = Recorder(proxy.url).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def open_webui(proxy, recorder, tmp_path_factory) -> Iterator[OpenWebUI]:
    ui = start_open_webui(tmp_path_factory.mktemp("open-webui"), f"{recorder.url}/v1", proxy.key)
    try:
        # The first account on a fresh Open WebUI becomes its admin.
        reply = httpx.post(
            f"{ui.url}/api/v1/auths/signup",
            json={"name": "Alice", "email": EMAIL, "password": PASSWORD},
            timeout=60,
        )
        reply.raise_for_status()
        account = reply.json()
        assert account["role"] == "admin"
        ui.token, ui.user_id = account["token"], account["id"]
        yield ui
    finally:
        measured["open_webui_rss_mb"] = round(rss_mb(ui.process.pid))
        stop_open_webui(ui.process)
        ui.log_file.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, open_webui):
    """A browser tab logged in as the admin, on a new chat."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    tab.goto(f"{open_webui.url}/auth", wait_until="domcontentloaded")
    tab.evaluate("token => { localStorage.token = token }", open_webui.token)
    # Not "networkidle": Open WebUI keeps a socket.io connection open, so it never settles.
    tab.goto(f"{open_webui.url}/", wait_until="domcontentloaded")
    # Now and then (on a busy machine) the app drops the stored token and shows its sign-in form
    # instead of the chat: then sign in as a user would.
    chat_input, sign_in = tab.locator("#chat-input"), tab.get_by_role("button", name="Sign in")
    try:
        chat_input.or_(sign_in).first.wait_for(timeout=60_000)
    except PlaywrightTimeout:
        SETUP_FAILURES.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SETUP_FAILURES / f"page-setup-{time.monotonic_ns()}.png"))
        raise
    if not chat_input.is_visible():
        tab.get_by_placeholder("Enter Your Email").fill(EMAIL)
        tab.get_by_placeholder("Enter Your Password").fill(PASSWORD)
        sign_in.click()
        chat_input.wait_for()
    dismiss = tab.get_by_role("button", name="Okay, Let's Go!")
    # The release-notes dialog shows only on an account's first visit.
    with contextlib.suppress(Exception):
        dismiss.click(timeout=5_000)
    yield tab
    context.close()


def pytest_sessionfinish(session, exitstatus) -> None:
    if measured:
        MEASUREMENTS.parent.mkdir(parents=True, exist_ok=True)
        MEASUREMENTS.write_text(json.dumps(measured, indent=2) + "\n")


def pytest_terminal_summary(terminalreporter) -> None:
    if measured:
        terminalreporter.write_line(f"e2e measurements: {json.dumps(measured)}")
