import time

import pytest

from pricer import fair_price


def test_fair_price_of_flat_series():
    assert fair_price([10, 10, 10, 10]) == 10


def test_fair_price_uses_last_window():
    assert fair_price([1, 2, 3, 4, 5], window=2) == 4.5


@pytest.mark.slow
def test_fair_price_of_long_series():
    time.sleep(1)
    quotes = list(range(10_000))
    assert fair_price(quotes, window=10) == 9994.5
