"""intermediate_source/forward_ad_usage.py (Forward-mode Automatic Differentiation) on ember,
imports rewritten only.

Deviation: the tutorial's last section uses `functorch` (`import functorch as ft`,
`ft.make_functional_with_buffers`), which PyTorch now ships as `torch.func`; that section
is written with `torch.func.jvp` and `functional_call`, PyTorch's current spelling.
The tutorial's own assertions run; the test then checks the tangents it computed (one
probe line keeps the first section's values, which the tutorial later overwrites).
"""
from _harness import run

from tests.helpers import requires_torch

TUTORIAL = '''
import torch
import torch.autograd.forward_ad as fwAD

primal = torch.randn(10, 10)
tangent = torch.randn(10, 10)

def fn(x, y):
    return x ** 2 + y ** 2

with fwAD.dual_level():
    dual_input = fwAD.make_dual(primal, tangent)
    assert fwAD.unpack_dual(dual_input).tangent is tangent

    dual_input_alt = fwAD.make_dual(primal, tangent.T)
    assert fwAD.unpack_dual(dual_input_alt).tangent is not tangent

    plain_tensor = torch.randn(10, 10)
    dual_output = fn(dual_input, plain_tensor)

    jvp = fwAD.unpack_dual(dual_output).tangent

assert fwAD.unpack_dual(dual_output).tangent is None
first = (primal, tangent, jvp)  # test probe: values the tutorial overwrites later

import torch.nn as nn

model = nn.Linear(5, 5)
input = torch.randn(16, 5)

params = {name: p for name, p in model.named_parameters()}
tangents = {name: torch.rand_like(p) for name, p in params.items()}

with fwAD.dual_level():
    for name, p in params.items():
        delattr(model, name)
        setattr(model, name, fwAD.make_dual(p, tangents[name]))

    out = model(input)
    jvp = fwAD.unpack_dual(out).tangent

from torch.func import functional_call

model = nn.Linear(5, 5)

dual_params = {}
with fwAD.dual_level():
    for name, p in params.items():
        dual_params[name] = fwAD.make_dual(p, tangents[name])
    out = functional_call(model, dual_params, input)
    jvp2 = fwAD.unpack_dual(out).tangent

assert torch.allclose(jvp, jvp2)

class Fn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, foo):
        result = torch.exp(foo)
        ctx.result = result
        return result

    @staticmethod
    def jvp(ctx, gI):
        gO = gI * ctx.result
        del ctx.result
        return gO

fn = Fn.apply

primal = torch.randn(10, 10, dtype=torch.double, requires_grad=True)
tangent = torch.randn(10, 10)

with fwAD.dual_level():
    dual_input = fwAD.make_dual(primal, tangent)
    dual_output = fn(dual_input)
    jvp = fwAD.unpack_dual(dual_output).tangent

torch.autograd.gradcheck(Fn.apply, (primal,), check_forward_ad=True,
                         check_backward_ad=False, check_undefined_grad=False,
                         check_batched_grad=False)

from torch.func import jvp as func_jvp

primal0 = torch.randn(10, 10)
tangent0 = torch.randn(10, 10)
primal1 = torch.randn(10, 10)
tangent1 = torch.randn(10, 10)

def fn(x, y):
    return x ** 2 + y ** 2

primal_out, tangent_out = func_jvp(fn, (primal0, primal1), (tangent0, tangent1))

primal = torch.randn(10, 10)
tangent = torch.randn(10, 10)
y = torch.randn(10, 10)

import functools
new_fn = functools.partial(fn, y=y)
primal_out2, tangent_out2 = func_jvp(new_fn, (primal,), (tangent,))

model = nn.Linear(5, 5)
input = torch.randn(16, 5)
params = dict(model.named_parameters())
param_tangents = {name: torch.rand_like(p) for name, p in params.items()}

def func_params_only(params):
    return functional_call(model, params, input)

model_output, jvp_out = func_jvp(func_params_only, (params,), (param_tangents,))
'''


def _check(ns, torch):
    primal, tangent, jvp = ns["first"]
    assert torch.allclose(jvp, 2 * primal * tangent)  # x**2 + y**2 along (t, 0)
    assert ns["jvp"].dtype == torch.float64 and ns["jvp"].shape == (10, 10)  # Fn's
    assert torch.allclose(ns["tangent_out2"], 2 * ns["primal"] * ns["tangent"])
    assert torch.allclose(ns["tangent_out"], 2 * ns["primal0"] * ns["tangent0"]
                          + 2 * ns["primal1"] * ns["tangent1"])
    expected = ns["input"] @ ns["param_tangents"]["weight"].t() + ns["param_tangents"]["bias"]
    assert torch.allclose(ns["jvp_out"], expected, atol=1e-6)


def test_forward_ad_tutorial_on_ember():
    import ember

    ns, _ = run(TUTORIAL)
    _check(ns, ember)


@requires_torch
def test_forward_ad_tutorial_on_pytorch_agrees():
    import torch

    ns, _ = run(TUTORIAL, "torch")
    _check(ns, torch)
