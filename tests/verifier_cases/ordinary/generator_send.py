# Ordinary coroutine-style generator: .send is refused (it is in LIBRARY_ATTRIBUTES, not in ATTRIBUTES).
def running_mean():
    total, n = 0.0, 0
    x = yield
    while True:
        total += x
        n += 1
        x = yield total / n
def f(z):
    g = running_mean()
    next(g)
    return g.send(float(z.sum()))
