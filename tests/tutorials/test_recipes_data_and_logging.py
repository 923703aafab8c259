"""recipes/custom_dataset_transforms_loader (face landmarks) and
recipes/tensorboard_with_pytorch on ember, imports rewritten only.

The face-landmarks recipe reads `faces/face_landmarks.csv` and images with pandas and
scikit-image; the test writes 66 small generated faces (the recipe looks at sample 65) and,
where pandas or scikit-image is not installed, puts small stand-ins for the functions it
uses (`pd.read_csv(...).iloc`, `io.imread`, `transform.resize`) in `sys.modules`. DataLoader
keeps the recipe's `num_workers=4`. torchvision is not installed, so nothing is compared
with PyTorch here; the TensorBoard recipe's event file is read back with TensorBoard's reader.
"""
import csv
import sys
import types
import warnings

import numpy as np
import pytest
from _harness import normalise, run

FACES = '''
from __future__ import print_function, division
import os
import torch
import pandas as pd
from skimage import io, transform
import numpy as np
import matplotlib.pyplot as plt
from torch.utils.data import Dataset, DataLoader
from torchvision import transforms, utils

# Ignore warnings
import warnings
warnings.filterwarnings("ignore")

plt.ion()   # interactive mode

landmarks_frame = pd.read_csv('faces/face_landmarks.csv')

n = 65
img_name = landmarks_frame.iloc[n, 0]
landmarks = landmarks_frame.iloc[n, 1:]
landmarks = np.asarray(landmarks)
landmarks = landmarks.astype('float').reshape(-1, 2)

print('Image name: {}'.format(img_name))
print('Landmarks shape: {}'.format(landmarks.shape))
print('First 4 Landmarks: {}'.format(landmarks[:4]))

def show_landmarks(image, landmarks):
    """Show image with landmarks"""
    plt.imshow(image)
    plt.scatter(landmarks[:, 0], landmarks[:, 1], s=10, marker='.', c='r')
    plt.pause(0.001)  # pause a bit so that plots are updated

plt.figure()
show_landmarks(io.imread(os.path.join('faces/', img_name)),
               landmarks)
plt.show()

class FaceLandmarksDataset(Dataset):
    """Face Landmarks dataset."""

    def __init__(self, csv_file, root_dir, transform=None):
        """
        Args:
            csv_file (string): Path to the csv file with annotations.
            root_dir (string): Directory with all the images.
            transform (callable, optional): Optional transform to be applied
                on a sample.
        """
        self.landmarks_frame = pd.read_csv(csv_file)
        self.root_dir = root_dir
        self.transform = transform

    def __len__(self):
        return len(self.landmarks_frame)

    def __getitem__(self, idx):
        if torch.is_tensor(idx):
            idx = idx.tolist()

        img_name = os.path.join(self.root_dir,
                                self.landmarks_frame.iloc[idx, 0])
        image = io.imread(img_name)
        landmarks = self.landmarks_frame.iloc[idx, 1:]
        landmarks = np.array([landmarks])
        landmarks = landmarks.astype('float').reshape(-1, 2)
        sample = {'image': image, 'landmarks': landmarks}

        if self.transform:
            sample = self.transform(sample)

        return sample

face_dataset = FaceLandmarksDataset(csv_file='faces/face_landmarks.csv',
                                    root_dir='faces/')

fig = plt.figure()

for i in range(len(face_dataset)):
    sample = face_dataset[i]

    print(i, sample['image'].shape, sample['landmarks'].shape)

    ax = plt.subplot(1, 4, i + 1)
    plt.tight_layout()
    ax.set_title('Sample #{}'.format(i))
    ax.axis('off')
    show_landmarks(**sample)

    if i == 3:
        plt.show()
        break

class Rescale(object):
    """Rescale the image in a sample to a given size.

    Args:
        output_size (tuple or int): Desired output size. If tuple, output is
            matched to output_size. If int, smaller of image edges is matched
            to output_size keeping aspect ratio the same.
    """

    def __init__(self, output_size):
        assert isinstance(output_size, (int, tuple))
        self.output_size = output_size

    def __call__(self, sample):
        image, landmarks = sample['image'], sample['landmarks']

        h, w = image.shape[:2]
        if isinstance(self.output_size, int):
            if h > w:
                new_h, new_w = self.output_size * h / w, self.output_size
            else:
                new_h, new_w = self.output_size, self.output_size * w / h
        else:
            new_h, new_w = self.output_size

        new_h, new_w = int(new_h), int(new_w)

        img = transform.resize(image, (new_h, new_w))

        # h and w are swapped for landmarks because for images,
        # x and y axes are axis 1 and 0 respectively
        landmarks = landmarks * [new_w / w, new_h / h]

        return {'image': img, 'landmarks': landmarks}


class RandomCrop(object):
    """Crop randomly the image in a sample.

    Args:
        output_size (tuple or int): Desired output size. If int, square crop
            is made.
    """

    def __init__(self, output_size):
        assert isinstance(output_size, (int, tuple))
        if isinstance(output_size, int):
            self.output_size = (output_size, output_size)
        else:
            assert len(output_size) == 2
            self.output_size = output_size

    def __call__(self, sample):
        image, landmarks = sample['image'], sample['landmarks']

        h, w = image.shape[:2]
        new_h, new_w = self.output_size

        top = np.random.randint(0, h - new_h)
        left = np.random.randint(0, w - new_w)

        image = image[top: top + new_h,
                      left: left + new_w]

        landmarks = landmarks - [left, top]

        return {'image': image, 'landmarks': landmarks}


class ToTensor(object):
    """Convert ndarrays in sample to Tensors."""

    def __call__(self, sample):
        image, landmarks = sample['image'], sample['landmarks']

        # swap color axis because
        # numpy image: H x W x C
        # torch image: C X H X W
        image = image.transpose((2, 0, 1))
        return {'image': torch.from_numpy(image),
                'landmarks': torch.from_numpy(landmarks)}

scale = Rescale(256)
crop = RandomCrop(128)
composed = transforms.Compose([Rescale(256),
                               RandomCrop(224)])

# Apply each of the above transforms on sample.
fig = plt.figure()
sample = face_dataset[65]
for i, tsfrm in enumerate([scale, crop, composed]):
    transformed_sample = tsfrm(sample)

    ax = plt.subplot(1, 3, i + 1)
    plt.tight_layout()
    ax.set_title(type(tsfrm).__name__)
    show_landmarks(**transformed_sample)

plt.show()

transformed_dataset = FaceLandmarksDataset(csv_file='faces/face_landmarks.csv',
                                           root_dir='faces/',
                                           transform=transforms.Compose([
                                               Rescale(256),
                                               RandomCrop(224),
                                               ToTensor()
                                           ]))

for i in range(len(transformed_dataset)):
    sample = transformed_dataset[i]

    print(i, sample['image'].size(), sample['landmarks'].size())

    if i == 3:
        break

dataloader = DataLoader(transformed_dataset, batch_size=4,
                        shuffle=True, num_workers=4)


# Helper function to show a batch
def show_landmarks_batch(sample_batched):
    """Show image with landmarks for a batch of samples."""
    images_batch, landmarks_batch = \\
            sample_batched['image'], sample_batched['landmarks']
    batch_size = len(images_batch)
    im_size = images_batch.size(2)

    grid = utils.make_grid(images_batch)
    plt.imshow(grid.numpy().transpose((1, 2, 0)))

    for i in range(batch_size):
        plt.scatter(landmarks_batch[i, :, 0].numpy() + i * im_size,
                    landmarks_batch[i, :, 1].numpy(),
                    s=10, marker='.', c='r')

        plt.title('Batch from dataloader')

for i_batch, sample_batched in enumerate(dataloader):
    print(i_batch, sample_batched['image'].size(),
          sample_batched['landmarks'].size())

    # observe 4th batch and stop.
    if i_batch == 3:
        plt.figure()
        show_landmarks_batch(sample_batched)
        plt.axis('off')
        plt.ioff()
        plt.show()
        break
'''

