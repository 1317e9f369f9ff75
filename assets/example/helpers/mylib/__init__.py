"""Shared helpers of the demo workspace."""


def mean(values):
    values = list(values)
    if not values:
        raise ValueError("mean of nothing")
    return sum(values) / len(values)


def moving_average(values, window):
    values = list(values)
    if window < 1 or window > len(values):
        raise ValueError(f"window {window} does not fit {len(values)} values")
    return [mean(values[i - window : i]) for i in range(window, len(values) + 1)]
