"""dt's pytest plugin, loaded with `-p dt_pytest` by `dt test`.

Per-test timeouts of the selected suite (DT_TEST_TIMEOUT seconds), without needing the
pytest-timeout package in every image: a timed-out test fails with a message that names
the timeout and the suite.
"""
import os
import signal

import pytest


def _timeout():
    try:
        return float(os.environ.get("DT_TEST_TIMEOUT", "0"))
    except ValueError:
        return 0.0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    timeout = _timeout()
    if timeout <= 0 or not hasattr(signal, "setitimer"):
        yield
        return
    suite = os.environ.get("DT_TEST_SUITE", "?")

    def on_alarm(signum, frame):
        pytest.fail(
            f"Timeout: the test ran longer than {timeout:g} s, the per-test timeout of the '{suite}' suite",
            pytrace=False,
        )

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
