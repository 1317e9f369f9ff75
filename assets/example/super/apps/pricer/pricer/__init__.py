"""Prices from a series of quotes, using the shared mylib."""
from mylib import moving_average


def fair_price(quotes, window=3):
    """The last moving average of the quotes, rounded to cents."""
    averages = moving_average(quotes, window)
    return round(averages[-1], 2)
