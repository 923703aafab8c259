import ember as torch
F = torch.nn.functional
x = torch.randn(2, 3, 6, 6, requires_grad=True)
x5 = torch.randn(2, 3, 4, 4, 4, requires_grad=True)
cases = {
 "interp_bilinear": lambda: F.interpolate(x, scale_factor=2, mode="bilinear"),
 "interp_bicubic": lambda: F.interpolate(x, scale_factor=2, mode="bicubic"),
 "interp_nearest": lambda: F.interpolate(x, scale_factor=2),
 "interp_near_down": lambda: F.interpolate(x, size=(4, 5)),
 "upsample_ac": lambda: F.interpolate(x, size=(9, 9), mode="bilinear", align_corners=True),
 "pad": lambda: F.pad(x, (1, 1, 1, 1)),
 "pad_r": lambda: F.pad(x, (1, 1, 1, 1), mode="reflect"),
 "pad_rep": lambda: F.pad(x, (1, 1, 1, 1), mode="replicate"),
 "pad_circ": lambda: F.pad(x, (1, 1, 1, 1), mode="circular"),
 "bilinear": lambda: F.bilinear(x.reshape(12, 6), x.reshape(12, 6) * 2, torch.randn(4, 6, 6, requires_grad=True)),
 "conv_t": lambda: F.conv_transpose2d(x, torch.randn(3, 2, 3, 3, requires_grad=True)),
 "unfold": lambda: F.unfold(x, 2),
 "fold": lambda: F.fold(F.unfold(x, 2), (6, 6), 2),
 "pixel_shuffle": lambda: F.pixel_shuffle(x.reshape(2, 12, 3, 3), 2),
 "pixel_unshuffle": lambda: F.pixel_unshuffle(x, 2),
 "grid_sample": lambda: F.grid_sample(x, torch.rand(2, 3, 3, 2) * 2 - 1, align_corners=False),
 "sdpa": lambda: F.scaled_dot_product_attention(x, x, x),
 "mha": lambda: torch.nn.MultiheadAttention(6, 2, batch_first=True)(x[0], x[0], x[0])[0],
 "emb_bag": lambda: F.embedding_bag(torch.tensor([0, 2, 1, 3]), x.reshape(36, 6)[:5], torch.tensor([0, 2])),
 "rnn": lambda: torch.nn.RNN(6, 4, batch_first=True)(x[0])[0],
 "lstm": lambda: torch.nn.LSTM(6, 4, batch_first=True)(x[0])[0],
 "gru": lambda: torch.nn.GRU(6, 4, batch_first=True)(x[0])[0],
 "multimargin": lambda: F.multi_margin_loss(x.reshape(12, 18), torch.zeros(12, dtype=torch.long)),
 "poisson": lambda: F.poisson_nll_loss(x, torch.rand(2, 3, 6, 6)),
 "max_pool3d": lambda: F.max_pool3d(x5, 2),
 "avg_pool3d": lambda: F.avg_pool3d(x5, 2),
 "lrn": lambda: F.local_response_norm(x, 2),
 "adaptive_max1d": lambda: F.adaptive_max_pool1d(x.reshape(2, 3, 36), 5),
 "lp_pool": lambda: F.lp_pool2d(x, 2, 2),
 "hinge": lambda: F.hinge_embedding_loss(x, torch.ones(2, 3, 6, 6)),
 "margin_rank": lambda: F.margin_ranking_loss(x.reshape(-1), x.reshape(-1) * 2, torch.ones(216)),
 "cosine_emb": lambda: F.cosine_embedding_loss(x.reshape(12, 18), x.reshape(12, 18) + 1, torch.ones(12)),
 "triplet": lambda: F.triplet_margin_loss(x.reshape(12, 18), x.reshape(12, 18) + 1, x.reshape(12, 18) * 2),
 "soft_margin": lambda: F.soft_margin_loss(x, torch.ones(2, 3, 6, 6)),
 "mlsm": lambda: F.multilabel_soft_margin_loss(x.reshape(12, 18), torch.ones(12, 18)),
 "gaussian_nll": lambda: F.gaussian_nll_loss(x, x * 2, (x * x + 1)),
 "glu": lambda: F.glu(x, 1 + 0) if False else F.glu(x.reshape(2, 6, 18), 1),
 "logsumexp": lambda: x.logsumexp(1),
 "cumsum": lambda: x.cumsum(1),
 "std": lambda: x.std(1), "var": lambda: x.var(1), "norm": lambda: x.norm(dim=1),
 "max": lambda: x.max(1)[0], "amax": lambda: x.amax(1), "sort": lambda: x.sort(1)[0],
 "topk": lambda: x.topk(2, 1)[0], "index_select": lambda: x.index_select(1, torch.tensor([0, 2])),
 "gather": lambda: x.gather(1, torch.zeros(2, 1, 6, 6, dtype=torch.long)),
 "masked_fill": lambda: x.masked_fill(x > 0, 0.0), "getitem": lambda: x[:, 1, ::2],
 "clamp": lambda: x.clamp(-0.5, 0.5), "atan2": lambda: torch.atan2(x, x * x + 1),
 "cdist": lambda: torch.cdist(x.reshape(12, 18), x.reshape(12, 18) * 2),
 "einsum": lambda: torch.einsum("bchw,bchw->bc", x, x),
 "bmm": lambda: torch.bmm(x.reshape(6, 6, 6), x.reshape(6, 6, 6)),
 "det": lambda: torch.linalg.det(x.reshape(12, 3, 3) if False else x[:, :, :3, :3]),
 "stack": lambda: torch.stack([x, x * 2]), "expand": lambda: x[:, :1].expand(2, 3, 6, 6),
 "repeat": lambda: x.repeat(1, 2, 1, 1), "flip": lambda: x.flip(1), "roll": lambda: x.roll(1, 2),
 "tril": lambda: x.tril(), "diag_embed": lambda: torch.diag_embed(x[0, 0]),
 "scatter_add": lambda: torch.zeros(2, 3, 6, 6).scatter_add(1, torch.zeros(2, 3, 6, 6, dtype=torch.long), x),
 "prod": lambda: x.prod(1), "cumprod": lambda: x.cumprod(1), "median": lambda: x.median(1)[0],
 "dist": lambda: torch.dist(x, x * 2), "outer": lambda: torch.outer(x.reshape(-1)[:5], x.reshape(-1)[5:9]),
 "mv": lambda: torch.mv(x[0, 0], x[0, 1, 0]), "kron": lambda: torch.kron(x[0, 0], x[0, 1]),
 "trace": lambda: x[0, 0].trace(), "inverse": lambda: torch.linalg.inv(x[:, :, :3, :3] + 3 * torch.eye(3)),
 "lerp": lambda: torch.lerp(x, x * 2, 0.3), "hypot": lambda: torch.hypot(x, x + 1),
 "addcmul": lambda: torch.addcmul(x, x, x), "baddbmm": lambda: torch.baddbmm(x.reshape(6, 6, 6), x.reshape(6, 6, 6), x.reshape(6, 6, 6)),
 "softmax_dtype": lambda: F.softmax(x, 1, dtype=torch.float64),
 "log_softmax3": lambda: F.log_softmax(x, -1), "softmin": lambda: F.softmin(x, 1),
 "gumbel": lambda: F.gumbel_softmax(x, tau=0.5),
 "channel_shuffle": lambda: F.channel_shuffle(x.reshape(2, 6, 3, 6), 2),
}
bad = []
for k, f in cases.items():
    try:
        y = f()
        g, = torch.autograd.grad((y * y).sum(), x if k not in ("max_pool3d", "avg_pool3d") else x5, create_graph=True, allow_unused=True)
        (g * g).sum().backward()
    except Exception as e:
        bad.append(k); print(k, type(e).__name__, str(e)[:120])
print("OK:", [k for k in cases if k not in bad])
