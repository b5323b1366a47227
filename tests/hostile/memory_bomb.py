import torch


def fit_direct(X, t):
    # 1 GB at a time until something gives; torch.empty reserves without touching the pages,
    # so the address-space limit stops it at once (a bomb that pages slowly is a timeout).
    hoard = []
    while True:
        hoard.append(torch.empty(2 ** 28))
