# Not an attack: honest code that imports what it needs inside the graded function (the standard library's
# statistics, which itself imports fractions and decimal, cmath, and numpy.linalg), as students do. The
# sandbox must let it in on every host: the child reads the interpreter's files as whatever user it runs as.
# (Every module here is on the rules' allowlist: docs/rules.md.)


def cost_gradients(X, t, w, b):
    import cmath
    import statistics

    from numpy.linalg import norm

    n = X.shape[0]
    err = X @ w + b - t
    assert statistics.mean([1, 2, 3]) == 2 and cmath.sqrt(-1) == 1j and norm([3.0, 4.0]) == 5.0
    return X.T @ err / n, err.mean()
