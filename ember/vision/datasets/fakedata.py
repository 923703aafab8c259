"""FakeData: random images, reproducible per index (torchvision.datasets.FakeData)."""
import numpy as np

from ember.vision.datasets.vision import VisionDataset


class FakeData(VisionDataset):
    """A dataset of random PIL images and integer labels.

    Item ``i`` is drawn from a generator seeded with ``i + random_offset``, so it is the same
    on every access and in every worker process. Global random state is untouched.

    Args:
        size: number of items.
        image_size: (C, H, W) of each image; C is 1 (mode 'L') or 3 (mode 'RGB').
        num_classes: labels are drawn from ``range(num_classes)``.
    """

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = tuple(image_size)
        self.random_offset = random_offset

    def __getitem__(self, index):
        from PIL import Image

        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        rng = np.random.default_rng(index + self.random_offset)
        c, h, w = self.image_size
        arr = rng.integers(0, 256, size=(h, w, c), dtype=np.uint8)
        img = Image.fromarray(arr[:, :, 0] if c == 1 else arr)
        target = int(rng.integers(0, self.num_classes))
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return self.size
