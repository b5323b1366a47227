# Builtins missing from the list: except KeyboardInterrupt / ImportError, OSError ... are refused.
def f(z, epochs=2):
    try:
        for _ in range(epochs):
            pass
    except KeyboardInterrupt:
        print("stopped early")
    return z
