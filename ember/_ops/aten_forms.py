"""ATen-level torch.* functions that PyTorch's nn.functional and nn modules call: the general
convolution, grid sampler, native_* norms and dropout, norm_except_dim, embedding_renorm_,
low-rank SVD/PCA, the recurrent cells; plus small backend switches. Exported through
functional_forms."""
from ember._ops._helpers import public_functions


def _F():
    from ember.nn import functional

    return functional


# -- ATen-level forms (what nn.functional calls in PyTorch) -------------------------------------
def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                groups):
    """The general convolution entry: conv{1,2,3}d or conv_transpose{1,2,3}d by weight's
    rank and `transposed`."""
    n = weight.ndim - 2
    F = _F()
    if transposed:
        return getattr(F, f"conv_transpose{n}d")(input, weight, bias, tuple(stride),
                                                 tuple(padding), tuple(output_padding), groups,
                                                 tuple(dilation))
    return getattr(F, f"conv{n}d")(input, weight, bias, tuple(stride), tuple(padding),
                                   tuple(dilation), groups)


_GRID_MODES = ("bilinear", "nearest", "bicubic")
_GRID_PADDING = ("zeros", "border", "reflection")


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """F.grid_sample with ATen's int modes (0 bilinear, 1 nearest, 2 bicubic; padding 0
    zeros, 1 border, 2 reflection)."""
    return _F().grid_sample(input, grid, _GRID_MODES[interpolation_mode],
                            _GRID_PADDING[padding_mode], align_corners)


grid_sampler_2d = grid_sampler_3d = grid_sampler


def affine_grid_generator(theta, size, align_corners):
    return _F().affine_grid(theta, list(size), align_corners)


def native_channel_shuffle(input, groups):
    return _F().channel_shuffle(input, groups)


def native_dropout(input, p, train):
    """(output, keep mask): dropout that also returns its boolean mask."""
    import ember

    if not train or p == 0:
        return input.clone(), ember.ones(input.shape, dtype=ember.bool)
    mask = ember.rand(input.shape) >= p
    scale = 0.0 if p >= 1 else 1.0 / (1.0 - p)
    return input * mask.to(input.dtype) * scale, mask


def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """(output, mean, rstd) with mean/rstd keeping the normalised dims as size 1."""
    dims = tuple(range(-len(normalized_shape), 0))
    mean = input.mean(dims, keepdim=True)
    rstd = ((input - mean) ** 2).mean(dims, keepdim=True).add(eps).rsqrt()
    out = (input - mean) * rstd
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out, mean.detach(), rstd.detach()  # (saved statistics: no gradient, as PyTorch's)


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """(output, save_mean, save_invstd): the batch statistics when training (empty in
    evaluation, as PyTorch's CPU kernel)."""
    import ember

    out = _F().batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                          eps)
    if not training:
        return out, ember.empty(0, dtype=input.dtype), ember.empty(0, dtype=input.dtype)
    dims = (0,) + tuple(range(2, input.ndim))
    mean = input.detach().mean(dims)
    invstd = input.detach().var(dims, correction=0).add(eps).rsqrt()
    return out, mean, invstd


def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    """(output, mean, rstd) with mean/rstd of shape (N, group)."""
    out = _F().group_norm(input, group, weight, bias, eps)
    g = input.detach().reshape(N, group, -1)
    return out, g.mean(-1), g.var(-1, correction=0).add(eps).rsqrt()


def norm_except_dim(v, pow=2, dim=0):  # noqa: A002 - PyTorch's name
    """The `pow`-norm over every dim but `dim` (keeping them as size 1); of everything when
    dim == -1 (weight_norm's helper)."""
    import ember

    if dim == -1:
        return ember.linalg.vector_norm(v, pow)
    d = dim % v.ndim
    return ember.linalg.vector_norm(v, pow, dim=tuple(i for i in range(v.ndim) if i != d),
                                    keepdim=True)


def embedding_renorm_(input, indices, max_norm, norm_type):
    """Rescale, in place, the rows of `input` named in `indices` whose norm exceeds
    max_norm (F.embedding's max_norm); not recorded by autograd."""
    import ember

    with ember.no_grad():
        rows = ember.unique(indices.reshape(-1))
        norms = ember.linalg.vector_norm(input[rows], norm_type, dim=1, keepdim=True)
        scale = ember.where(norms > max_norm, max_norm / (norms + 1e-7), ember.ones_like(norms))
        input[rows] = input[rows] * scale
    return input


def svd_lowrank(A, q=6, niter=2, M=None):
    """(U, S, V) of rank q. ember computes the exact truncated SVD (PyTorch a randomised
    one), so singular vectors agree up to sign."""
    import ember

    X = A if M is None else A - M
    U, S, Vh = ember.linalg.svd(X, full_matrices=False)
    return U[..., :q], S[..., :q], Vh.mT[..., :q]


def pca_lowrank(A, q=None, center=True, niter=2):
    """(U, S, V) of the (centred) data's principal components; q = min(6, m, n) by default."""
    m, n = A.shape[-2], A.shape[-1]
    q = min(6, m, n) if q is None else q
    X = A - A.mean(-2, keepdim=True) if center else A
    return svd_lowrank(X, q)


def is_distributed(input):
    return False


def is_vulkan_available():
    return False


def compiled_with_cxx11_abi():
    return True


def init_num_threads():
    """Nothing to initialise: ember's thread pool starts on demand."""


def set_anomaly_enabled(enabled, check_nan=True):
    from ember.autograd import anomaly_mode

    anomaly_mode._set(enabled, check_nan)


# -- recurrent cells (torch.lstm_cell, ...: what nn.LSTMCell & co compute) -----------------------
def _affine(x, w, b):
    y = x @ w.mT
    return y if b is None else y + b


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return (_affine(input, w_ih, b_ih) + _affine(hx, w_hh, b_hh)).tanh()


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return (_affine(input, w_ih, b_ih) + _affine(hx, w_hh, b_hh)).relu()


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """(h', c') from gates (input, forget, cell, output) = chunks of the two affine maps."""
    h, c = hx
    gates = _affine(input, w_ih, b_ih) + _affine(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, -1)
    c2 = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c2.tanh(), c2


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = (1 - z) n + z h with reset r, update z and n = tanh(x_n + r * h_n)."""
    xr, xz, xn = _affine(input, w_ih, b_ih).chunk(3, -1)
    hr, hz, hn = _affine(hx, w_hh, b_hh).chunk(3, -1)
    r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return (1 - z) * n + z * hx


__all__ = public_functions(globals())
