# Issue 19: a name given as a string to operator.attrgetter reaches torch's private original.
import operator

import torch


def sigmoid(z):
    return operator.attrgetter("_C._VariableFunctions.sigmoid")(torch)(z)
