# The usual __repr__ idiom self.__class__.__name__ is refused (__class__).
class Layer:
    def __repr__(self):
        return f"{self.__class__.__name__}()"
def f(z):
    print(repr(Layer()))
    return z
