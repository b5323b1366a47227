# Not an attack: honest code that imports what it needs inside the graded function (the standard library's
# statistics and fractions, and scipy), as students do. The sandbox must let it in on every host: the
# child reads the interpreter's files as whatever user it runs as.


def cost_gradients(X, t, w, b):
    import fractions
    import statistics

    import scipy.special  # noqa: F401

    n = X.shape[0]
    err = X @ w + b - t
    assert statistics.mean([1, 2, 3]) == 2 and fractions.Fraction(1, 2) * 2 == 1
    return X.T @ err / n, err.mean()
