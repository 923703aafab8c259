"""The torch.func tutorials on ember, imports rewritten only:
intermediate_source/ensembling.py ("Model ensembling"),
intermediate_source/jacobians_hessians.py ("Jacobians, Hessians, hvp, vhp, and more"),
intermediate_source/neural_tangent_kernels.py ("Neural Tangent Kernels").

Each runs on ember and on PyTorch; the tutorials' own ``assert torch.allclose(...)`` checks
are the first test, printed output is compared, and results computed from the same inputs
(copied from the PyTorch run) are compared with PyTorch's.
Deviations for speed: Timer.timeit(2) instead of 100/500; in jacobians_hessians, smaller
sizes (Dout 256 instead of 2048 for the tall Jacobian, a 8x16 Hessian instead of 32x512, a
batch of 8 with Din 7, Dout 5 instead of 64, 31, 33: ember's jacrev/jacfwd/hessian take one
backward pass per output element, and vmap loops over the batch); in NTK, 8x8 images instead of
32x32 (so fc has 32 * 2 * 2 inputs) and 4 train / 2 test images instead of 20 / 5;
device is 'cpu' when CUDA is unavailable (ensembling hard-codes 'cuda').
"""
import re

import numpy as np
from _harness import mask_layout, normalise, run

from tests.helpers import requires_torch

ENSEMBLING = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)

# Here's a simple MLP
class SimpleMLP(nn.Module):
    def __init__(self):
        super(SimpleMLP, self).__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 128)
        self.fc3 = nn.Linear(128, 10)

    def forward(self, x):
        x = x.flatten(1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.fc2(x)
        x = F.relu(x)
        x = self.fc3(x)
        return x

device = 'cuda' if torch.cuda.is_available() else 'cpu'
num_models = 10

data = torch.randn(100, 64, 1, 28, 28, device=device)
targets = torch.randint(10, (6400,), device=device)

models = [SimpleMLP().to(device) for _ in range(num_models)]

minibatches = data[:num_models]
predictions_diff_minibatch_loop = [model(minibatch) for model, minibatch in zip(models, minibatches)]

minibatch = data[0]
predictions2 = [model(minibatch) for model in models]

from torch.func import stack_module_state

params, buffers = stack_module_state(models)

from torch.func import functional_call
import copy

# Construct a "stateless" version of one of the models. It is "stateless" in
# the sense that the parameters are meta Tensors and do not have storage.
base_model = copy.deepcopy(models[0])
base_model = base_model.to('meta')

def fmodel(params, buffers, x):
    return functional_call(base_model, (params, buffers), (x,))

print([p.size(0) for p in params.values()]) # show the leading 'num_models' dimension

assert minibatches.shape == (num_models, 64, 1, 28, 28) # verify minibatch has leading dimension of size 'num_models'

from torch import vmap

predictions1_vmap = vmap(fmodel)(params, buffers, minibatches)

# verify the ``vmap`` predictions match the
assert torch.allclose(predictions1_vmap, torch.stack(predictions_diff_minibatch_loop), atol=1e-3, rtol=1e-5)

predictions2_vmap = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, minibatch)

assert torch.allclose(predictions2_vmap, torch.stack(predictions2), atol=1e-3, rtol=1e-5)

from torch.utils.benchmark import Timer
without_vmap = Timer(
    stmt="[model(minibatch) for model, minibatch in zip(models, minibatches)]",
    globals=globals())
with_vmap = Timer(
    stmt="vmap(fmodel)(params, buffers, minibatches)",
    globals=globals())
