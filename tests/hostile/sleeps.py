import time


def cost_gradients(X, t, w, b):
    time.sleep(3600)
