"""ember.nn.attention.bias: causal masks for scaled_dot_product_attention that are not
materialised until attention needs them (PyTorch's CausalBias).

`causal_upper_left(L, S)` lets query i see keys 0..i (what `is_causal=True` does);
`causal_lower_right(L, S)` aligns the diagonal with the last key, so query i sees keys
0..i + S - L (the causal mask for queries appended after a cache of S - L keys).
"""
import enum

import ember


class CausalVariant(enum.IntEnum):
    UPPER_LEFT = 1
    LOWER_RIGHT = 2

    def __repr__(self):
        return f"<CausalVariant.{self.name}: {self.value}>"


class CausalBias:
    """A causal attention mask of shape (seq_len_q, seq_len_kv), made when needed.

    Pass it as `attn_mask` to F.scaled_dot_product_attention; `_materialize()` gives the
    boolean mask (True where a query may attend)."""

    def __init__(self, variant, seq_len_q, seq_len_kv):
        if not isinstance(variant, CausalVariant):
            raise AssertionError("variant must be a CausalVariant")
        self.variant, self.seq_len_q, self.seq_len_kv = variant, seq_len_q, seq_len_kv
        if seq_len_q > seq_len_kv and variant == CausalVariant.LOWER_RIGHT:
            import warnings

            warnings.warn("Lower right causal bias will produce NaNs in the output when "
                          "seq_len_q > seq_len_kv!", stacklevel=2)

    @property
    def shape(self):
        return ember.Size((self.seq_len_q, self.seq_len_kv))

    dtype = ember.bool
    device = ember.device("cpu")

    def _upper_left(self, device=None):
        return ember.ones(self.seq_len_q, self.seq_len_kv, dtype=ember.bool).tril()

    def _lower_right(self, device=None):
        diagonal = self.seq_len_kv - self.seq_len_q
        return ember.ones(self.seq_len_q, self.seq_len_kv, dtype=ember.bool).tril(diagonal)

    def _materialize(self, device=None):
        if self.variant == CausalVariant.UPPER_LEFT:
            return self._upper_left(device)
        return self._lower_right(device)

    def _sdpa(self, query, key, value, dropout_p, is_causal, scale, enable_gqa):
        """F.scaled_dot_product_attention with this mask (called by it)."""
        from ember.nn.functional import scaled_dot_product_attention

        if is_causal:
            raise ValueError("CausalBias should not be used with causal=True")
        lq, lkv = query.shape[-2], key.shape[-2]
        if (lq, lkv) != (self.seq_len_q, self.seq_len_kv):
            raise RuntimeError(f"The size of tensor a ({lq}) must match the size of tensor b "
                               f"({self.seq_len_q}) at non-singleton dimension "
                               f"{query.ndim - 2}")
        if self.variant == CausalVariant.UPPER_LEFT or lq == lkv:
            return scaled_dot_product_attention(query, key, value, None, dropout_p, True,
                                                scale, enable_gqa)
        return scaled_dot_product_attention(query, key, value, self._materialize(), dropout_p,
                                            False, scale, enable_gqa)

    def __repr__(self):
        return repr(self._materialize())


def causal_upper_left(*size):
    """A CausalBias of `size` = (seq_len_q, seq_len_kv), aligned at the top left."""
    if len(size) != 2:
        raise AssertionError("causal_upper_left only supports 2D tensors")
    return CausalBias(CausalVariant.UPPER_LEFT, *size)


def causal_lower_right(*size):
    """A CausalBias of `size` = (seq_len_q, seq_len_kv), aligned at the bottom right."""
    if len(size) != 2:
        raise AssertionError("causal_lower_right only supports 2D tensors")
    return CausalBias(CausalVariant.LOWER_RIGHT, *size)


__all__ = ["CausalBias", "CausalVariant", "causal_lower_right", "causal_upper_left"]
