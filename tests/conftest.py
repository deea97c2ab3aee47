"""Shared fixtures: the loopback lab, running in a background thread for the whole session.

Event loops: the async tests of the modules in ``EVERY_LOOP`` (the probes, whose
outcomes must not depend on the loop) run once on asyncio's loop and once on
uvloop (``[asyncio]`` / ``[uvloop]`` in their ids; on asyncio only where uvloop
is not installed, as the report header says). ``--loop asyncio`` or
``--loop uvloop`` runs every async test of the suite on that one loop instead.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import tempfile
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# A suite started in the background (`pytest &` in a script: no job control) inherits SIGINT ignored, and so would
# every ipv6scan it starts: the tests that press Ctrl-C on a scan would wait for a scan that never hears it. A
# Python handler here is reset to the default in each child at exec, so the children hear Ctrl-C again.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
_SCRATCH = Path(tempfile.mkdtemp(prefix="ipv6scan-tests-"))

# The command line speaks English in the tests (fixtures of every scope, child processes) unless a test asks
# for Vietnamese (--lang vi, or IPV6SCAN_LANG=vi); tests/test_cli_lang.py checks the default and the locale rules.
os.environ["IPV6SCAN_LANG"] = "en"

# Every ipv6scan a test starts (run_cli, its own Popen, inside the netlab's namespace) saves into a scratch history
# database, never the repository's reports/history.sqlite: a killed test scan left there as "running" would be
# offered to the user's next --resume. pytest_sessionfinish fails the run if reports/ changed anyway.
os.environ["IPV6SCAN_DB"] = str(_SCRATCH / "history.sqlite")


def _reports_snapshot() -> dict[str, tuple[int, int]]:
    folder = REPO / "reports"
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()} if folder.is_dir() else {}


_REPORTS_BEFORE = _reports_snapshot()
_CWD = _SCRATCH / "cwd"  # where run_cli runs by default: a scan's default --save-dir (reports/) lands there
_CWD.mkdir()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    after = _reports_snapshot()
    changed = sorted(name for name in set(after) | set(_REPORTS_BEFORE) if after.get(name) != _REPORTS_BEFORE.get(name))
    if changed:
        sys.stderr.write(f"\nthe tests wrote into the repository's reports/ folder: {', '.join(changed)}\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED

EVERY_LOOP = frozenset({"test_dns", "test_dns_socket", "test_hostile", "test_http_transport", "test_smtp",
                        "test_tls", "test_web", "test_loop"})
"""Test modules whose async tests run on each event loop (by default)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--loop", choices=("both", "asyncio", "uvloop"), default="both",
                     help="both (default): the probe tests run on asyncio and on uvloop, the rest on asyncio; "
                          "asyncio or uvloop: every async test on that loop")


def uvloop_version() -> str | None:
    """The installed uvloop's version; None when it cannot be imported."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.__version__


def _uvloop() -> asyncio.AbstractEventLoop:
    import uvloop

    return uvloop.new_event_loop()


@pytest.hookimpl(optionalhook=True)  # pytest-asyncio < 1.4 has no such hook: every test on asyncio then
def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, object]:
    """The event loops an async test runs on (pytest-asyncio >= 1.4; one loop: the test id is unchanged)."""
    chosen = config.getoption("--loop")
    if chosen == "uvloop":
        return {"uvloop": _uvloop}
    if chosen == "both" and item.path.stem in EVERY_LOOP and uvloop_version():
        return {"asyncio": asyncio.new_event_loop, "uvloop": _uvloop}
    return {"asyncio": asyncio.new_event_loop}


def pytest_report_header(config: pytest.Config) -> str:
    chosen, version = config.getoption("--loop"), uvloop_version()
    if chosen != "both":
        return f"event loops: {chosen} for every async test (uvloop {version or 'not installed'})"
    if version is None:
        return "event loops: asyncio only: uvloop is not installed (pip install -e '.[test]')"
    return f"event loops: asyncio, and uvloop {version} for {', '.join(sorted(EVERY_LOOP))}"


@pytest.fixture(scope="session")
def lab():
    from ipv6scan.testnet.lab import LabThread

    with LabThread() as running:
        yield running


@pytest.fixture(scope="session")
def lab_dir(lab, tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("lab")


def run_cli(*args: str, stdin: str | None = None, cwd: Path | None = None, timeout: float = 120,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the real ``ipv6scan`` command line in a child process (``env``: variables added to its environment)."""
    pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200", "PYTHONPATH": pythonpath, **(env or {})}
    env["IPV6SCAN_DB"] = str(_SCRATCH / "history.sqlite")  # never the user's reports/history.sqlite
    return subprocess.run(
        [sys.executable, "-m", "ipv6scan", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        cwd=cwd or _CWD,
        env=env,
    )
