# Issue 19: operator.methodcaller calls a method named by a string.
import operator


def sigmoid(z):
    return operator.methodcaller("sig" + "moid")(z)
