"""TorchVersion: a version string that compares as a version (PEP 440), not as text.

`torch.__version__ >= "2.2"` is a common guard; as plain strings "2.13.0" < "2.2". A
TorchVersion compares with strings, tuples of ints and other versions by release numbers,
pre/post/dev parts and local label, as PyTorch's does.
"""
import re

_PATTERN = re.compile(r"^v?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|rc|alpha|beta|c)[-_.]?(\d*))?"
                      r"(?:[-_.]?post[-_.]?(\d*))?(?:[-_.]?dev[-_.]?(\d*))?(?:\+([a-z0-9.]+))?$",
                      re.IGNORECASE)
_PRE = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2}


def _key(text):
    m = _PATTERN.match(text.strip())
    if m is None:
        raise ValueError(f"Invalid version: '{text}'")
    release, pre, pre_n, post, dev, local = m.groups()
    nums = [int(p) for p in release.split(".")]
    while len(nums) > 1 and nums[-1] == 0:
        nums.pop()
    if pre:
        pre_key = (_PRE[pre.lower()], int(pre_n or 0))
    elif dev is not None and post is None:
        pre_key = (-1, 0)  # 1.0.dev0 comes before 1.0a0
    else:
        pre_key = (3, 0)
    post_key = -1 if post is None else int(post or 0)
    dev_key = float("inf") if dev is None else int(dev or 0)
    local_key = () if local is None else tuple(
        (1, int(p)) if p.isdigit() else (0, p.lower()) for p in re.split(r"[._-]", local))
    return tuple(nums), pre_key, post_key, dev_key, local_key


def _other_key(other):
    if isinstance(other, tuple):
        other = ".".join(str(p) for p in other)
    if not isinstance(other, str):
        raise TypeError(f"'{type(other).__name__}' is not a version string or tuple")
    return _key(other)


class TorchVersion(str):
    """A str holding a version that compares as one (`ember.__version__ >= "2.2"`)."""

    def _cmp(self, other, op):
        try:
            return op(_key(self), _other_key(other))
        except (ValueError, TypeError):
            return op(str(self), other) if isinstance(other, str) else NotImplemented

    def __lt__(self, other):
        return self._cmp(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._cmp(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._cmp(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._cmp(other, lambda a, b: a >= b)

    def __eq__(self, other):
        return self._cmp(other, lambda a, b: a == b)

    # NOTE: != stays str's, as in PyTorch (so "2.13.0" != "2.13" although they are ==)
    __hash__ = str.__hash__


__all__ = ["TorchVersion"]
