"""Seed 000, task 2: a lazy image Dataset of cats and dogs, shown with matplotlib.

    python examples/seed_tasks/cats_dogs_dataset.py [--data DIR] [--ext .jpg] [--out FIG.png]

The Dataset takes a directory, finds every image with the given extension (any layout: the
label comes from 'cat' or 'dog' in the file or folder name), keeps the labels, loads each image
only in __getitem__ and returns it resized/reshaped to the shape given to __init__. Without
--data, a folder of generated cat/dog drawings is made in a temporary directory. A grid of
images and their labels is saved to --out (matplotlib, Agg backend: no display needed).
"""
import argparse
import glob
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

import numpy as np  # noqa: E402

import ember as torch  # noqa: E402
import ember.vision as torchvision  # noqa: E402
from ember.utils.data import Dataset  # noqa: E402

CLASSES = ("cat", "dog")


class CatsDogsDataset(Dataset):
    """Images under `root` with extension `ext`, returned as float tensors of `shape` (C, H, W)."""

    def __init__(self, root, ext=".jpg", shape=(3, 64, 64)):
        self.root, self.ext, self.shape = root, ext.lower(), tuple(shape)
        pattern = os.path.join(root, "**", "*")
        self.paths = sorted(p for p in glob.glob(pattern, recursive=True)
                            if p.lower().endswith(self.ext) and os.path.isfile(p))
        self.labels = [self._label(p) for p in self.paths]
        if not self.paths:
            raise FileNotFoundError(f"no '{ext}' images found under {root}")
        self.transform = torchvision.transforms.Compose([
            torchvision.transforms.Resize(self.shape[1:]),
            torchvision.transforms.ToTensor(),
        ])

    def _label(self, path):
        rel = os.path.relpath(path, self.root).lower()
        for idx, name in enumerate(CLASSES):
            if name in rel:
                return idx
        raise ValueError(f"cannot tell cat from dog for {path}: put 'cat' or 'dog' in its "
                         f"file or folder name")

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, idx):
        from PIL import Image

        with Image.open(self.paths[idx]) as img:          # loaded lazily, here
            img = img.convert("RGB" if self.shape[0] == 3 else "L")
            x = self.transform(img)
        return x.reshape(self.shape), self.labels[idx]


def make_fake_folder(root, n_per_class=6, size=96, ext=".jpg"):
    """Draw simple 'cats' (triangle ears) and 'dogs' (floppy ears) into root/{cats,dogs}/."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(0)
    for name in CLASSES:
        os.makedirs(os.path.join(root, name + "s"), exist_ok=True)
        for i in range(n_per_class):
            bg = tuple(int(v) for v in rng.integers(120, 255, 3))
            fur = tuple(int(v) for v in rng.integers(0, 120, 3))
            img = Image.new("RGB", (size, size), bg)
            d = ImageDraw.Draw(img)
            c, r = size // 2, size // 4
            if name == "cat":
                d.polygon([(c - r, c - r // 2), (c - r // 2, c - 2 * r), (c, c - r)], fill=fur)
                d.polygon([(c + r, c - r // 2), (c + r // 2, c - 2 * r), (c, c - r)], fill=fur)
            else:
                d.ellipse([c - 2 * r, c - r, c - r, c + r], fill=fur)
                d.ellipse([c + r, c - r, c + 2 * r, c + r], fill=fur)
            d.ellipse([c - r, c - r, c + r, c + r], fill=fur)
            img.save(os.path.join(root, name + "s", f"{name}_{i}{ext}"))
    return root


def show(dataset, n, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = min(n, len(dataset))
    fig, axes = plt.subplots(1, n, figsize=(2 * n, 2.4))
    picks = np.linspace(0, len(dataset) - 1, n).round().astype(int)  # both classes
    for ax, idx in zip(np.atleast_1d(axes), picks):
        x, label = dataset[int(idx)]
        ax.imshow(x.permute(1, 2, 0).numpy().squeeze())
        ax.set_title(CLASSES[label])
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="folder of cat/dog images (default: generate one)")
    p.add_argument("--ext", default=".jpg", help="image extension to look for (default .jpg)")
    p.add_argument("--shape", type=int, nargs=3, default=[3, 64, 64], metavar=("C", "H", "W"))
    p.add_argument("--n", type=int, default=6, help="images to show")
    p.add_argument("--out", default="cats_dogs_samples.png", help="figure file to write")
    args = p.parse_args(argv)
    tmp = None
    root = args.data
    if root is None:
        tmp = tempfile.TemporaryDirectory()
        root = make_fake_folder(tmp.name, ext=args.ext)
        print(f"no --data given: generated a cats/dogs folder in {root}")
    ds = CatsDogsDataset(root, args.ext, args.shape)
    print(f"{len(ds)} images, labels: {[CLASSES[i] for i in ds.labels]}")
    x, y = ds[0]
    print(f"item 0: {tuple(x.shape)} {x.dtype} label={CLASSES[y]}")
    torch.manual_seed(0)
    out = show(ds, args.n, args.out)
    print(f"saved a figure of {min(args.n, len(ds))} images with labels to {out}")
    if tmp is not None:
        tmp.cleanup()
    return ds


if __name__ == "__main__":
    main()
