"""
conftest.py -- fixtures and time limits for herd's integration tests.

Fixtures:
  processes         a harness.ProcessGroup for one test: whatever the test
                    starts through it is stopped (and checked) in teardown.
  module_processes  the same, shared by a module (for long-lived clusters).
  reference, redis_target, node_target, proxy_target
                    the differential tests' servers (see differential.py),
                    one of each per module, started when first asked for:
                    a reference redis-server and a second one (both with
                    `databases 1`, as herd has one database), a herd-node,
                    and herd-proxy in front of 3 herd-nodes.

Every test phase runs under a time limit (SIGALRM): 60 s by default,
`@pytest.mark.timeout(seconds)` to change it, multiplied by
HERD_TIMEOUT_FACTOR (run-all.sh raises it for sanitizer builds).
"""

import os
import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

DEFAULT_TIMEOUT = 60.0


class TestTimeout(Exception):
    """Raised in the test when its time limit passes."""


def _timeout_factor():
    factor = float(os.environ.get("HERD_TIMEOUT_FACTOR", "0") or 0)
    if factor <= 0:
        factor = 3.0 if harness.is_sanitized_build() else 1.0
    return factor


def _limit_for(item):
    marker = item.get_closest_marker("timeout")
    seconds = float(marker.args[0]) if marker and marker.args else DEFAULT_TIMEOUT
    return seconds * _timeout_factor()


def _run_with_alarm(item, phase):
    seconds = _limit_for(item)

    def on_alarm(signum, frame):
        raise TestTimeout(f"{item.nodeid}: {phase} took longer than {seconds:.0f}s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    yield from _run_with_alarm(item, "setup")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    yield from _run_with_alarm(item, "test")


def _interrupt_on_sigterm(signum, frame):
    """SIGTERM to pytest: unwind like Ctrl-C so teardowns stop the servers."""
    raise KeyboardInterrupt("SIGTERM")


def pytest_configure(config):
    config.addinivalue_line("markers", "timeout(seconds): time limit of each phase")
    signal.signal(signal.SIGTERM, _interrupt_on_sigterm)


def pytest_unconfigure(config):
    harness.kill_leftovers()


@pytest.fixture
def processes(tmp_path):
    """A ProcessGroup for this test; stopped and checked in teardown."""
    group = harness.ProcessGroup(tmp_path)
    try:
        yield group
    finally:
        group.stop_all()


@pytest.fixture(scope="module")
def module_processes(tmp_path_factory, request):
    """A ProcessGroup shared by the tests of one module."""
    name = Path(request.module.__file__).stem
    group = harness.ProcessGroup(tmp_path_factory.mktemp(name))
    try:
        yield group
    finally:
        group.stop_all()


@pytest.fixture(scope="module")
def reference(module_processes):
    """The redis-server every differential test compares against."""
    return module_processes.redis(name="reference", options={"databases": 1})


@pytest.fixture(scope="module")
def redis_target(module_processes):
    """A second redis-server: checks a test's steps are deterministic."""
    return module_processes.redis(name="redis-target", options={"databases": 1})


@pytest.fixture(scope="module")
def node_target(module_processes):
    """One herd-node, asked directly."""
    return module_processes.node(index=0, name="diff-node")


@pytest.fixture(scope="module")
def proxy_target(module_processes):
    """herd-proxy in front of 3 herd-nodes."""
    return module_processes.cluster(node_count=3).proxy
