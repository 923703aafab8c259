"""AdaptiveLogSoftmaxWithLoss: the adaptive softmax of Grave et al. (2017) for large
vocabularies: frequent classes (the shortlist) in the head, the rest in clusters whose
smaller projections run only for the rows whose targets fall in them."""
from collections import namedtuple

import ember
from ember._backend import xp
from ember.nn import functional as F
from ember.nn.modules.container import ModuleList, Sequential
from ember.nn.modules.linear import Linear
from ember.nn.modules.module import Module

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive log-softmax over `n_classes` classes split at `cutoffs`.

    forward(input (N, in_features) or (in_features,), target (N,) or ()) returns
    (output, loss): the target log-probabilities and their negated mean.
    `log_prob(input)` gives all classes' log-probabilities, `predict(input)` the most likely.

    Example::

        >>> asm = nn.AdaptiveLogSoftmaxWithLoss(16, 100, cutoffs=[10, 40])
        >>> out, loss = asm(ember.randn(8, 16), ember.randint(0, 100, (8,)))
        >>> out.shape
        ember.Size([8])
    """

    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False,
                 device=None, dtype=None):
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted "
                             "in an increasing order, where each value is between 1 and "
                             "n_classes-1")
        kw = {"device": device, "dtype": dtype}
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, **kw)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hsz, bias=False, **kw),
                                        Linear(hsz, osz, bias=False, **kw)))

    def reset_parameters(self):
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input, target):
        tdim = target.ndim
        if tdim == 1:
            if input.shape[0] != target.shape[0]:
                raise RuntimeError("Input and target should have the same size in the batch "
                                   "dimension.")
            if input.ndim != 2:
                raise RuntimeError(f"1D target tensor expects 2D input tensors, but found "
                                   f"inputs with size {input.shape}")
        elif tdim == 0:
            if input.ndim != 1:
                raise RuntimeError(f"0D target tensor expects 1D input tensors, but found "
                                   f"inputs with size {input.shape}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        batched = tdim > 0
        if not batched:
            input, target = input.unsqueeze(0), target.unsqueeze(0)
        t = target.numpy()
        n = t.shape[0]
        if n and (t.min() < 0 or t.max() >= self.n_classes):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but "
                               f"values in range [{t.min()}, {t.max()}] were found. ")
        head_col = t.copy()  # the head column each row's log-probability starts from
        parts, rows = [], []
        for i in range(1, self.n_clusters + 1):
            lo, hi = self.cutoffs[i - 1], self.cutoffs[i]
            (idx,) = ((t >= lo) & (t < hi)).nonzero()
            if idx.size == 0:
                continue
            head_col[idx] = self.shortlist_size + i - 1
            sel = ember.tensor(idx)
            logp = F.log_softmax(self.tail[i - 1](input.index_select(0, sel)), dim=1)
            parts.append(logp.gather(1, ember.tensor(t[idx] - lo).unsqueeze(1)).squeeze(1))
            rows.append(idx)
        head_logp = F.log_softmax(self.head(input), dim=1)
        output = head_logp.gather(1, ember.tensor(head_col).unsqueeze(1)).squeeze(1)
        if parts:
            # the cluster terms, scattered back to their rows by one gather (rows without
            # one read the trailing zero)
            order = xp.concatenate(rows)
            where = xp.full(n, len(order))
            where[order] = xp.arange(len(order))
            cluster = ember.cat(parts + [output.new_zeros(1)])
            output = output + cluster.index_select(0, ember.tensor(where))
        loss = (-output).mean()
        if not batched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    def _get_full_log_prob(self, input, head_output):
        head_logp = F.log_softmax(head_output, dim=1)
        pieces = [head_logp[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_logp = F.log_softmax(self.tail[i](input), dim=1)
            pieces.append(cluster_logp + head_logp[:, self.shortlist_size + i].unsqueeze(1))
        return ember.cat(pieces, dim=1)

    def log_prob(self, input):
        """Log-probabilities of every class, (N, n_classes) (or (n_classes,))."""
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        out = self._get_full_log_prob(x, self.head(x))
        return out if batched else out.squeeze(0)

    def predict(self, input):
        """The most likely class of each row (same as log_prob(input).argmax(1), cheaper
        when the head already points into the shortlist)."""
        head_output = self.head(input)
        output = ember.argmax(head_output, dim=1)  # (N, in_features) input only, as PyTorch
        outside = output >= self.shortlist_size
        if outside.any():
            full = self._get_full_log_prob(input[outside], head_output[outside])
            output = output.clone()
            output[outside] = ember.argmax(full, dim=1)
        return output


__all__ = ["AdaptiveLogSoftmaxWithLoss"]