print(f'Predictions without vmap {without_vmap.timeit(2)}')
print(f'Predictions with vmap {with_vmap.timeit(2)}')
'''  # noqa: E501 (the tutorial's long lines)


def test_ensembling_tutorial_runs_on_ember():
    ns, out = run(ENSEMBLING)
    assert out.splitlines()[0] == "[10, 10, 10, 10, 10, 10]"
    assert tuple(ns["predictions1_vmap"].shape) == (10, 64, 10)
    assert tuple(ns["predictions2_vmap"].shape) == (10, 64, 10)
    assert "Predictions with vmap <" in out and "1 measurement, 2 runs , 1 thread" in out
    # the meta copy holds no storage: its parameters only describe shapes
    w = ns["base_model"].fc1.weight
    assert tuple(w.shape) == (128, 784) and w.is_meta and w._data.strides == (0, 0)
    assert ns["params"]["fc1.weight"].requires_grad and ns["params"]["fc1.weight"].is_leaf


def _masked(text):
    """Printed output with addresses, numbers and time units masked (Timer measurements)."""
    text = re.sub(r"(\d) (ns|us|ms|s)$", r"\1 <unit>", text, flags=re.M)
    return mask_layout(re.sub(r"0x[0-9a-f]+", "0x", text))


def _e(m, t):
    """A PyTorch tensor's values as a tensor of library m."""
    return m.from_numpy(t.detach().numpy().copy())


@requires_torch
def test_ensembling_tutorial_prints_and_predicts_what_pytorch_does():
    import ember

    ns, out = run(ENSEMBLING)
    tns, tout = run(ENSEMBLING, "torch")
    assert _masked(out) == _masked(tout)
    # ember's vmap over PyTorch's stacked weights and data gives PyTorch's predictions
    params = {k: _e(ember, v) for k, v in tns["params"].items()}
    for k, v in params.items():
        assert v.shape == tns["params"][k].shape
    ours = ns["vmap"](ns["fmodel"])(params, {}, _e(ember, tns["minibatches"]))
    np.testing.assert_allclose(ours.detach().numpy(),
                               tns["predictions1_vmap"].detach().numpy(), atol=1e-5)
    ours2 = ns["vmap"](ns["fmodel"], in_dims=(0, 0, None))(params, {},
                                                          _e(ember, tns["minibatch"]))
    np.testing.assert_allclose(ours2.detach().numpy(),
                               tns["predictions2_vmap"].detach().numpy(), atol=1e-5)


JACOBIANS = '''
import torch
import torch.nn.functional as F
from functools import partial
_ = torch.manual_seed(0)

def predict(weight, bias, x):
    return F.linear(x, weight, bias).tanh()

D = 16
weight = torch.randn(D, D)
bias = torch.randn(D)
x = torch.randn(D)  # feature vector

def compute_jac(xp):
    jacobian_rows = [torch.autograd.grad(predict(weight, bias, xp), xp, vec)[0]
                     for vec in unit_vectors]
    return torch.stack(jacobian_rows)

xp = x.clone().requires_grad_()
unit_vectors = torch.eye(D)

jacobian = compute_jac(xp)

print(jacobian.shape)
print(jacobian[0])  # show first row

from torch.func import vmap, vjp

_, vjp_fn = vjp(partial(predict, weight, bias), x)

ft_jacobian, = vmap(vjp_fn)(unit_vectors)

# let's confirm both methods compute the same result
assert torch.allclose(ft_jacobian, jacobian)

from torch.func import jacrev

ft_jacobian = jacrev(predict, argnums=2)(weight, bias, x)

# Confirm by running the following:
assert torch.allclose(ft_jacobian, jacobian)

def get_perf(first, first_descriptor, second, second_descriptor):
    """takes torch.benchmark objects and compares delta of second vs first."""
    second_res = second.times[0]
    first_res = first.times[0]

    gain = (first_res-second_res)/first_res
    if gain < 0: gain *=-1
    final_gain = gain*100

    print(f"Performance delta: {final_gain:.4f} percent improvement with {first_descriptor} ")

from torch.utils.benchmark import Timer

without_vmap = Timer(stmt="compute_jac(xp)", globals=globals())
with_vmap = Timer(stmt="jacrev(predict, argnums=2)(weight, bias, x)", globals=globals())

no_vmap_timer = without_vmap.timeit(2)
with_vmap_timer = with_vmap.timeit(2)

print(no_vmap_timer)
print(with_vmap_timer)

get_perf(with_vmap_timer, "vmap", no_vmap_timer, "no vmap")

ft_jac_weight, ft_jac_bias = jacrev(predict, argnums=(0, 1))(weight, bias, x)

# verify
ref_weight, ref_bias = torch.autograd.functional.jacobian(predict, (weight, bias, x))[0:2]
print(ft_jac_weight.shape, ft_jac_bias.shape)
assert torch.allclose(ft_jac_weight, ref_weight)
assert torch.allclose(ft_jac_bias, ref_bias)

from torch.func import jacrev, jacfwd

Din = 32
Dout = 256
weight = torch.randn(Dout, Din)

