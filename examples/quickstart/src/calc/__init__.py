"""A tiny calculator package used to produce real pytest fixtures."""


def add(a, b):
    return a + b


def div(a, b):
    if b == 0:
        raise ZeroDivisionError("division by zero")
    return a / b


def clamp(x, lo, hi):
    if lo > hi:
        raise ValueError("empty range")
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def describe(n):
    if n < 0:
        return "negative"
    elif n == 0:
        return "zero"
    return "positive"


def unused_helper(values):
    total = 0
    for v in values:
        total += v
    return total


def percent(part, whole):
    """Share of `part` in `whole`, in percent, rounded to one decimal."""
    if whole == 0:
        return 0.0
    value = part / whole * 100
    if value > 100:
        raise ValueError("part exceeds whole")
    return round(value, 1)


def mean(values):
    if not values:
        raise ValueError("mean of nothing")
    return sum(values) / len(values)
