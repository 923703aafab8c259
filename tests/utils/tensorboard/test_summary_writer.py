import os

import numpy as np
import pytest

import ember

pytest.importorskip("tensorboardX")
ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
from ember.utils.tensorboard import SummaryWriter  # noqa: E402
from tests.helpers import requires_torch  # noqa: E402

GUIDE = {"scalars": 0, "images": 0, "histograms": 0, "tensors": 0}


def _read(path):
    acc = ea_mod.EventAccumulator(str(path), size_guidance=GUIDE)
    acc.Reload()
    return acc


def test_add_scalar_values_and_steps_round_trip(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(5):
            w.add_scalar("train/loss", ember.tensor(1.0 / (step + 1)), step)
        w.add_scalar("lr", 0.1, ember.tensor(7))
        w.add_scalar("np", np.float32(2.5), 1)
    acc = _read(tmp_path)
    loss = acc.Scalars("train/loss")
    assert [e.step for e in loss] == list(range(5))
    np.testing.assert_allclose([e.value for e in loss], [1 / (s + 1) for s in range(5)],
                               rtol=1e-6)
    assert acc.Scalars("lr")[0].step == 7 and acc.Scalars("np")[0].value == 2.5


def test_add_scalar_rejects_multi_element_tensor(tmp_path):
    with SummaryWriter(tmp_path) as w, pytest.raises(ValueError, match="single value"):
        w.add_scalar("x", ember.ones(3), 0)


def test_add_scalars_writes_one_run_per_key(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalars("acc", {"train": ember.tensor(0.75), "test": 0.5}, 2)
        w.add_scalars("acc", {"train": 0.5}, 3)
    train = _read(tmp_path / "acc_train").Scalars("acc")
    test = _read(tmp_path / "acc_test").Scalars("acc")
    assert [(e.step, e.value) for e in train] == [(2, 0.75), (3, 0.5)]
    assert test[0].value == 0.5 and test[0].step == 2


@requires_torch
def test_add_scalars_run_layout_is_pytorchs(tmp_path):
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    for lib, cls in (("ember", SummaryWriter), ("torch", TorchWriter)):
        w = cls(str(tmp_path / lib))
        w.add_scalars("Loss/a b", {"Training": 1.0, "Validation": 2.0}, 1)
        w.close()
        w.add_scalars("Loss/a b", {"Training": 0.5}, 2)  # logging after close reopens
        w.close()
    runs = [sorted(p.name for p in (tmp_path / lib).iterdir() if p.is_dir())
            for lib in ("ember", "torch")]
    assert runs[0] == runs[1] == ["Loss_a b_Training", "Loss_a b_Validation"]
    steps = [e.step for e in _read(tmp_path / "ember" / "Loss_a b_Training").Scalars(
        "Loss/a_b")]
    assert steps == [1, 2]


def test_add_histogram_counts(tmp_path):
    vals = ember.tensor(np.linspace(-1, 1, 101))
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("weights", vals, 0)
    h = _read(tmp_path).Histograms("weights")[0].histogram_value
    assert h.num == 101 and h.min == -1.0 and h.max == 1.0
    np.testing.assert_allclose(h.sum, 0.0, atol=1e-9)


def test_add_image_and_images_shapes(tmp_path):
    img = ember.tensor(np.random.default_rng(0).random((3, 6, 9), dtype=np.float32))
    batch = ember.tensor(np.random.default_rng(1).random((4, 1, 5, 5), dtype=np.float32))
    with SummaryWriter(tmp_path) as w:
        w.add_image("one", img, 0)
        w.add_image("hwc", img.numpy().transpose(1, 2, 0), 0, dataformats="HWC")
        w.add_images("many", batch, 1)
    acc = _read(tmp_path)
    one = acc.Images("one")[0]
    assert (one.width, one.height) == (9, 6)
    assert (acc.Images("hwc")[0].width, acc.Images("hwc")[0].height) == (9, 6)
    assert acc.Images("many")[0].step == 1


def test_add_figure_and_text(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2, 2))
    plt.plot([0, 1], [1, 0])
    with SummaryWriter(tmp_path) as w:
        w.add_figure("fig", fig, 3)
        w.add_text("notes", "hello ember", 0)
    acc = _read(tmp_path)
    assert acc.Images("fig")[0].step == 3
    text = acc.Tensors("notes/text_summary")[0].tensor_proto.string_val
    assert text == [b"hello ember"]


def test_add_hparams_writes_metrics(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.01, "bs": 32, "opt": "sgd"}, {"hparam/acc": ember.tensor(0.9)},
                      run_name="trial")
    acc = _read(tmp_path / "trial")
    assert acc.Scalars("hparam/acc")[0].value == pytest.approx(0.9)
    plugin_data_pb2 = pytest.importorskip("tensorboard.plugins.hparams.plugin_data_pb2")
    raw = acc.PluginTagToContent("hparams")["_hparams_/session_start_info"]
    hp = plugin_data_pb2.HParamsPluginData.FromString(raw).session_start_info.hparams
    assert hp["lr"].number_value == pytest.approx(0.01) and hp["opt"].string_value == "sgd"
    with SummaryWriter(tmp_path) as w, pytest.raises(TypeError, match="dictionary"):
        w.add_hparams([("lr", 1)], {})


