"""ember.save / ember.load: PyTorch's zip checkpoint format, both ways, atomic writes."""
import io
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import ember
from tests.helpers import requires_torch

try:
    import torch
except ImportError:  # parity tests skip cleanly without PyTorch
    torch = None

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
          "uint8", "bool", "complex64", "complex128"]


def _np(t):
    """A float64/complex/int numpy copy of an ember or torch tensor, for comparison."""
    if torch is not None and isinstance(t, torch.Tensor):
        t = t.detach()
        if t.dtype in (torch.bfloat16, torch.float16):
            t = t.float()
        return t.numpy()
    t = t.detach()
    if t.dtype in (ember.bfloat16, ember.float16):
        t = t.float()
    return t.numpy()


def _sample(lib, name):
    d = getattr(lib, name)
    base = lib.arange(24).reshape(2, 3, 4)
    return (base % 2).to(d) if name == "bool" else base.to(d)


def _assert_tensor_equal(e, t):
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_array_equal(_np(e), _np(t))


# -- ember -> torch ----------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("name", DTYPES)
def test_ember_save_torch_load_dtypes(tmp_path, name):
    path = tmp_path / "x.pt"
    ember.save(_sample(ember, name), path)
    _assert_tensor_equal(_sample(ember, name), torch.load(path, weights_only=True))


@requires_torch
def test_ember_save_torch_load_containers_and_views(tmp_path):
    a = ember.arange(12.0).reshape(3, 4)
    obj = {"a": a, "row": a[1], "col": a[:, 2], "t": a.t(), "empty": ember.zeros(0, 3),
           "scalar": ember.tensor(2.5), "int": 7, "float": 0.5, "str": "hi", "none": None,
           "bytes": b"\x00\xff", "list": [ember.ones(2), 3], "tuple": (1, (2.0, "x")),
           "nested": OrderedDict(inner={"x": ember.tensor([1, 2])}), "flag": True,
           "grad": ember.tensor([1.0, 2.0], requires_grad=True), "dev": ember.device("cpu"),
           "dtype": ember.float16, "size": ember.Size([2, 3]), "cplx": 1 + 2j,
           "set": {1, 2}}
    path = tmp_path / "c.pt"
    ember.save(obj, path)
    r = torch.load(path, weights_only=True)
    for k in ("a", "row", "col", "t", "empty", "scalar", "grad"):
        _assert_tensor_equal(obj[k], r[k])
    assert r["t"].stride() == (1, 4) and r["col"].stride() == (4,)
    # views keep sharing one storage, as in PyTorch
    r["a"][1, 2] = 100.0
    assert r["row"][2].item() == 100.0 and r["col"][1].item() == 100.0
    assert r["grad"].requires_grad and not r["a"].requires_grad
    assert r["int"] == 7 and r["str"] == "hi" and r["none"] is None and r["bytes"] == b"\x00\xff"
    assert r["tuple"] == (1, (2.0, "x")) and r["flag"] is True and r["cplx"] == 1 + 2j
    assert isinstance(r["nested"], OrderedDict)
    _assert_tensor_equal(obj["nested"]["inner"]["x"], r["nested"]["inner"]["x"])
    assert r["dev"] == torch.device("cpu") and r["dtype"] is torch.float16
    assert r["size"] == torch.Size([2, 3]) and type(r["size"]) is torch.Size
    assert r["set"] == {1, 2}


@requires_torch
def test_module_state_dict_round_trip_both_ways(tmp_path):
    e_model = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.Identity(), ember.nn.Linear(3, 2))
    t_model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Identity(), torch.nn.Linear(3, 2))
    ember.save(e_model.state_dict(), tmp_path / "e.pt")
    sd = torch.load(tmp_path / "e.pt", weights_only=True)
    assert list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    t_model.load_state_dict(sd)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(t_model(torch.tensor(x)).detach().numpy(),
                               e_model(ember.tensor(x)).detach().numpy(), rtol=1e-6)
    # and back: torch's state dict into a fresh ember model
    torch.save(t_model.state_dict(), tmp_path / "t.pt")
    e2 = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.Identity(), ember.nn.Linear(3, 2))
    e2.load_state_dict(ember.load(tmp_path / "t.pt"))
    np.testing.assert_allclose(e2(ember.tensor(x)).detach().numpy(),
                               t_model(torch.tensor(x)).detach().numpy(), rtol=1e-6)


