def cost_gradients(X, t, w, b):
    n = X.shape[0]
    err = X @ w + b - t
    w -= 1.0
    return X.T @ err / n, err.mean()
