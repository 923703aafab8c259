"""SummaryWriter.add_graph without a tracer: the model's graph read off autograd.

PyTorch traces the model with torch.jit. ember has no tracer, but one forward pass under
grad mode leaves the whole computation behind as the autograd graph: every op node
(``AddmmBackward0``...), every parameter (its ``AccumulateGrad``) and the inputs (cloned
with ``requires_grad=True`` so they show up as leaves). Forward hooks on every module name
each op by the module that ran it (innermost first, as in PyTorch's ``Net/Linear[fc1]/...``
scopes), so TensorBoard groups the nodes by module. The result is a TensorFlow GraphDef,
written through tensorboardX.
"""


def _edges(node):
    for e in getattr(node, "next_functions", ()) or ():
        n = e[0] if isinstance(e, tuple) else e  # (node, input_nr) pairs or bare nodes
        if n is not None:
            yield n


def _tensors(obj):
    from ember._tensor import Tensor

    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [t for o in obj for t in _tensors(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _tensors(o)]
    return []


def _shape_attr(shapes, pb):
    dims = [pb["shape"].TensorShapeProto(dim=[pb["shape"].TensorShapeProto.Dim(size=int(s))
                                               for s in shape]) for shape in shapes]
    return pb["attr"].AttrValue(list=pb["attr"].AttrValue.ListValue(shape=dims))


def build_graph(model, input_to_model, pb):
    """GraphDef of one forward pass of `model` on `input_to_model`."""
    import ember

    inputs = input_to_model if isinstance(input_to_model, (list, tuple)) else (input_to_model,)
    inputs = [x.detach().clone().requires_grad_(x.is_floating_point())
              if isinstance(x, ember.Tensor) else x for x in inputs]
    root = type(model).__name__
    scope = {}  # grad node -> module scope, claimed by the innermost module first
    shapes = {}  # grad node -> output shapes seen at module boundaries

    def stop_nodes(args):
        return {t.grad_fn for t in _tensors(args) if t.grad_fn is not None}

    handles = []
    for name, mod in model.named_modules():
        path = root if not name else f"{root}/{'/'.join(name.split('.'))}"
        label = path if not name else path.rsplit("/", 1)[0] + \
            f"/{type(mod).__name__}[{name.split('.')[-1]}]"

        def hook(m, args, out, label=label):
            stop = stop_nodes(args)
            for t in _tensors(out):
                if t.grad_fn is not None:
                    shapes.setdefault(t.grad_fn, []).append(tuple(t.shape))
                stack = [t.grad_fn] if t.grad_fn is not None else []
                while stack:
                    n = stack.pop()
                    if n in stop or n in scope or type(n).__name__ == "AccumulateGrad":
                        continue
                    scope[n] = label
                    stack.extend(_edges(n))

        handles.append(mod.register_forward_hook(hook))
    try:
        with ember.enable_grad():
            out = model(*inputs)
    finally:
        for h in handles:
            h.remove()

    params = {id(p): n for n, p in model.named_parameters()}
    in_ids = {id(x): i for i, x in enumerate(inputs) if isinstance(x, ember.Tensor)}
    names, defs, order = {}, [], []
    outs = [t for t in _tensors(out) if t.grad_fn is not None]
    seen, stack = set(), [t.grad_fn for t in outs]
    while stack:  # every node reachable from the outputs
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        order.append(n)
        stack.extend(_edges(n))
    counts = {}
    for n in reversed(order):
        var = getattr(n, "variable", None)
        if var is not None and id(var) in in_ids:
            k = in_ids[id(var)]
            names[n] = f"input/input.{k}"
            defs.append(pb["node"].NodeDef(name=names[n], op="IO Node",
                                           attr={"_output_shapes":
                                                 _shape_attr([tuple(var.shape)], pb)}))
        elif var is not None:
            pname = params.get(id(var), f"tensor.{len(names)}")
            names[n] = f"{root}/{pname.replace('.', '/')}"
            defs.append(pb["node"].NodeDef(name=names[n], op="prim::Parameter",
                                           attr={"_output_shapes":
                                                 _shape_attr([tuple(var.shape)], pb)}))
    for n in reversed(order):
        if n in names:
            continue
        op = n.name()
        base = op[:-len("Backward0")] if op.endswith("Backward0") else op
        label = scope.get(n, root)
        counts[(label, base)] = counts.get((label, base), -1) + 1
        c = counts[(label, base)]
        names[n] = f"{label}/{base}" + (f".{c}" if c else "")
        attr = {}
        if n in shapes:
            attr["_output_shapes"] = _shape_attr(shapes[n], pb)
        defs.append(pb["node"].NodeDef(name=names[n], op=f"aten::{base.lower()}",
                                       input=[names[e] for e in _edges(n) if e in names],
                                       attr=attr))
    for k, t in enumerate(outs):
        defs.append(pb["node"].NodeDef(name=f"output/output.{k}", op="IO Node",
                                       input=[names[t.grad_fn]],
                                       attr={"_output_shapes":
                                             _shape_attr([tuple(t.shape)], pb)}))
    return pb["graph"].GraphDef(node=defs, versions=pb["versions"].VersionDef(producer=22))


def protos(tbx):
    """The tensorboardX protobuf modules a GraphDef is built from."""
    import importlib

    names = {"graph": "graph_pb2", "node": "node_def_pb2", "attr": "attr_value_pb2",
             "shape": "tensor_shape_pb2", "versions": "versions_pb2"}
    return {k: importlib.import_module(f"{tbx.__name__}.proto.{v}") for k, v in names.items()}


