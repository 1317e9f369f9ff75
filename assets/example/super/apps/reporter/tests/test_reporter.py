import time

import pytest

from reporter import summary


def test_summary_line():
    assert summary("x", [1, 2, 3]) == "x: n=3 mean=2.00"


@pytest.mark.slow
def test_summary_of_many_values():
    time.sleep(1)
    assert summary("big", list(range(101))) == "big: n=101 mean=50.00"