def _adam_state_dict(lib):
    """An Adam state dict in PyTorch's layout (built by hand: creating a torch optimizer
    costs seconds of imports)."""
    g = lib.arange(3.0)
    return {"state": {0: {"step": lib.tensor(1.0), "exp_avg": g * 0.1,
                          "exp_avg_sq": g * g * 0.001}},
            "param_groups": [{"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-08,
                              "weight_decay": 0, "amsgrad": False, "maximize": False,
                              "foreach": None, "capturable": False, "differentiable": False,
                              "fused": None, "params": [0]}]}


@requires_torch
def test_optimizer_state_dict_layout_round_trip(tmp_path):
    theirs = _adam_state_dict(torch)
    torch.save(theirs, tmp_path / "o.pt")
    sd = ember.load(tmp_path / "o.pt")
    assert sd["param_groups"] == theirs["param_groups"]
    for k in ("step", "exp_avg", "exp_avg_sq"):
        _assert_tensor_equal(sd["state"][0][k], theirs["state"][0][k])
    ember.save(_adam_state_dict(ember), tmp_path / "o2.pt")
    back = torch.load(tmp_path / "o2.pt", weights_only=True)
    assert back["param_groups"] == theirs["param_groups"]
    for k in ("step", "exp_avg", "exp_avg_sq"):
        _assert_tensor_equal(sd["state"][0][k], back["state"][0][k])


@requires_torch
def test_parameter_round_trip(tmp_path):
    ember.save({"p": ember.nn.Parameter(ember.ones(2))}, tmp_path / "p.pt")
    p = torch.load(tmp_path / "p.pt", weights_only=True)["p"]
    assert isinstance(p, torch.nn.Parameter) and p.requires_grad
    torch.save({"p": torch.nn.Parameter(torch.ones(2))}, tmp_path / "q.pt")
    q = ember.load(tmp_path / "q.pt")["p"]
    assert isinstance(q, ember.nn.Parameter) and q.requires_grad


# -- torch -> ember ----------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("name", DTYPES)
def test_torch_save_ember_load_dtypes(tmp_path, name):
    path = tmp_path / "x.pt"
    torch.save(_sample(torch, name), path)
    _assert_tensor_equal(ember.load(path), _sample(torch, name))


@requires_torch
def test_torch_save_ember_load_views_and_noncontiguous(tmp_path):
    a = torch.arange(20.0).reshape(4, 5)
    torch.save({"a": a, "v": a[1:, ::2], "t": a.t(), "e": a[:0]}, tmp_path / "v.pt")
    r = ember.load(tmp_path / "v.pt")
    for k, t in {"a": a, "v": a[1:, ::2], "t": a.t(), "e": a[:0]}.items():
        _assert_tensor_equal(r[k], t)
    assert r["t"].stride() == (1, 5)
    r["a"][1, 2] = -1.0  # ember writes are seen through the view, as in PyTorch
    assert r["v"][0, 1].item() == -1.0


