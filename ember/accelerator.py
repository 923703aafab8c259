"""ember.accelerator: the current accelerator, if any (PyTorch >= 2.6 API)."""


def is_available():
    from ember import cuda

    return cuda.is_available()


def current_accelerator(check_available=False):
    from ember._device import device

    return device("cuda") if is_available() else None


def device_count():
    from ember import cuda

    return cuda.device_count()