bias = torch.randn(Dout)
x = torch.randn(Din)

# remember the general rule about taller vs wider... here we have a taller matrix:
print(weight.shape)

using_fwd = Timer(stmt="jacfwd(predict, argnums=2)(weight, bias, x)", globals=globals())
using_bwd = Timer(stmt="jacrev(predict, argnums=2)(weight, bias, x)", globals=globals())

jacfwd_timing = using_fwd.timeit(2)
jacrev_timing = using_bwd.timeit(2)

print(f'jacfwd time: {jacfwd_timing}')
print(f'jacrev time: {jacrev_timing}')

Din = 2048
Dout = 32
weight = torch.randn(Dout, Din)
bias = torch.randn(Dout)
x = torch.randn(Din)

using_fwd = Timer(stmt="jacfwd(predict, argnums=2)(weight, bias, x)", globals=globals())
using_bwd = Timer(stmt="jacrev(predict, argnums=2)(weight, bias, x)", globals=globals())

jacfwd_timing = using_fwd.timeit(2)
jacrev_timing = using_bwd.timeit(2)

print(f'jacfwd time: {jacfwd_timing}')
print(f'jacrev time: {jacrev_timing}')

get_perf(jacrev_timing, "jacrev", jacfwd_timing, "jacfwd")

from torch.func import hessian

# lets reduce the size in order not to overwhelm Colab. Hessians require
# significant memory:
Din = 16
Dout = 8
weight = torch.randn(Dout, Din)
bias = torch.randn(Dout)
x = torch.randn(Din)

hess_api = hessian(predict, argnums=2)(weight, bias, x)
hess_fwdfwd = jacfwd(jacfwd(predict, argnums=2), argnums=2)(weight, bias, x)
hess_revrev = jacrev(jacrev(predict, argnums=2), argnums=2)(weight, bias, x)

torch.allclose(hess_api, hess_fwdfwd)

batch_size = 8
Din = 7
Dout = 5

weight = torch.randn(Dout, Din)
print(f"weight shape = {weight.shape}")

bias = torch.randn(Dout)

x = torch.randn(batch_size, Din)

compute_batch_jacobian = vmap(jacrev(predict, argnums=2), in_dims=(None, None, 0))
batch_jacobian0 = compute_batch_jacobian(weight, bias, x)

def predict_with_output_summing(weight, bias, x):
    return predict(weight, bias, x).sum(0)

batch_jacobian1 = jacrev(predict_with_output_summing, argnums=2)(weight, bias, x).movedim(1, 0)
assert torch.allclose(batch_jacobian0, batch_jacobian1)

compute_batch_hessian = vmap(hessian(predict, argnums=2), in_dims=(None, None, 0))

batch_hess = compute_batch_hessian(weight, bias, x)
batch_hess.shape

from torch.func import jvp, grad, vjp

def hvp(f, primals, tangents):
  return jvp(grad(f), primals, tangents)[1]

def f(x):
  return x.sin().sum()

x = torch.randn(2048)
tangent = torch.randn(2048)

result = hvp(f, (x,), (tangent,))

def hvp_revrev(f, primals, tangents):
  _, vjp_fn = vjp(grad(f), *primals)
  return vjp_fn(*tangents)