@requires_torch
def test_torch_file_loads_without_torch(tmp_path):
    path = tmp_path / "m.pt"
    model = torch.nn.Linear(3, 2)
    torch.save({"model": model.state_dict(), "epoch": 3, "names": ["a", "b"],
                "half": torch.ones(2, dtype=torch.float16)}, path)
    script = textwrap.dedent(f"""
        import sys
        sys.modules["torch"] = None  # `import torch` now raises ImportError
        import ember
        ck = ember.load({str(path)!r}, map_location="cpu")
        assert "torch" not in [m for m in sys.modules if sys.modules[m] is not None]
        w = ck["model"]["weight"]
        print(tuple(w.shape), w.dtype, ck["epoch"], ck["names"], ck["half"].dtype)
        print(w.tolist())
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "(2, 3) ember.float32 3 ['a', 'b'] ember.float16"
    assert lines[1] == str(model.weight.tolist())  # bit-identical values


# -- ember <-> ember -----------------------------------------------------------------------------
def test_round_trip_without_torch_and_bytesio():
    a = ember.arange(6.0).reshape(2, 3)
    buf = io.BytesIO()
    ember.save({"a": a, "v": a[:, 1], "n": [1, 2.5, "x"]}, buf)
    buf.seek(0)
    r = ember.load(buf)
    assert r["a"].tolist() == a.tolist() and r["v"].tolist() == [1.0, 4.0]
    assert r["n"] == [1, 2.5, "x"]
    r["a"][0, 1] = 9.0
    assert r["v"][0].item() == 9.0
    assert zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist()[0] == "archive/data.pkl"


def test_records_are_64_byte_aligned(tmp_path):
    ember.save({"x": ember.ones(3), "y": ember.arange(5)}, tmp_path / "a.pt")
    raw = (tmp_path / "a.pt").read_bytes()
    for info in zipfile.ZipFile(tmp_path / "a.pt").infolist():
        n, m = np.frombuffer(raw[info.header_offset + 26:info.header_offset + 30], "<u2")
        assert (info.header_offset + 30 + n + m) % 64 == 0, info.filename


def test_non_leaf_saved_as_a_leaf_requiring_grad_like_torch():
    x = ember.ones(2, requires_grad=True)
    buf = io.BytesIO()
    ember.save(x * 2, buf)
    buf.seek(0)
    y = ember.load(buf)
    assert y.tolist() == [2.0, 2.0] and y.requires_grad and y.is_leaf
    torch = pytest.importorskip("torch")
    buf.seek(0)
    t = torch.load(buf, weights_only=True)
    assert t.tolist() == [2.0, 2.0] and t.requires_grad and t.is_leaf


class _Custom:
    def __init__(self):
        self.v = 5


def test_weights_only_rejects_arbitrary_objects(tmp_path):
    ember.save({"obj": _Custom()}, tmp_path / "o.pt")
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        ember.load(tmp_path / "o.pt")
    assert ember.load(tmp_path / "o.pt", weights_only=False)["obj"].v == 5


@pytest.mark.parametrize("map_location", [
    None, "cpu", ember.device("cpu"), {"cpu": "cpu"}, lambda storage, loc: storage,
    lambda storage, loc: None])
def test_map_location_forms(tmp_path, map_location):
    ember.save({"x": ember.arange(3)}, tmp_path / "m.pt")
    assert ember.load(tmp_path / "m.pt", map_location=map_location)["x"].tolist() == [0, 1, 2]


def test_map_location_to_cuda_without_gpu(tmp_path):
    ember.save({"x": ember.arange(3)}, tmp_path / "m.pt")
    with pytest.raises(RuntimeError, match="cuda"):
        ember.load(tmp_path / "m.pt", map_location="cuda")


@requires_torch
def test_cuda_location_needs_map_location(tmp_path):
    # rewrite the location of a torch checkpoint to 'cuda:0' (as if saved on a GPU)
    buf = io.BytesIO()
    torch.save(torch.ones(2), buf)
    zin = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith("data.pkl"):
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
            zout.writestr(info.filename, data)
    path = tmp_path / "g.pt"
    path.write_bytes(out.getvalue())
    with pytest.raises(RuntimeError, match="CUDA device"):
        ember.load(path)
    assert ember.load(path, map_location="cpu").tolist() == [1.0, 1.0]
    assert ember.load(path, map_location={"cuda:0": "cpu"}).tolist() == [1.0, 1.0]


# -- bad files and crash safety ------------------------------------------------------------------
def test_truncated_file_names_the_file(tmp_path):
    path = tmp_path / "trunc.pt"
    ember.save({"w": ember.randn(100, 100)}, path)
    raw = path.read_bytes()
    for cut in (len(raw) // 2, len(raw) - 10, 100):
        path.write_bytes(raw[:cut])
        with pytest.raises(RuntimeError, match="trunc.pt"):
            ember.load(path)


def test_corrupted_data_names_the_file(tmp_path):
    path = tmp_path / "bad.pt"
    ember.save({"w": ember.ones(1000)}, path)
    raw = bytearray(path.read_bytes())
    i = raw.find(np.ones(8, np.float32).tobytes())
    raw[i:i + 4] = b"\x00\x00\x80\x7f"
    path.write_bytes(bytes(raw))
    with pytest.raises(RuntimeError, match="bad.pt.*corrupted"):
        ember.load(path)


def test_not_a_checkpoint(tmp_path):
    path = tmp_path / "junk.pt"
    path.write_bytes(b"hello world, not a zip")
    with pytest.raises(RuntimeError, match="junk.pt"):
        ember.load(path)
    with pytest.raises(FileNotFoundError):
        ember.load(tmp_path / "missing.pt")


def test_failure_mid_write_keeps_old_file(tmp_path, monkeypatch):
    import ember.serialization as ser

    path = tmp_path / "ckpt.pt"
    ember.save({"version": 1, "w": ember.ones(3)}, path)
    calls = []
    real = ser._write_record

    def failing(zf, name, data):
        calls.append(name)
        if name.startswith("archive/data/"):
            raise OSError("disk full (simulated)")
        return real(zf, name, data)

    monkeypatch.setattr(ser, "_write_record", failing)
    with pytest.raises(OSError, match="simulated"):
        ember.save({"version": 2, "w": ember.zeros(3)}, path)
    monkeypatch.setattr(ser, "_write_record", real)
    assert calls and ember.load(path)["version"] == 1
    assert os.listdir(tmp_path) == ["ckpt.pt"]  # the temporary file was cleaned up


def test_process_killed_mid_write_keeps_old_file(tmp_path):
    path = tmp_path / "ckpt.pt"
    ember.save({"version": 1}, path)
    script = textwrap.dedent(f"""
        import os
        import ember
        os.fsync = lambda fd: os._exit(3)  # the process dies after writing, before rename
        ember.save({{"version": 2, "w": ember.ones(1000)}}, {str(path)!r})
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         timeout=60)
    assert out.returncode == 3
    assert ember.load(path)["version"] == 1


