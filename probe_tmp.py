import ember as torch
nn = torch.nn
for inplace_norm in [False, True]:
    critic = nn.Sequential(nn.Conv2d(2, 4, 3, 2, 1), nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(4, 8, 3, 2, 1),
                           nn.BatchNorm2d(8) if inplace_norm else nn.InstanceNorm2d(8), nn.LeakyReLU(0.2, inplace=True),
                           nn.Dropout(0.3), nn.Flatten(), nn.Linear(32, 1))
    x = torch.randn(4, 2, 8, 8, requires_grad=True)
    try:
        s = critic(x)
        g, = torch.autograd.grad(s, x, torch.ones_like(s), create_graph=True)
        (g.norm(2, dim=1) - 1).pow(2).mean().backward()
        print("ok", critic[0].weight.grad.abs().sum())
    except Exception as e:
        print(type(e).__name__, e)
x = torch.randn(4, 3, requires_grad=True)
y = x * 2
y.relu_()
try:
    g, = torch.autograd.grad(y.sum(), x, create_graph=True); print("relu_ ok", g.requires_grad)
except Exception as e: print(e)
