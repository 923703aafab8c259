"""Race ember against PyTorch on small training workloads.

    python benchmarks/training.py WORKLOAD [--repeats N]      WORKLOAD: a name below or `all`

Each run is a fresh subprocess executing the same training script (written once, against
PyTorch's API, with the library chosen by `importlib.import_module`); runs alternate between
the libraries and the median of N repeats is reported, with the ember/torch time ratio, the
peak resident memory (ru_maxrss) of each process, and the GFLOP/s the Linear layers' matmuls
achieve over the whole training time against NumPy's 1024x1024 float32 matmul peak.

The timed region is model construction plus the training loop; imports and the synthetic
data (made with NumPy, identical for both libraries) are outside it.
"""
import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- workloads: each builds its data with NumPy, then trains with `lib` -----------------------
def _linear_flops(batch, dims, steps, first_needs_input_grad=False):
    """FLOPs of the Linear matmuls: forward 2*B*i*o, backward 2*B*i*o for the weight grad
    and again for the input grad (skipped for the first layer, whose input needs none)."""
    total = 0
    for k, (i, o) in enumerate(zip(dims[:-1], dims[1:])):
        per = 2 * batch * i * o
        total += per * (2 if k == 0 and not first_needs_input_grad else 3)
    return total * steps


def seed004_mlp(lib):
    """Seed 004's MLP: N=64, 1000->100->10, MSE (sum), Adam lr 1e-4, 500 steps."""
    rng = np.random.default_rng(0)
    n, d_in, h, d_out, steps = 64, 1000, 100, 10, 500
    xs = rng.standard_normal((n, d_in), dtype=np.float32)
    ys = rng.standard_normal((n, d_out), dtype=np.float32)

    def train():
        x, y = lib.from_numpy(xs), lib.from_numpy(ys)
        model = lib.nn.Sequential(lib.nn.Linear(d_in, h), lib.nn.ReLU(),
                                  lib.nn.Linear(h, d_out))
        loss_fn = lib.nn.MSELoss(reduction="sum")
        optimizer = lib.optim.Adam(model.parameters(), lr=1e-4)
        for _ in range(steps):
            y_pred = model(x)
            loss = loss_fn(y_pred, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return loss.item()

    return train, _linear_flops(n, [d_in, h, d_out], steps)


def mnist_mlp(lib):
    """One epoch over 60,000 synthetic 784-feature samples, batch 64, 784->512->256->10,
    CrossEntropyLoss, SGD momentum 0.9, through DataLoader(TensorDataset, shuffle=True)."""
    rng = np.random.default_rng(0)
    n, batch = 60000, 64
    xs = rng.standard_normal((n, 784), dtype=np.float32)
    ys = rng.integers(0, 10, n).astype(np.int64)
    data = importlib.import_module(lib.__name__ + ".utils.data")

    def train():
        lib.manual_seed(0)
        loader = data.DataLoader(data.TensorDataset(lib.from_numpy(xs), lib.from_numpy(ys)),
                                 batch_size=batch, shuffle=True)
        model = lib.nn.Sequential(lib.nn.Linear(784, 512), lib.nn.ReLU(),
                                  lib.nn.Linear(512, 256), lib.nn.ReLU(),
                                  lib.nn.Linear(256, 10))
        loss_fn = lib.nn.CrossEntropyLoss()
        optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        return loss.item()

    return train, _linear_flops(batch, [784, 512, 256, 10], 1) * n // batch


def _cifar_net(lib):
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        """The CIFAR10 tutorial's network."""

        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = lib.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    return Net()


def _cifar(lib, batch, steps, pool):
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((pool, batch, 3, 32, 32), dtype=np.float32)
    ys = rng.integers(0, 10, (pool, batch)).astype(np.int64)

    def train():
        net = _cifar_net(lib)
        criterion = lib.nn.CrossEntropyLoss()
        optimizer = lib.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
        for i in range(steps):
            inputs, labels = lib.from_numpy(xs[i % pool]), lib.from_numpy(ys[i % pool])
            optimizer.zero_grad()
            loss = criterion(net(inputs), labels)
            loss.backward()
            optimizer.step()
        return loss.item()

    return train, _linear_flops(batch, [400, 120, 84, 10], steps, True)


def cifar_tutorial(lib):
    """The CIFAR10 tutorial CNN, batch 4, 2,000 SGD-momentum steps on synthetic images."""
    return _cifar(lib, 4, 2000, 250)


def cifar_b128(lib):
    """The same network at batch 128, 200 steps."""
    return _cifar(lib, 128, 200, 10)


def lenet_b64(lib):
    """conv 1->32 3x3 pad 1, pool, conv 32->64 3x3 pad 1, pool, 3136->128->10, Adam,
    batch 64, 100 steps."""
    rng = np.random.default_rng(0)
    batch, steps, pool = 64, 100, 20
    xs = rng.standard_normal((pool, batch, 1, 28, 28), dtype=np.float32)
    ys = rng.integers(0, 10, (pool, batch)).astype(np.int64)
    nn = lib.nn

    def train():
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
        loss_fn = nn.CrossEntropyLoss()
        optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
        for i in range(steps):
            x, y = lib.from_numpy(xs[i % pool]), lib.from_numpy(ys[i % pool])
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        return loss.item()

    return train, _linear_flops(batch, [3136, 128, 10], steps, True)


WORKLOADS = {f.__name__: f for f in (seed004_mlp, mnist_mlp, cifar_tutorial, cifar_b128,
                                     lenet_b64)}


# -- child: one library, one workload -----------------------------------------------------
def child(libname, workload):
    import resource

    lib = importlib.import_module(libname)
    lib.manual_seed(0)
    train, flops = WORKLOADS[workload](lib)
    t0 = time.perf_counter()
    loss = train()
    elapsed = time.perf_counter() - t0
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"time": elapsed, "rss_mb": rss_kb / 1024, "flops": flops,
                      "loss": loss}))


