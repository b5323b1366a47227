# sys.stdout.flush() after a progress line is refused (flush is not a listed attribute).
import sys
def f(z):
    sys.stdout.write("epoch 1\n")
    sys.stdout.flush()
    return z
