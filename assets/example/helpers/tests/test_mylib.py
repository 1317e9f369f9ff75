import time

import pytest

from mylib import mean, moving_average


def test_mean():
    assert mean([1, 2, 3, 4]) == 2.5


def test_mean_of_nothing_fails():
    with pytest.raises(ValueError):
        mean([])


def test_moving_average():
    assert moving_average([1, 2, 3, 4], 2) == [1.5, 2.5, 3.5]


@pytest.mark.slow
def test_moving_average_long():
    time.sleep(1)
    assert len(moving_average(range(1000), 10)) == 991