def run_child(libname, workload, threads=None):
    env = dict(os.environ)
    if threads:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(threads)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", libname,
                          workload], capture_output=True, text=True, env=env, cwd=ROOT)
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["(no output)"]
        return {"error": tail[0]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def numpy_matmul_peak(n=1024, repeats=20):
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = a.T.copy()
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n ** 3 / best / 1e9


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workload", choices=sorted(WORKLOADS) + ["all"])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--libs", default="ember,torch", help="comma-separated, ember first")
    ap.add_argument("--threads", type=int, default=None,
                    help="cap BLAS/OpenMP threads of both libraries (default: their own)")
    args = ap.parse_args(argv)
    libs = args.libs.split(",")
    names = sorted(WORKLOADS, key=list(WORKLOADS).index) if args.workload == "all" \
        else [args.workload]
    peak = numpy_matmul_peak()
    print(f"NumPy {np.__version__} 1024x1024 float32 matmul peak: {peak:.0f} GFLOP/s; "
          f"{os.cpu_count()} CPUs, threads={args.threads or 'default'}; median of "
          f"{args.repeats} alternating runs per library", flush=True)
    head = f"{'workload':<15}" + "".join(f"{lib + ' s':>10}" for lib in libs)
    head += f"{'ratio':>8}" + "".join(f"{lib + ' MB':>10}" for lib in libs)
    head += "".join(f"{lib + ' GF/s':>12}" for lib in libs)
    print(head)
    for name in names:
        runs = {lib: [] for lib in libs}
        errors = {}
        for r in range(args.repeats):
            order = libs if r % 2 == 0 else libs[::-1]
            for lib in order:
                if lib in errors:
                    continue
                res = run_child(lib, name, args.threads)
                if "error" in res:
                    errors[lib] = res["error"]
                else:
                    runs[lib].append(res)
        med = {lib: statistics.median(x["time"] for x in runs[lib]) for lib in libs
               if runs[lib]}
        rss = {lib: max(x["rss_mb"] for x in runs[lib]) for lib in libs if runs[lib]}
        gf = {lib: runs[lib][0]["flops"] / med[lib] / 1e9 for lib in med}
        line = f"{name:<15}" + "".join(f"{med[lib]:>10.3f}" if lib in med else f"{'-':>10}"
                                       for lib in libs)
        ratio = med[libs[0]] / med[libs[1]] if len(libs) > 1 and len(med) == len(libs) \
            else None
        line += f"{ratio:>8.2f}" if ratio is not None else f"{'-':>8}"
        line += "".join(f"{rss[lib]:>10.0f}" if lib in rss else f"{'-':>10}" for lib in libs)
        line += "".join(f"{gf[lib]:>7.1f} ({gf[lib] / peak:>3.0%})" if lib in gf
                        else f"{'-':>12}" for lib in libs)
        print(line, flush=True)
        for lib, err in errors.items():
            print(f"    {lib} failed: {err}")


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
