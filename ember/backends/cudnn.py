"""ember.backends.cudnn: cuDNN flags (recorded; there is no cuDNN under NumPy)."""
benchmark = False
deterministic = False
enabled = True
allow_tf32 = True


def is_available():
    return False


def version():
    return None
