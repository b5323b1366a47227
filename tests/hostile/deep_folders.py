import os

# Its own folder, nested 3000 deep (by mkdir and chdir, so no path is ever long): what the zygote must still
# remove after it, and a later zygote of the same user too, should this one be gone first.


def cost_gradients(X, t, w, b):
    here = os.getcwd()
    try:
        for _ in range(3000):
            os.mkdir("d")
            os.chdir("d")
    except OSError:
        pass
    os.chdir(here)
    n = X.shape[0]
    err = X @ w + b - t
    return X.T @ err / n, err.mean()
