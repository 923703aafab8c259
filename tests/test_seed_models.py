"""The seeds' models and training loops, run with `import ember as torch`, compared step by
step with real PyTorch from the same starting weights and data."""
import warnings

import numpy as np
import pytest
from helpers import requires_torch

import ember

try:
    import torch
except ImportError:
    torch = None


@pytest.fixture(autouse=True)
def _single_threaded_blas():
    """Both libraries on one BLAS thread: on a small, busy machine multi-threaded BLAS
    spin-waits and runs these tiny matmuls tens of times slower."""
    limits = None
    try:
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(1)
    except ImportError:
        pass
    n = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(1)
    yield
    if torch is not None:
        torch.set_num_threads(n)
    if limits is not None:
        limits.restore_original_limits()


def seed004_mlp(lib, steps, use_adam=False):
    """Seed 004's 'Train a Simple Network' (Variable, MSELoss(size_average=False), manual
    `param.data -= learning_rate * param.grad.data` updates), starting from fixed weights."""
    Variable = lib.autograd.Variable
    rng = np.random.default_rng(0)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = Variable(lib.tensor(rng.standard_normal((N, D_in)).astype(np.float32)))
    y = Variable(lib.tensor(rng.standard_normal((N, D_out)).astype(np.float32)),
                 requires_grad=False)
    model = lib.nn.Sequential(
        lib.nn.Linear(D_in, H),
        lib.nn.ReLU(),
        lib.nn.Linear(H, D_out))
    weights = np.random.default_rng(1)
    with lib.no_grad():
        for p in model.parameters():
            fan_in = p.shape[-1] if p.ndim > 1 else H
            p.copy_(lib.tensor(weights.uniform(-1, 1, tuple(p.shape)).astype(np.float32)
                               / np.sqrt(fan_in))) if lib is torch else None
            if lib is not torch:
                p._data[...] = (weights.uniform(-1, 1, tuple(p.shape)) / np.sqrt(fan_in))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss_fn = lib.nn.MSELoss(size_average=False)
    learning_rate = 1e-4
    optimizer = lib.optim.Adam(model.parameters(), lr=learning_rate) if use_adam else None
    losses = []
    for t in range(steps):
        y_pred = model(x)
        loss = loss_fn(y_pred, y)
        losses.append(loss.item())
        if use_adam:
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        else:
            model.zero_grad()
            loss.backward()
            for param in model.parameters():
                param.data -= learning_rate * param.grad.data
    return np.array(losses)


@requires_torch
def test_seed004_manual_sgd_matches_torch_trajectory():
    le, lt = seed004_mlp(ember, 25), seed004_mlp(torch, 25)
    assert le[-1] < 0.5 * le[0]  # it learns
    assert (np.diff(le) < 0).all()
    np.testing.assert_allclose(le, lt, rtol=2e-4)


@requires_torch
def test_seed004_adam_matches_torch_trajectory():
    if not hasattr(ember, "optim") or not hasattr(ember.optim, "Adam"):
        pytest.skip("ember.optim.Adam not available")
    le, lt = seed004_mlp(ember, 15, use_adam=True), seed004_mlp(torch, 15, use_adam=True)
    assert le[-1] < le[0]
    np.testing.assert_allclose(le, lt, rtol=2e-4)


def _seed001_net(lib):
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(1, 6, 3)
            self.conv2 = nn.Conv2d(6, 16, 3)
            self.fc1 = nn.Linear(16 * 6 * 6, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = x.view(-1, self.num_flat_features(x))
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            x = self.fc3(x)
            return x

        def num_flat_features(self, x):
            size = x.size()[1:]
            num_features = 1
            for s in size:
                num_features *= s
            return num_features

    return Net()


@requires_torch
def test_seed001_net_trains_like_torch():
    if not hasattr(ember.nn, "Conv2d"):
        pytest.skip("ember.nn.Conv2d not merged yet")
    e, t = _seed001_net(ember), _seed001_net(torch)
    assert repr(e) == repr(t)
    with torch.no_grad():
        for (ne, pe), (nt, pt) in zip(e.named_parameters(), t.named_parameters()):
            assert ne == nt
            pt.copy_(torch.tensor(pe.detach().numpy()))
    rng = np.random.default_rng(0)
    inp = rng.standard_normal((1, 1, 32, 32)).astype(np.float32)
    target = rng.standard_normal(10).astype(np.float32)
    results = []
    for lib, net in ((ember, e), (torch, t)):
        criterion = lib.nn.MSELoss()
        optimizer = lib.optim.SGD(net.parameters(), lr=0.01)
        losses = []
        for _ in range(5):
            optimizer.zero_grad()
            output = net(lib.tensor(inp))
            tgt = lib.tensor(target).view(output.shape[0], output.shape[1])
            loss = criterion(output, tgt)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        results.append(losses)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-4)
    assert results[0][-1] < results[0][0]


def _seed003_mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 64), nn.ReLU(), nn.Linear(64, 10))


@requires_torch
def test_seed003_train_and_test_epoch_match_torch():
    """Seed 003's train_epoch / test_epoch over a DataLoader, one-hot targets made with
    F.one_hot, CrossEntropyLoss on class probabilities."""
    rng = np.random.default_rng(0)
    images = rng.random((96, 1, 28, 28)).astype(np.float32)
    digits = rng.integers(0, 10, 96)
    results = []
    e_model, t_model = _seed003_mlp(ember), _seed003_mlp(torch)
    with torch.no_grad():
        for pe, pt in zip(e_model.parameters(), t_model.parameters()):
            pt.copy_(torch.tensor(pe.detach().numpy()))
    for lib, model in ((ember, e_model), (torch, t_model)):
        F = lib.nn.functional
        targets = F.one_hot(lib.tensor(digits), 10).float()
        dataset = lib.utils.data.TensorDataset(lib.tensor(images), targets)
        dataloader = lib.utils.data.DataLoader(dataset, batch_size=32, shuffle=False)
        criterion = lib.nn.CrossEntropyLoss()
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

        def train_epoch(model, optimizer, dataloader):
            model.train()
            losses = []
            for input, labels in dataloader:
                optimizer.zero_grad()
                output = model(input)
                loss = criterion(output, labels)
                losses.append(loss.item())
                loss.backward()
                optimizer.step()
            return losses

        def test_epoch(model, dataloader):
            model.eval()
            losses = []
            with lib.no_grad():
                for input, labels in dataloader:
                    output = model(input)
                    loss = criterion(output, labels)
                    losses.append(loss.item())
            return losses

        train = train_epoch(model, optimizer, dataloader) + train_epoch(model, optimizer,
                                                                        dataloader)
        results.append((train, test_epoch(model, dataloader)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-4)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-4)
    assert not e_model.training


def test_seed003_custom_model_with_implicit_softmax():
    if not hasattr(ember.nn, "Conv2d"):
        pytest.skip("ember.nn.Conv2d not merged yet")
    nn, F = ember.nn, ember.nn.functional

    class CustomModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.convolutional_layer = nn.Conv2d(1, 4, 5)
            self.linear_layer = nn.Linear(4 * 14 * 14, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.convolutional_layer(x)), 2)
            x = self.linear_layer(x.flatten(1))
            return F.softmax(x)

    net = CustomModel()
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        output = net(ember.rand(1, 1, 32, 32))
    assert output.shape == (1, 10)
    assert output.sum().item() == pytest.approx(1.0, rel=1e-5)