TENSORBOARD = '''
import torch
from torch.utils.tensorboard import SummaryWriter
writer = SummaryWriter()

x = torch.arange(-5, 5, 0.1).view(-1, 1)
y = -5 * x + 0.1 * torch.randn(x.size())

model = torch.nn.Linear(1, 1)
criterion = torch.nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr = 0.1)

def train_model(iter):
    for epoch in range(iter):
        y1 = model(x)
        loss = criterion(y1, y)
        writer.add_scalar("Loss/train", loss, epoch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

train_model(10)
writer.flush()

writer.close()
'''


class _Frame:
    """The part of a pandas DataFrame the recipe uses: len() and .iloc[row, col or slice]."""

    def __init__(self, rows):
        self.rows = rows
        self.iloc = self

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, rc):
        cell = self.rows[rc[0]][rc[1]]
        return np.array(cell, dtype=object) if isinstance(rc[1], slice) else cell


def _read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))[1:]
    return _Frame([[r[0]] + [int(v) for v in r[1:]] for r in rows])


def _imread(path):
    from PIL import Image

    return np.asarray(Image.open(path))


def _resize(image, output_shape):
    """skimage.transform.resize for uint8 images: bilinear, floats in [0, 1]."""
    from PIL import Image

    h, w = output_shape
    out = Image.fromarray(np.asarray(image)).resize((w, h), Image.BILINEAR)
    return np.asarray(out, dtype=np.float64) / 255.0


