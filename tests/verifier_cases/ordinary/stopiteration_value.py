# Reading a generator's return value from StopIteration.value is refused (.value not listed).
def count_rows(z):
    n = 0
    for _ in z:
        n += 1
        yield n
    return n
def f(z):
    g = count_rows(z)
    try:
        while True:
            next(g)
    except StopIteration as stop:
        return stop.value
