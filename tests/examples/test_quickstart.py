import contextlib
import os
import subprocess
import sys

import pytest

import ember

pytest.importorskip("PIL")
pytest.importorskip("tqdm")
pytest.importorskip("tensorboardX")
needs_reductions = pytest.mark.skipif(not hasattr(ember.Tensor, "argmax"),
                                      reason="Tensor.argmax not in this build yet")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@needs_reductions
def test_quickstart_trains_logs_checkpoints_and_reaches_97_percent(tmp_path, capsys):
    from ember.examples import quickstart

    try:  # small matmuls: one BLAS thread is faster, much faster on a busy machine
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(1)
    except ImportError:
        limit = contextlib.nullcontext()
    with limit:
        res = quickstart.run(quickstart.parse_args(["--out-dir", str(tmp_path),
                                                    "--no-progress"]))
    assert res["accuracy"] >= 0.97
    out = capsys.readouterr().out
    assert "Test accuracy of the reloaded checkpoint" in out
    # checkpoint round-trips and holds the model's state dict
    ckpt = ember.load(res["checkpoint"])
    assert "conv1.weight" in ckpt["model"] and tuple(ckpt["model"]["fc2.weight"].shape) == (10, 64)
    # TensorBoard events hold the logged accuracy per epoch
    ea = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    acc = ea.EventAccumulator(res["log_dir"], size_guidance={"scalars": 0})
    acc.Reload()
    accs = acc.Scalars("test/accuracy")
    assert len(accs) == 12 and accs[-1].value == pytest.approx(res["accuracy"])
    assert len(acc.Scalars("train/loss")) > 10


def test_quickstart_help_explains_options():
    out = subprocess.run([sys.executable, "-m", "ember.examples.quickstart", "--help"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0
    for opt in ("--epochs", "--batch-size", "--workers", "--device", "--out-dir", "--lr"):
        assert opt in out.stdout
    assert "TensorBoard" in out.stdout


def test_quickstart_missing_logging_extra_says_pip_install(monkeypatch, capsys):
    import ember.utils.tensorboard.writer as wmod
    from ember.examples import quickstart

    monkeypatch.setattr(wmod, "_tbx", None)
    assert quickstart.main(["--epochs", "1"]) == 1
    assert "pip install ember[logging]" in capsys.readouterr().err


def test_quickstart_unavailable_device_is_a_clear_error(capsys):
    from ember.examples import quickstart

    if ember.cuda.is_available():
        pytest.skip("a CUDA backend is present")
    assert quickstart.main(["--device", "cuda", "--epochs", "1"]) == 2
    assert "--device cuda" in capsys.readouterr().err
