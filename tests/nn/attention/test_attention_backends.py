"""nn.attention: backend selection accepted (ember has only the math kernel)."""
import pytest

import ember
from ember.nn.attention import SDPBackend, sdpa_kernel


def test_sdpa_kernel_context_leaves_results_unchanged():
    q = ember.randn(1, 2, 3, 4)
    plain = ember.nn.functional.scaled_dot_product_attention(q, q, q)
    with sdpa_kernel(SDPBackend.MATH):
        inside = ember.nn.functional.scaled_dot_product_attention(q, q, q)
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION]):
        also = ember.nn.functional.scaled_dot_product_attention(q, q, q)
    assert ember.equal(plain, inside) and ember.equal(plain, also)
    assert str(SDPBackend.MATH) == "SDPBackend.MATH"
    with pytest.raises(AssertionError, match="SDPBackend"):
        with sdpa_kernel(["math"]):
            pass
