"""Full backward hooks: identity autograd Functions around a module's inputs and outputs.

The output identity records grad_output; the input identity then calls the hooks with
(grad_input, grad_output) and passes on whatever replacement they return.
"""
from ember._tensor import Tensor
from ember.autograd.function import Function
from ember.autograd.grad_mode import _enabled


class _HookOut(Function):
    @staticmethod
    def forward(ctx, x, state):
        ctx.state = state
        return x

    @staticmethod
    def backward(ctx, g):
        st = ctx.state
        for hook in st.pre_hooks:
            r = hook(st.module, (g,))
            if r is not None:
                g = r[0] if isinstance(r, tuple) else r
        st.grad_output = (g,)
        if st.n_inputs == 0 and st.hooks:  # no input needs a gradient: grad_input is Nones
            st.call_hooks((None,) * max(st.n_args, 1))
        return g, None


class _HookIn(Function):
    @staticmethod
    def forward(ctx, x, state, index):
        ctx.state, ctx.index = state, index
        return x

    @staticmethod
    def backward(ctx, g):
        st = ctx.state
        grads = [None] * st.n_args
        grads[ctx.index] = g
        new = st.call_hooks(tuple(grads))
        if new is not None:
            g = new[ctx.index]
        return g, None, None


class BackwardHook:
    def __init__(self, module, hooks, pre_hooks=()):
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.grad_output = (None,)
        self.n_inputs = 0
        self.n_args = 0

    def call_hooks(self, grad_input):
        result = None
        for hook in self.hooks:
            r = hook(self.module, grad_input, self.grad_output)
            if r is not None:
                if not isinstance(r, tuple):
                    r = (r,)
                if len(r) != len(grad_input):
                    raise RuntimeError(
                        f"Backward hook returned an invalid number of grad_input, got {len(r)}, "
                        f"but expected {len(grad_input)}")
                grad_input = result = r
        return result

    def setup_input(self, args):
        self.n_args = len(args)
        if not _enabled[0]:
            return args
        out = []
        for i, a in enumerate(args):
            if isinstance(a, Tensor) and a.requires_grad:
                self.n_inputs += 1
                a = _HookIn.apply(a, self, i)
            out.append(a)
        return tuple(out)

    def setup_output(self, output):
        if isinstance(output, Tensor) and output.requires_grad:
            return _HookOut.apply(output, self)
        return output
