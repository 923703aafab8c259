"""ember/_random.py: the Generator object."""
import re

import pytest

import ember


def test_generator_repr_names_the_class_like_pytorch():
    torch = pytest.importorskip("torch")
    pattern = r"<{}\._C\.Generator object at 0x[0-9a-f]+>"
    assert re.fullmatch(pattern.format("torch"), repr(torch.manual_seed(0)))
    assert re.fullmatch(pattern.format("ember"), repr(ember.manual_seed(0)))
    g = ember.Generator()
    assert repr(g) == f"<ember._C.Generator object at {hex(id(g))}>"
    assert ember.manual_seed(3) is ember.default_generator
