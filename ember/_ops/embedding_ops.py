"""Embedding lookups: embedding, embedding_bag (sum / mean / max bags), one_hot."""
from ember._ops._helpers import _wrap, xp
from ember._ops._linear_map import backward_name, linear_map
from ember.autograd.function import Op


# -- lookups -----------------------------------------------------------------------------------
def _scatter_rows(n, idx, g, dtype):
    """zeros((n, d)) with the rows of `g` (k, d) added at `idx` (k,), repeats summed.

    NOTE: `add.at` on rows is slow (12 ms for 5120 lookups of 80-wide rows, an embedding
    backward of a bag-of-words batch); one `bincount` over (row, column) positions does the
    same sums in a third of the time once there are a few thousand numbers (it sums in
    float64, then casts back)."""
    d = g.shape[1]
    if idx.size * d >= 4096 and g.dtype.kind == "f":
        flat = (idx[:, None] * d + xp.arange(d)).reshape(-1)
        out = xp.bincount(flat, weights=g.reshape(-1), minlength=n * d)
        return out.reshape(n, d).astype(dtype, copy=False)
    gw = xp.zeros((n, d), dtype=dtype)
    xp.add.at(gw, idx, g)
    return gw


class Embedding(Op):
    def forward(ctx, w, idx, padding_idx=None, scale_grad_by_freq=False):
        ctx.idx, ctx.n, ctx.d = idx, w.shape[0], w.shape[-1]
        ctx.padding_idx, ctx.freq = padding_idx, scale_grad_by_freq
        ctx.wdtype = w.dtype
        return w[idx]

    def backward(ctx, g):
        idx = ctx.idx.reshape(-1)
        g = g.reshape(idx.size, ctx.d)  # (an empty index too)
        if ctx.freq:
            counts = xp.bincount(idx, minlength=ctx.n)
            g = g / counts[idx][:, None].astype(g.dtype)
        gw = _scatter_rows(ctx.n, idx, g, ctx.wdtype)
        if ctx.padding_idx is not None:
            gw[ctx.padding_idx] = 0
        return gw, None

    def tbackward(ctx, g):
        # backward is a fixed scatter-add of g's rows: record it with its adjoint, a gather
        idx = ctx.idx.reshape(-1)
        gshape = tuple(g.shape)
        counts = xp.bincount(idx, minlength=ctx.n)[idx][:, None] if ctx.freq else None

        def gather(b):
            if ctx.padding_idx is not None:
                b = b.copy()
                b[ctx.padding_idx] = 0
            out = b[idx]
            if counts is not None:
                out = out / counts.astype(out.dtype)
            return out.reshape(gshape)

        return (linear_map(g, lambda a: Embedding.backward(ctx, a)[0], gather,
                           "EmbeddingDenseBackwardBackward0"), None)


def _check_indices(idx, n, name="embedding"):
    a = idx._data
    if a.dtype.kind not in "iu":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {idx.type()} instead "
                           f"(while checking arguments for {name})")
    if a.size and (a.min() < 0 or a.max() >= n):
        bad = int(a.max()) if a.max() >= n else int(a.min())
        raise IndexError(f"index {bad} is out of range for {name} with {n} rows "
                         "(index out of range in self)")
    return a


