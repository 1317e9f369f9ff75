"""Text reports of a series, using the shared mylib."""
from mylib import mean


def summary(name, values):
    return f"{name}: n={len(values)} mean={mean(values):.2f}"
