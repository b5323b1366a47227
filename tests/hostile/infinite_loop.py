def cost_gradients(X, t, w, b):
    while True:
        pass