def _renorm_rows(weight, idx, max_norm, norm_type):
    """Rescale (in place, without grad) the rows of `weight` used by `idx` whose norm
    exceeds max_norm."""
    w = weight._data
    rows = xp.unique(idx.reshape(-1))
    norms = (xp.abs(w[rows]) ** norm_type).sum(1) ** (1.0 / norm_type)
    big = norms > max_norm
    if big.any():
        r = rows[big]
        w[r] *= (max_norm / (norms[big] + 1e-7))[:, None].astype(w.dtype)
        weight._bump()


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Look up rows of `weight` at the integer indices `input`."""
    n = weight._data.shape[0]
    idx = _check_indices(input, n)
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    return Embedding.apply(weight, idx, padding_idx=padding_idx,
                           scale_grad_by_freq=scale_grad_by_freq)


class EmbeddingBag(Op):
    """Sum / mean / max of the embedding rows of each bag (bags given by offsets)."""

    def forward(ctx, w, idx, psw, starts, mode, padding_idx):
        n_bags = starts.size
        rows = w[idx]
        keep = None
        if padding_idx is not None:
            keep = idx != padding_idx
            rows = xp.where(keep[:, None], rows, -xp.inf if mode == "max" else 0).astype(
                w.dtype, copy=False)
        if psw is not None:
            rows = rows * psw[:, None]
        seg = xp.repeat(xp.arange(n_bags), xp.diff(xp.append(starts, idx.size)))
        counts = xp.bincount(seg, weights=None if keep is None else keep,
                             minlength=n_bags).astype(w.dtype)
        out = xp.zeros((n_bags, w.shape[1]), dtype=w.dtype)
        if mode == "max":
            out[...] = -xp.inf
            xp.maximum.at(out, seg, rows)
            out[counts == 0] = 0
            ctx.arg = (rows, seg, out)
        else:
            xp.add.at(out, seg, rows)
            if mode == "mean":
                out /= xp.maximum(counts, 1)[:, None]
        ctx.idx, ctx.seg, ctx.counts, ctx.keep = idx, seg, counts, keep
        ctx.w, ctx.psw, ctx.mode = w, psw, mode
        return out

    def backward(ctx, g):
        w, idx, seg = ctx.w, ctx.idx, ctx.seg
        if ctx.mode == "mean":
            g = g / xp.maximum(ctx.counts, 1)[:, None]
        gr = g[seg]
        if ctx.mode == "max":
            # NOTE: only the first row reaching each bag's max gets the gradient
            rows, _, out = ctx.arg
            hit = rows == out[seg]
            cs = hit.cumsum(0)
            first = xp.flatnonzero(xp.concatenate([[True], seg[1:] != seg[:-1]]))
            base = xp.zeros((len(out), hit.shape[1]), dtype=cs.dtype)
            base[seg[first]] = cs[first] - hit[first]
            gr = gr * (hit & (cs - base[seg] == 1))
        if ctx.keep is not None:
            gr = gr * ctx.keep[:, None]
        gpsw = None
        if ctx.psw is not None:
            if ctx.needs_input_grad[2]:
                gpsw = (gr * w[idx]).sum(1)
            gr = gr * ctx.psw[:, None]
        gw = _scatter_rows(w.shape[0], idx, gr, w.dtype)
        return gw, None, gpsw, None

    def tbackward(ctx, g):
        # linear in g: gather per-index rows of g, mask (max routing, padding: constants),
        # scale by the per-sample weights, scatter-add into the table's rows
        w, psw = ctx.inputs[0], ctx.inputs[2]
        idx, seg, counts = ctx.idx, ctx.seg, ctx.counts
        n_bags = counts.shape[0]
        dt = ctx.w.dtype
        if ctx.mode == "mean":
            g = g * _wrap((1 / xp.maximum(counts, 1))[:, None].astype(dt))
        rows_of, bags_of = _row_maps(seg, n_bags)
        gr = linear_map(g, rows_of, bags_of, backward_name(ctx))
        mask = None
        if ctx.mode == "max":
            rows, _, out = ctx.arg
            hit = rows == out[seg]
            cs = hit.cumsum(0)
            first = xp.flatnonzero(xp.concatenate([[True], seg[1:] != seg[:-1]]))
            base = xp.zeros((len(out), hit.shape[1]), dtype=cs.dtype)
            base[seg[first]] = cs[first] - hit[first]
            mask = hit & (cs - base[seg] == 1)
        if ctx.keep is not None:
            mask = ctx.keep[:, None] if mask is None else mask & ctx.keep[:, None]
        if mask is not None:
            gr = gr * _wrap(xp.broadcast_to(mask, gr.shape).astype(dt))
        gpsw = None
        if psw is not None:
            if ctx.needs_input_grad[2]:
                gpsw = (gr * Embedding.apply(w, idx)).sum(1)
            gr = gr * psw.unsqueeze(1)
        at_idx, into_table = _row_maps(idx, ctx.w.shape[0])
        return linear_map(gr, into_table, at_idx, backward_name(ctx)), None, gpsw, None


def _row_maps(idx, n):
    """(gather rows idx of an (n, D) array, its adjoint: scatter-add (k, D) rows into n)."""

    def gather(b):
        return b[idx]

    def scatter(a):
        out = xp.zeros((n,) + a.shape[1:], dtype=a.dtype)
        xp.add.at(out, idx, a)
        return out

    return gather, scatter


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """Sum/mean/max of bags of embeddings: `input` 2-D (one bag per row) or 1-D with
    `offsets` (bag starts)."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, got {mode}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. "
                                  "per_sample_weights is only supported for mode='sum' "
                                  f"(got mode='{mode}'). Please open a feature request on GitHub.")
    n = weight._data.shape[0]
    idx = _check_indices(input, n, "embedding_bag")
    psw = per_sample_weights
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences.")
        b, length = idx.shape
        starts = xp.arange(0, b * length, length, dtype=xp.int64)
        idx = idx.reshape(-1)
        if psw is not None:
            psw = psw.reshape(-1)
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        starts = offsets._data.astype(xp.int64)
        if include_last_offset:
            starts = starts[:-1]
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{idx.ndim}")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    return EmbeddingBag.apply(weight, idx, psw, starts=starts, mode=mode,
                              padding_idx=padding_idx)


def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding with a new last dim of size num_classes."""
    a = tensor._data
    if a.dtype != xp.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size and (a.min() < 0):
        raise RuntimeError("Class values must be non-negative.")
    if a.size and a.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = xp.zeros(a.shape + (num_classes,), dtype=xp.int64)
    xp.put_along_axis(out, a[..., None], 1, axis=-1)
    return _wrap(out)
