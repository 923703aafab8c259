import ember as torch
nn = torch.nn
F = nn.functional
models = {
 "transformer": (nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True), 2), torch.randn(2, 5, 8)),
 "transformer_gelu_normfirst": (nn.TransformerEncoderLayer(8, 2, 16, activation="gelu", norm_first=True, batch_first=True), torch.randn(2, 5, 8)),
 "resnet_block": (nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True), nn.Conv2d(8, 8, 3, padding=1, padding_mode="reflect"), nn.GroupNorm(2, 8), nn.SiLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(8, 3)), torch.randn(2, 3, 8, 8)),
 "stylegan_ish": (nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(3, 4, 3, padding=1), nn.LeakyReLU(0.2), nn.AvgPool2d(2), nn.Conv2d(4, 4, 3, stride=2, padding=1), nn.ELU(), nn.Flatten(), nn.Linear(64, 1)), torch.randn(2, 3, 8, 8)),
 "unet_ish": (nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.MaxPool2d(2), nn.ConvTranspose2d(4, 4, 2, stride=2), nn.InstanceNorm2d(4), nn.Mish(), nn.PixelShuffle(2), nn.Conv2d(1, 1, 1)), torch.randn(2, 3, 8, 8)),
 "mlp": (nn.Sequential(nn.Linear(4, 8), nn.Softplus(), nn.LayerNorm(8), nn.Tanh(), nn.Linear(8, 8), nn.GELU(approximate="tanh"), nn.Linear(8, 1), nn.Sigmoid()), torch.randn(5, 4)),
 "conv1d": (nn.Sequential(nn.Conv1d(3, 4, 3, padding="same"), nn.BatchNorm1d(4), nn.PReLU(), nn.MaxPool1d(2), nn.AvgPool1d(2), nn.Flatten(), nn.Linear(8, 2), nn.LogSoftmax(1)), torch.randn(2, 3, 16)),
 "depthwise": (nn.Sequential(nn.Conv2d(4, 4, 3, groups=4, padding=1), nn.Hardswish(), nn.Conv2d(4, 8, 1), nn.ReLU6(), nn.AdaptiveMaxPool2d(2), nn.Flatten(), nn.Linear(32, 1)), torch.randn(2, 4, 8, 8)),
}
for name, (mod, x) in models.items():
    x.requires_grad_(True)
    try:
        y = mod(x)
        g, = torch.autograd.grad(y.sum() if name != "mlp" else y.pow(2).sum(), x, create_graph=True)
        (g.pow(2).sum()).backward()
        ps = [p for p in mod.parameters() if p.grad is not None]
        print(name, "ok", len(ps), "of", len(list(mod.parameters())))
    except Exception as e:
        print(name, type(e).__name__, str(e)[:200])
# MAML-style
net = nn.Linear(4, 1)
x, yt = torch.randn(8, 4), torch.randn(8, 1)
w, b = net.weight, net.bias
loss = F.mse_loss(F.linear(x, w, b), yt)
gw, gb = torch.autograd.grad(loss, (w, b), create_graph=True)
w2, b2 = w - 0.1 * gw, b - 0.1 * gb
F.mse_loss(F.linear(x, w2, b2), yt).backward()
print("maml ok", w.grad.shape)
from ember.func import functional_call  # noqa
