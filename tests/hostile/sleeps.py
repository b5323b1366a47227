import time


def fit_direct(X, t):
    time.sleep(3600)