result_hvp_revrev = hvp_revrev(f, (x,), (tangent,))
assert torch.allclose(result, result_hvp_revrev[0])
'''  # noqa: E501 (the tutorial's long lines)


def test_jacobians_hessians_tutorial_runs_on_ember():
    ns, out = run(JACOBIANS)
    torch = ns["torch"]
    assert tuple(ns["jacobian"].shape) == (16, 16)
    assert tuple(ns["hess_api"].shape) == (8, 16, 16)
    assert torch.allclose(ns["hess_api"], ns["hess_fwdfwd"])
    assert torch.allclose(ns["hess_api"], ns["hess_revrev"])
    assert tuple(ns["batch_hess"].shape) == (8, 5, 7, 7)
    # the Hessian-vector product of sum(sin x) is -sin(x) * v
    expect = -ns["x"].sin() * ns["tangent"]
    assert torch.allclose(ns["result"], expect, atol=1e-6)
    assert out.count("Performance delta:") == 2


@requires_torch
def test_jacobians_hessians_tutorial_prints_and_computes_what_pytorch_does():
    import torch

    import ember

    ns, out = run(JACOBIANS)
    tns, tout = run(JACOBIANS, "torch")
    assert _masked(out) == _masked(tout)
    # from the same inputs, ember's transforms give PyTorch's results
    xb = np.random.default_rng(0).standard_normal((4, 7)).astype(np.float32)
    inputs = {m: (_e(m, tns["weight"]), _e(m, tns["bias"]), m.from_numpy(xb.copy()))
              for m in (ember, torch)}
    pairs = []
    for transform in ("jacrev", "jacfwd", "hessian"):
        ours, theirs = (m.func.vmap(getattr(m.func, transform)(fn, argnums=2),
                                    in_dims=(None, None, 0))(*inputs[m])
                        for m, fn in ((ember, ns["predict"]), (torch, tns["predict"])))
        pairs.append((ours, theirs))
    ours = ember.func.jacrev(ns["predict"], argnums=(0, 1))(*inputs[ember])
    theirs = torch.func.jacrev(tns["predict"], argnums=(0, 1))(*inputs[torch])
    assert isinstance(ours, tuple) and len(ours) == len(theirs) == 2
    pairs += list(zip(ours, theirs))
    pairs.append((ns["hvp"](ns["f"], (_e(ember, tns["x"]),), (_e(ember, tns["tangent"]),)),
                  tns["result"]))
    for ours, theirs in pairs:
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(),
                                   rtol=1e-4, atol=1e-5)
    # torch.autograd.functional.hvp agrees with the tutorial's jvp(grad(f)) hvp
    xs, v = _e(ember, tns["x"]), _e(ember, tns["tangent"])
    _, ours = ember.autograd.functional.hvp(ns["f"], xs, v)
    np.testing.assert_allclose(ours.numpy(), tns["result"].numpy(), rtol=1e-5, atol=1e-6)
    _, ours = ember.autograd.functional.vhp(ns["f"], xs, v)
    np.testing.assert_allclose(ours.numpy(), tns["result"].numpy(), rtol=1e-5, atol=1e-6)


NTK = '''
import torch
import torch.nn as nn
from torch.func import functional_call, vmap, vjp, jvp, jacrev
device = 'cuda' if torch.cuda.device_count() > 0 else 'cpu'

class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, (3, 3))
        self.conv2 = nn.Conv2d(32, 32, (3, 3))
        self.conv3 = nn.Conv2d(32, 32, (3, 3))
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = x.relu()
        x = self.conv2(x)
        x = x.relu()
        x = self.conv3(x)
        x = x.flatten(1)
        x = self.fc(x)
        return x

x_train = torch.randn(4, 3, 8, 8, device=device)
x_test = torch.randn(2, 3, 8, 8, device=device)

net = CNN().to(device)

# Detaching the parameters because we won't be calling Tensor.backward().
params = {k: v.detach() for k, v in net.named_parameters()}

def fnet_single(params, x):
    return functional_call(net, params, (x.unsqueeze(0),)).squeeze(0)

def empirical_ntk_jacobian_contraction(fnet_single, params, x1, x2):
    # Compute J(x1)
    jac1 = vmap(jacrev(fnet_single), (None, 0))(params, x1)
    jac1 = jac1.values()
    jac1 = [j.flatten(2) for j in jac1]

    # Compute J(x2)
    jac2 = vmap(jacrev(fnet_single), (None, 0))(params, x2)
    jac2 = jac2.values()
    jac2 = [j.flatten(2) for j in jac2]

    # Compute J(x1) @ J(x2).T
    result = torch.stack([torch.einsum('Naf,Mbf->NMab', j1, j2) for j1, j2 in zip(jac1, jac2)])
    result = result.sum(0)
    return result

result = empirical_ntk_jacobian_contraction(fnet_single, params, x_train, x_test)
print(result.shape)

