"""Quickstart benchmark: the digits CNN training with ember vs the same script with PyTorch.

    python benchmarks/quickstart.py [--epochs 12] [--repeat 1]

Each library runs in its own process, on the same Digits arrays (PyTorch has no torchvision
here, so both sides read the normalised uint8 data through a tiny Dataset), the same model,
Adam + cosine schedule, batch size and epochs. Prints wall time of training + evaluation, the
ember/PyTorch ratio and both test accuracies. Then times the real quickstart script (PIL
transforms, tqdm, TensorBoard, checkpoint) end to end.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def child(lib, epochs, batch_size, lr, seed):
    import numpy as np

    if lib == "torch":
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.utils.data import DataLoader, Dataset
    else:
        sys.path.insert(0, ROOT)
        import ember as torch
        import ember.nn as nn
        import ember.nn.functional as F
        from ember.utils.data import DataLoader, Dataset
    from ember.vision.datasets import Digits

    class Arrays(Dataset):
        def __init__(self, train):
            d = Digits(train=train)
            x = (d.data.numpy()[:, None].astype(np.float32) / 255.0 - 0.5) / 0.5
            self.x, self.y = torch.from_numpy(x), torch.from_numpy(d.targets.numpy())

        def __len__(self):
            return len(self.y)

        def __getitem__(self, i):
            return self.x[i], self.y[i]

    class DigitsCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(16)
            self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
            self.bn2 = nn.BatchNorm2d(32)
            self.pool = nn.MaxPool2d(2)
            self.fc1 = nn.Linear(128, 64)
            self.fc2 = nn.Linear(64, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.bn1(self.conv1(x))))
            x = self.pool(F.relu(self.bn2(self.conv2(x))))
            return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))

    torch.manual_seed(seed)
    train_loader = DataLoader(Arrays(True), batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(Arrays(False), batch_size=256)
    start = time.perf_counter()
    model = DigitsCNN()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    for _ in range(epochs):
        model.train()
        for x, y in train_loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in test_loader:
            correct += (model(x).argmax(1) == y).sum().item()
            total += len(y)
    return {"lib": lib, "seconds": time.perf_counter() - start, "accuracy": correct / total}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=5e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--child", choices=["ember", "torch"])
    a = p.parse_args()
    if a.child:
        print(json.dumps(child(a.child, a.epochs, a.batch_size, a.lr, a.seed)))
        return
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    best = {}
    for _ in range(a.repeat):
        for lib in ("ember", "torch"):
            out = subprocess.run([sys.executable, __file__, "--child", lib, "--epochs",
                                  str(a.epochs), "--batch-size", str(a.batch_size), "--lr",
                                  str(a.lr), "--seed", str(a.seed)], env=env, check=True,
                                 capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            if lib not in best or r["seconds"] < best[lib]["seconds"]:
                best[lib] = r
    e, t = best["ember"], best["torch"]
    print(f"digits CNN, {a.epochs} epochs, batch {a.batch_size}:")
    print(f"  ember   {e['seconds']:7.2f} s   test accuracy {e['accuracy']:.2%}")
    print(f"  PyTorch {t['seconds']:7.2f} s   test accuracy {t['accuracy']:.2%}")
    print(f"  ember/PyTorch wall-time ratio: {e['seconds'] / t['seconds']:.2f}")
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "ember.examples.quickstart", "--out-dir", d,
                              "--no-progress", "--epochs", str(a.epochs)], env=env, cwd=ROOT,
                             check=True, capture_output=True, text=True).stdout
        wall = time.perf_counter() - t0
    print(f"quickstart end to end (process start to exit): {wall:.1f} s")
    print("  " + out.strip().splitlines()[0])


if __name__ == "__main__":
    main()
