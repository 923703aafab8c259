"""Transforms throughput: ToTensor + Normalize + RandomCrop(padding) + RandomHorizontalFlip on
64x64 RGB PIL images, ember.vision.transforms vs the same pipeline written directly with
NumPy/PIL.

    python benchmarks/transforms.py [--n 2000]
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from PIL import Image  # noqa: E402

import ember  # noqa: E402
from ember.vision import transforms as T  # noqa: E402

MEAN = np.array([0.485, 0.456, 0.406], np.float32).reshape(3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], np.float32).reshape(3, 1, 1)


def numpy_pipeline(rng):
    def run(img):
        a = np.asarray(img)                                      # RandomCrop(56, padding=4)
        a = np.pad(a, ((4, 4), (4, 4), (0, 0)))
        i, j = rng.integers(0, a.shape[0] - 56 + 1), rng.integers(0, a.shape[1] - 56 + 1)
        a = a[i:i + 56, j:j + 56]
        if rng.random() < 0.5:                                   # RandomHorizontalFlip
            a = a[:, ::-1]
        x = a.transpose(2, 0, 1).astype(np.float32) / 255.0       # ToTensor
        return (x - MEAN) / STD                                  # Normalize
    return run


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    rng = np.random.default_rng(0)
    imgs = [Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
            for _ in range(64)]
    ember_pipe = T.Compose([T.RandomCrop(56, padding=4), T.RandomHorizontalFlip(),
                            T.ToTensor(), T.Normalize(MEAN.ravel().tolist(), STD.ravel().tolist())])
    np_pipe = numpy_pipeline(np.random.default_rng(0))
    ember.manual_seed(0)
    times = {}
    for name, fn in (("ember", ember_pipe), ("numpy/PIL", np_pipe)):
        best = float("inf")
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            for k in range(a.n):
                fn(imgs[k % 64])
            best = min(best, time.perf_counter() - t0)
        times[name] = best
        print(f"{name:10s} {a.n / best:9.0f} images/s  ({best / a.n * 1e6:6.1f} us/image)")
    print(f"ember / numpy-PIL time ratio: {times['ember'] / times['numpy/PIL']:.2f}")


if __name__ == "__main__":
    main()