class _GraphNet(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = ember.nn.Conv2d(1, 2, 3)
        self.head = ember.nn.Sequential(ember.nn.Flatten(), ember.nn.Linear(2 * 4 * 4, 3))

    def forward(self, x):
        return self.head(ember.nn.functional.relu(self.conv1(x)))


def test_add_graph_writes_module_scoped_graph(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_graph(_GraphNet(), ember.randn(2, 1, 6, 6))
    nodes = {n.name: n for n in _read(tmp_path).Graph().node}
    assert nodes["input/input.0"].op == "IO Node"
    conv = nodes["_GraphNet/Conv2d[conv1]/Convolution"]
    assert list(conv.input) == ["input/input.0", "_GraphNet/conv1/weight",
                                "_GraphNet/conv1/bias"]
    assert nodes["_GraphNet/Relu"].input == ["_GraphNet/Conv2d[conv1]/Convolution"]
    addmm = nodes["_GraphNet/head/Linear[1]/Addmm"]
    assert "_GraphNet/head/1/weight" in addmm.input
    out = nodes["output/output.0"]
    assert out.input == ["_GraphNet/head/Linear[1]/Addmm"]
    dims = [d.size for d in out.attr["_output_shapes"].list.shape[0].dim]
    assert dims == [2, 3]


def test_add_graph_leaves_model_and_input_untouched(tmp_path):
    net, x = _GraphNet(), ember.randn(2, 1, 6, 6)
    with SummaryWriter(tmp_path) as w:
        w.add_graph(net, (x,))
        with pytest.raises(ValueError, match="input_to_model"):
            w.add_graph(net)
    assert not x.requires_grad and all(p.grad is None for p in net.parameters())
    assert not net.conv1._forward_hooks


def test_non_writable_log_dir_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(OSError, match="cannot write event files.*file"):
        SummaryWriter(blocker / "run")


def test_closed_writer_and_default_logdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_exp")
    assert w.get_logdir().startswith("runs" + os.sep) and w.get_logdir().endswith("_exp")
    w.flush()
    w.close()
    w.close()  # idempotent
    w.add_scalar("x", 1.0, 0)  # as in PyTorch, logging after close() reopens the writer
    w.add_scalar("x", 2.0, 1)
    w.close()
    events = [f for f in os.listdir(w.get_logdir()) if f.startswith("events.")]
    assert len(events) == 2  # the reopened writer starts a new event file
    assert [e.value for e in _read(w.get_logdir()).Scalars("x")] == [1.0, 2.0]


def test_missing_tensorboardx_says_how_to_install(monkeypatch):
    import ember.utils.tensorboard.writer as wmod

    monkeypatch.setattr(wmod, "_tbx", None)
    with pytest.raises(ImportError, match=r"pip install ember\[logging\]"):
        wmod.SummaryWriter("unused")


def test_import_does_not_drag_in_torch_but_torch_still_imports():
    import subprocess
    import sys

    code = ("import sys; from ember.utils.tensorboard import SummaryWriter; "
            "print('torch' in sys.modules); import importlib.util; "
            "print(importlib.util.find_spec('torch') is None or __import__('torch') is not None)")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=root, timeout=120)
    assert out.stdout.split() == ["False", "True"], out.stderr


def test_flush_puts_every_pending_event_on_disk(tmp_path):
    w = SummaryWriter(tmp_path, flush_secs=1000)
    for step in range(50):
        w.add_scalar("loss", float(step), step)
        w.add_scalars("pair", {"a": step, "b": -step}, step)
    w.flush()  # read back before close: everything logged so far is there
    assert [e.step for e in _read(tmp_path).Scalars("loss")] == list(range(50))
    assert len(_read(tmp_path / "pair_b").Scalars("pair")) == 50
    w.add_scalar("loss", 50.0, 50)  # the writer keeps working after a flush
    w.close()
    assert len(_read(tmp_path).Scalars("loss")) == 51