@requires_torch
def test_torch_legacy_format_loads(tmp_path):
    a = torch.arange(12.0).reshape(3, 4)
    path = tmp_path / "legacy.pt"
    torch.save({"a": a, "v": a[:, 1], "i": torch.tensor([1, 2]), "n": 5}, path,
               _use_new_zipfile_serialization=False)
    r = ember.load(path)
    _assert_tensor_equal(r["a"], a)
    _assert_tensor_equal(r["v"], a[:, 1])
    _assert_tensor_equal(r["i"], torch.tensor([1, 2]))
    assert r["n"] == 5
    r["a"][0, 1] = 100.0  # the view still shares its storage
    assert r["v"][0].item() == 100.0
    raw = path.read_bytes()
    path.write_bytes(raw[:-20])
    with pytest.raises(RuntimeError, match="legacy.pt"):
        ember.load(path)


@requires_torch
def test_torch_mmap_load_of_ember_file(tmp_path):
    path = tmp_path / "m.pt"
    ember.save({"a": ember.arange(10.0).reshape(2, 5), "b": ember.ones(3, dtype=ember.int64)},
               path)
    r = torch.load(path, mmap=True, weights_only=True)
    assert r["a"].sum().item() == 45.0 and r["b"].tolist() == [1, 1, 1]


def test_save_permissions_and_missing_folder(tmp_path):
    path = tmp_path / "p.pt"
    ember.save({"x": 1}, path)
    umask = os.umask(0)
    os.umask(umask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~umask)
    with pytest.raises(RuntimeError, match="Parent directory"):
        ember.save({"x": 1}, tmp_path / "missing" / "p.pt")


@requires_torch
def test_ember_optimizer_checkpoint_resumes_in_torch():
    w0 = np.random.default_rng(0).standard_normal(3).astype(np.float32)
    p = ember.nn.Parameter(ember.tensor(w0))
    opt = ember.optim.Adam([p], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
    buf = io.BytesIO()
    ember.save({"opt": opt.state_dict(), "p": p}, buf)
    buf.seek(0)
    ck = torch.load(buf, weights_only=True)
    tp = torch.nn.Parameter(ck["p"].detach().clone())
    topt = torch.optim.Adam([tp], lr=0.1)
    topt.load_state_dict(ck["opt"])
    for o, q in ((topt, tp), (opt, p)):
        o.zero_grad()
        (q * q).sum().backward()
        o.step()
    np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-6)


def test_mmap_load(tmp_path, monkeypatch):
    path = tmp_path / "m.pt"
    ember.save({"a": ember.arange(1000.0), "v": ember.arange(6).reshape(2, 3).t()}, path)
    maps = []
    real = np.memmap

    def counting(*args, **kw):
        maps.append(args)
        return real(*args, **kw)

    monkeypatch.setattr(np, "memmap", counting)
    r = ember.load(path, mmap=True)
    assert len(maps) == 2  # each storage is mapped from the file, not read
    assert r["a"].sum().item() == 499500.0 and r["v"].tolist() == [[0, 3], [1, 4], [2, 5]]
    r["a"][0] = 7.0  # copy-on-write: the file is untouched
    assert ember.load(path)["a"][0].item() == 0.0
    with pytest.raises(ValueError, match="file path"):
        ember.load(io.BytesIO(path.read_bytes()), mmap=True)


@pytest.mark.parametrize("protocol", [2, 4])
def test_pickle_names_only_torch_globals(protocol):
    obj = {"w": ember.ones(2), "p": ember.nn.Parameter(ember.ones(1)),
           "d": ember.device("cpu"), "s": ember.Size([2]), "t": ember.float16}
    buf = io.BytesIO()
    ember.save(obj, buf, pickle_protocol=protocol)
    pkl = zipfile.ZipFile(io.BytesIO(buf.getvalue())).read("archive/data.pkl")
    assert b"ember" not in pkl and b"torch._utils" in pkl
    obj.pop("t")  # without a dtype the fast (C) pickler writes it
    buf = io.BytesIO()
    ember.save(obj, buf, pickle_protocol=protocol)
    assert b"ember" not in zipfile.ZipFile(io.BytesIO(buf.getvalue())).read("archive/data.pkl")