def empirical_ntk_jacobian_contraction(fnet_single, params, x1, x2, compute='full'):
    # Compute J(x1)
    jac1 = vmap(jacrev(fnet_single), (None, 0))(params, x1)
    jac1 = jac1.values()
    jac1 = [j.flatten(2) for j in jac1]

    # Compute J(x2)
    jac2 = vmap(jacrev(fnet_single), (None, 0))(params, x2)
    jac2 = jac2.values()
    jac2 = [j.flatten(2) for j in jac2]

    # Compute J(x1) @ J(x2).T
    einsum_expr = None
    if compute == 'full':
        einsum_expr = 'Naf,Mbf->NMab'
    elif compute == 'trace':
        einsum_expr = 'Naf,Maf->NM'
    elif compute == 'diagonal':
        einsum_expr = 'Naf,Maf->NMa'
    else:
        assert False

    result = torch.stack([torch.einsum(einsum_expr, j1, j2) for j1, j2 in zip(jac1, jac2)])
    result = result.sum(0)
    return result

result = empirical_ntk_jacobian_contraction(fnet_single, params, x_train, x_test, 'trace')
print(result.shape)

def empirical_ntk_ntk_vps(func, params, x1, x2, compute='full'):
    def get_ntk(x1, x2):
        def func_x1(params):
            return func(params, x1)

        def func_x2(params):
            return func(params, x2)

        output, vjp_fn = vjp(func_x1, params)

        def get_ntk_slice(vec):
            # This computes ``vec @ J(x2).T``
            # `vec` is some unit vector (a single slice of the Identity matrix)
            vjps = vjp_fn(vec)
            # This computes ``J(X1) @ vjps``
            _, jvps = jvp(func_x2, (params,), vjps)
            return jvps

        # Here's our identity matrix
        basis = torch.eye(output.numel(), dtype=output.dtype, device=output.device).view(output.numel(), -1)
        return vmap(get_ntk_slice)(basis)

    # ``get_ntk(x1, x2)`` computes the NTK for a single data point x1, x2
    # Since the x1, x2 inputs to ``empirical_ntk_ntk_vps`` are batched,
    # we actually wish to compute the NTK between every pair of data points
    # between {x1} and {x2}. That's what the ``vmaps`` here do.
    result = vmap(vmap(get_ntk, (None, 0)), (0, None))(x1, x2)

    if compute == 'full':
        return result
    if compute == 'trace':
        return torch.einsum('NMKK->NM', result)
    if compute == 'diagonal':
        return torch.einsum('NMKK->NMK', result)

# Disable TensorFloat-32 for convolutions on Ampere+ GPUs to sacrifice performance in favor of accuracy
with torch.backends.cudnn.flags(allow_tf32=False):
    result_from_jacobian_contraction = empirical_ntk_jacobian_contraction(fnet_single, params, x_test, x_train)
    result_from_ntk_vps = empirical_ntk_ntk_vps(fnet_single, params, x_test, x_train)

assert torch.allclose(result_from_jacobian_contraction, result_from_ntk_vps, atol=1e-5)
'''  # noqa: E501 (the tutorial's long lines)


def test_neural_tangent_kernels_tutorial_runs_on_ember():
    ns, out = run(NTK)
    assert out.splitlines() == ["ember.Size([4, 2, 10, 10])", "ember.Size([4, 2])"]
    assert tuple(ns["result_from_ntk_vps"].shape) == (2, 4, 10, 10)


@requires_torch
def test_neural_tangent_kernels_match_pytorch_from_the_same_weights():
    import ember

    ns, out = run(NTK)
    tns, tout = run(NTK, "torch")
    assert normalise(out) == normalise(tout)
    # ember's net with PyTorch's weights, on PyTorch's images: the same kernels
    ns["net"].load_state_dict({k: _e(ember, v) for k, v in tns["net"].state_dict().items()})
    params = {k: v.detach() for k, v in ns["net"].named_parameters()}
    x_test, x_train = _e(ember, tns["x_test"]), _e(ember, tns["x_train"])
    cases = [
        (ns["empirical_ntk_jacobian_contraction"](ns["fnet_single"], params, x_test, x_train),
         tns["result_from_jacobian_contraction"]),
        (ns["empirical_ntk_ntk_vps"](ns["fnet_single"], params, x_test, x_train),
         tns["result_from_ntk_vps"]),
        (ns["empirical_ntk_jacobian_contraction"](ns["fnet_single"], params, x_train, x_test,
                                                  "diagonal"),
         tns["empirical_ntk_jacobian_contraction"](tns["fnet_single"], tns["params"],
                                                   tns["x_train"], tns["x_test"], "diagonal")),
    ]
    for ours, theirs in cases:
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-4,
                                   atol=1e-4)