@pytest.fixture
def face_libs(monkeypatch):
    """pandas and scikit-image, or stand-ins for what the recipe calls."""
    try:
        import pandas  # noqa: F401
    except ImportError:
        monkeypatch.setitem(sys.modules, "pandas", types.SimpleNamespace(read_csv=_read_csv))
    try:
        import skimage  # noqa: F401
    except ImportError:
        io = types.SimpleNamespace(imread=_imread)
        transform = types.SimpleNamespace(resize=_resize)
        monkeypatch.setitem(sys.modules, "skimage",
                            types.SimpleNamespace(io=io, transform=transform))


def _write_faces(root, n=66):
    from PIL import Image

    rng = np.random.default_rng(0)
    (root / "faces").mkdir()
    rows = []
    for i in range(n):
        h, w = int(rng.integers(130, 160)), int(rng.integers(130, 160))  # > the 128 crop
        name = f"face{i:02d}.png"
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(
            root / "faces" / name)
        pts = np.stack([rng.integers(0, w, 68), rng.integers(0, h, 68)], 1)
        rows.append([name] + pts.reshape(-1).tolist())
    with open(root / "faces" / "face_landmarks.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["image_name"] + [f"part_{k}_{c}" for k in range(68) for c in "xy"])
        out.writerows(rows)
    return rows


def test_custom_dataset_transforms_loader(in_tmp, face_libs):
    plt = pytest.importorskip("matplotlib.pyplot")
    rows = _write_faces(in_tmp)
    with warnings.catch_warnings():  # the recipe silences all warnings: keep that local
        ns, out = run(FACES)
    plt.close("all")
    first4 = np.array(rows[65][1:9], float).reshape(-1, 2)
    head = f"Image name: face65.png\nLandmarks shape: (68, 2)\nFirst 4 Landmarks: {first4}\n"
    out = normalise(out)
    assert out.startswith(head)
    lines = out[len(head):].splitlines()
    assert lines[0:4] == [f"{i} {ns['face_dataset'][i]['image'].shape} (68, 2)"
                          for i in range(4)]
    assert lines[4:8] == [f"{i} torch.Size([3, 224, 224]) torch.Size([68, 2])"
                           for i in range(4)]
    assert lines[8:] == [f"{i} torch.Size([4, 3, 224, 224]) torch.Size([4, 68, 2])"
                          for i in range(4)]
    # the transforms moved the landmarks with the image
    sample = ns["face_dataset"][65]
    h, w = sample["image"].shape[:2]
    scaled = ns["scale"](sample)
    assert min(scaled["image"].shape[:2]) == 256
    np.testing.assert_allclose(scaled["landmarks"], sample["landmarks"] * [
        scaled["image"].shape[1] / w, scaled["image"].shape[0] / h])
    t = ns["ToTensor"]()(scaled)
    assert t["image"].dtype == ns["torch"].float64 and tuple(t["image"].shape)[0] == 3
    np.testing.assert_array_equal(t["image"].numpy(), scaled["image"].transpose(2, 0, 1))
    # the batch grid: 4 images of 224 with 2-pixel padding, in one row
    batch = ns["sample_batched"]
    grid = ns["utils"].make_grid(batch["image"])
    assert tuple(grid.shape) == (3, 228, 4 * 226 + 2)
    np.testing.assert_array_equal(grid[:, 2:226, 2:226].numpy(), batch["image"][0].numpy())


def _scalars(logdir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(logdir))
    acc.Reload()
    return acc.Scalars("Loss/train")


def test_tensorboard_with_pytorch(in_tmp):
    pytest.importorskip("tensorboard")
    import ember as torch

    torch.manual_seed(0)
    run(TENSORBOARD)
    runs = list((in_tmp / "runs").iterdir())
    assert len(runs) == 1  # ./runs/<date>_<host>/ by default, as in PyTorch
    events = _scalars(runs[0])
    assert [e.step for e in events] == list(range(10))
    # the logged values are the training losses: replay the recipe from the same seed
    torch.manual_seed(0)
    x = torch.arange(-5, 5, 0.1).view(-1, 1)
    y = -5 * x + 0.1 * torch.randn(x.size())
    model = torch.nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(10):
        loss = torch.nn.MSELoss()(model(x), y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    np.testing.assert_allclose([e.value for e in events], losses, rtol=1e-6)
