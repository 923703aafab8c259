"""Per-op timing (EMBER_PROFILE=1 / ember.autograd.profile)."""
import io
import os
import subprocess
import sys

import ember
from ember.autograd import profile
from ember.autograd.function import Op


def test_enable_times_forward_and_backward_then_restores_the_fast_path():
    plain_apply = Op.__dict__["apply"]
    profile.reset()
    profile.enable()
    try:
        x = ember.randn(4, 3, requires_grad=True)
        w = ember.randn(3, 2, requires_grad=True)
        (x @ w).relu().sum().backward()
    finally:
        profile.disable()
    rows = profile.totals()
    assert rows["MatMul"][0] == 1 and rows["MatMul"][2] == 1 and rows["MatMul"][1] > 0
    assert rows["Relu"][:1] == (1,) and rows["Relu"][2] == 1
    assert Op.__dict__["apply"] is plain_apply  # off again: nothing left on the hot path
    out = io.StringIO()
    profile.report(out)
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:3] == ["op", "fwd", "calls"] and len(lines) == 1 + len(rows)
    profile.reset()
    assert profile.totals() == {}


def test_environment_switch_prints_the_table_at_exit():
    code = ("import ember; x = ember.ones(2, requires_grad=True); "
            "(x * x).sum().backward()")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, EMBER_PROFILE="1", PYTHONPATH=root)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=root, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Mul" in out.stderr and "fwd ms" in out.stderr
