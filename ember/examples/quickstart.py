"""ember quickstart: train a small CNN on handwritten digits, PyTorch-style.

    python -m ember.examples.quickstart          (or: ember-quickstart)

Trains on the 8x8 digits that ship with ember (no download), shows tqdm progress bars, logs
loss and accuracy to TensorBoard under ``<out-dir>/runs/`` (view with
``tensorboard --logdir runs``), saves a checkpoint with ``ember.save``, reloads it with
``ember.load`` into a fresh model and prints its test accuracy.

The code below is ordinary PyTorch code: only the imports say ember.
"""
import argparse
import os
import sys
import time

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
from ember.utils.data import DataLoader
from ember.vision import datasets, transforms


def _logging_deps():
    try:
        from tqdm.auto import tqdm

        from ember.utils.tensorboard import SummaryWriter
        from ember.utils.tensorboard import writer as _w

        _w._require()
    except ImportError as e:
        raise ImportError(f"The quickstart shows progress bars and TensorBoard logs, which need "
                          f"tqdm and tensorboardX ({e}). Install them with: "
                          f"pip install ember[logging]") from e
    return tqdm, SummaryWriter


class DigitsCNN(nn.Module):
    """conv(1->16) -> pool -> conv(16->32) -> pool -> 128 -> 64 -> 10, for 1x8x8 inputs."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.bn2 = nn.BatchNorm2d(32)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(32 * 2 * 2, 64)
        self.fc2 = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))   # 16 x 4 x 4
        x = self.pool(F.relu(self.bn2(self.conv2(x))))   # 32 x 2 x 2
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


def evaluate(model, loader, device):
    """(accuracy, mean loss) of `model` over `loader`."""
    model.eval()
    correct, total, loss_sum = 0, 0, 0.0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            logits = model(images)
            loss_sum += F.cross_entropy(logits, labels, reduction="sum").item()
            correct += (logits.argmax(dim=1) == labels).sum().item()
            total += labels.size(0)
    return correct / total, loss_sum / total


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="ember-quickstart",
        description="Train a small CNN on the 8x8 handwritten digits shipped with ember, with "
                    "progress bars, TensorBoard logs and a checkpoint; prints the test accuracy "
                    "of the reloaded checkpoint.")
    p.add_argument("--epochs", type=int, default=12,
                   help="passes over the 1,438 training images (default: 12)")
    p.add_argument("--batch-size", type=int, default=32,
                   help="images per optimisation step (default: 32)")
    p.add_argument("--lr", type=float, default=5e-3,
                   help="Adam learning rate, annealed to 0 by a cosine schedule (default: 5e-3)")
    p.add_argument("--workers", type=int, default=0,
                   help="DataLoader worker processes; 0 loads in the main process (default: 0)")
    p.add_argument("--device", default="cpu",
                   help="device to train on: 'cpu', or 'cuda' when CuPy and a GPU are present "
                        "(default: cpu)")
    p.add_argument("--out-dir", default=".",
                   help="where to write runs/ (TensorBoard logs) and the checkpoint "
                        "digits_cnn.pt (default: current directory)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--no-progress", action="store_true", help="hide the tqdm progress bars")
    return p.parse_args(argv)


def run(args):
    """Train, log, checkpoint, reload and test; returns a dict of results."""
    tqdm, SummaryWriter = _logging_deps()
    start = time.perf_counter()
    torch.manual_seed(args.seed)
    device = torch.device(args.device)

    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    train_set = datasets.Digits(train=True, transform=transform)
    test_set = datasets.Digits(train=False, transform=transform)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=args.workers)
    test_loader = DataLoader(test_set, batch_size=256, num_workers=args.workers)

    model = DigitsCNN().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    run_dir = os.path.join(args.out_dir, "runs", time.strftime("digits-%Y%m%d-%H%M%S"))
    writer = SummaryWriter(run_dir)
    writer.add_text("model", str(model).replace("\n", "  \n"))
    step = 0
    epochs = tqdm(range(args.epochs), desc="epochs", unit="epoch", disable=args.no_progress)
    for epoch in epochs:
        model.train()
        batches = tqdm(train_loader, desc=f"epoch {epoch + 1}", unit="batch", leave=False,
                       disable=args.no_progress)
        for images, labels in batches:
            images, labels = images.to(device), labels.to(device)
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step % 10 == 0:
                writer.add_scalar("train/loss", loss.item(), step)
                batches.set_postfix(loss=f"{loss.item():.4f}")
            step += 1
        writer.add_scalar("train/lr", scheduler.get_last_lr()[0], epoch)
        scheduler.step()
        acc, test_loss = evaluate(model, test_loader, device)
        writer.add_scalar("test/accuracy", acc, epoch)
        writer.add_scalar("test/loss", test_loss, epoch)
        epochs.set_postfix(test_acc=f"{acc:.2%}")
    writer.add_hparams({"lr": args.lr, "batch_size": args.batch_size, "epochs": args.epochs},
                       {"hparam/test_accuracy": acc}, run_name=".")
    writer.close()

    os.makedirs(args.out_dir, exist_ok=True)
    ckpt = os.path.join(args.out_dir, "digits_cnn.pt")
    torch.save({"model": model.state_dict(), "epochs": args.epochs}, ckpt)

    restored = DigitsCNN().to(device)
    restored.load_state_dict(torch.load(ckpt)["model"])
    acc, _ = evaluate(restored, test_loader, device)
    seconds = time.perf_counter() - start
    n = len(test_set)
    print(f"Test accuracy of the reloaded checkpoint: {acc:.2%} ({round(acc * n)}/{n} digits) "
          f"after {args.epochs} epochs in {seconds:.1f} s")
    print(f"Checkpoint: {ckpt}   TensorBoard: tensorboard --logdir "
          f"{os.path.join(args.out_dir, 'runs')}")
    return {"accuracy": acc, "checkpoint": ckpt, "log_dir": run_dir, "seconds": seconds}


def main(argv=None):
    args = parse_args(argv)
    try:
        device = torch.device(args.device)
    except (RuntimeError, ValueError) as e:
        print(f"error: --device {args.device}: {e}", file=sys.stderr)
        return 2
    if device.type == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda: no CUDA backend here (ember needs CuPy and a CUDA GPU "
              "for that); use --device cpu", file=sys.stderr)
        return 2
    try:
        run(args)
    except ImportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
