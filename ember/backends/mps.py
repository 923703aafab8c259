"""ember.backends.mps: Apple MPS is never available under NumPy."""


def is_available():
    return False


def is_built():
    return False
