import numpy as np
import pytest

import ember
from ember.vision import io, utils

pytest.importorskip("PIL")
from PIL import Image  # noqa: E402


def _u8(c=3, h=5, w=7, seed=0):
    return ember.from_numpy(np.random.default_rng(seed).integers(0, 256, (c, h, w),
                                                                 dtype=np.uint8))


@pytest.mark.parametrize("c", [1, 3, 4])
def test_png_round_trip_is_lossless(tmp_path, c):
    img = _u8(c)
    io.write_png(img, tmp_path / "a.png")
    back = io.read_image(tmp_path / "a.png")
    assert back.dtype == ember.uint8 and tuple(back.shape) == (c, 5, 7)
    np.testing.assert_array_equal(back.numpy(), img.numpy())


def test_jpeg_round_trip_is_close(tmp_path):
    smooth = np.tile(np.linspace(0, 255, 16, dtype=np.uint8), (3, 16, 1))
    io.write_jpeg(ember.from_numpy(smooth), str(tmp_path / "a.jpg"), quality=95)
    back = io.read_image(str(tmp_path / "a.jpg"))
    assert tuple(back.shape) == (3, 16, 16)
    assert np.abs(back.numpy().astype(int) - smooth).mean() < 4


def test_read_modes_and_decode_from_bytes(tmp_path):
    Image.fromarray(_u8().numpy().transpose(1, 2, 0)).save(tmp_path / "x.png")
    data = io.read_file(tmp_path / "x.png")
    assert data.dtype == ember.uint8 and data.ndim == 1
    assert tuple(io.decode_image(data).shape) == (3, 5, 7)
    assert tuple(io.read_image(tmp_path / "x.png", io.ImageReadMode.GRAY).shape) == (1, 5, 7)
    assert tuple(io.read_image(tmp_path / "x.png", io.ImageReadMode.RGB_ALPHA).shape) == (4, 5, 7)


def test_io_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.png"):
        io.read_image(tmp_path / "nope.png")
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(RuntimeError, match="bad.png"):
        io.read_image(tmp_path / "bad.png")
    with pytest.raises(RuntimeError, match="uint8"):
        io.write_png(ember.zeros(3, 2, 2), tmp_path / "f.png")
    with pytest.raises(RuntimeError, match="channels"):
        io.write_jpeg(_u8(4), tmp_path / "f.jpg")
    with pytest.raises(TypeError, match="Tensor"):
        io.write_png(np.zeros((3, 2, 2), np.uint8), tmp_path / "f.png")


def test_make_grid_layout_and_padding():
    batch = ember.from_numpy(np.arange(5, dtype=np.float32).reshape(5, 1, 1, 1) * np.ones(
        (5, 1, 2, 3), np.float32))
    grid = utils.make_grid(batch, nrow=2, padding=1, pad_value=9.0)
    g = grid.numpy()
    assert g.shape == (3, 3 * 3 + 1, 2 * 4 + 1)       # 3 rows x 2 cols of 2x3 + padding
    assert (g[:, 1:3, 1:4] == 0).all() and (g[:, 1:3, 5:8] == 1).all()
    assert (g[:, 7:9, 1:4] == 4).all() and (g[:, 7:9, 5:8] == 9).all()  # empty cell = pad
    assert (g[:, 0, :] == 9).all()


def test_make_grid_normalize_single_and_list():
    x = ember.from_numpy(np.array([[[-2.0, 2.0]]], np.float32))
    single = utils.make_grid(x, normalize=True)
    assert tuple(single.shape) == (3, 1, 2)
    np.testing.assert_allclose(single.numpy()[0], [[0.0, 1.0]])
    clipped = utils.make_grid(x, normalize=True, value_range=(-1.0, 1.0)).numpy()[0]
    np.testing.assert_allclose(clipped, [[0.0, 1.0]])
    lst = utils.make_grid([ember.zeros(3, 4, 4), ember.ones(3, 4, 4)], padding=0)
    assert tuple(lst.shape) == (3, 4, 8)
    with pytest.raises(TypeError):
        utils.make_grid("x")


def test_save_image_writes_grid(tmp_path):
    batch = ember.from_numpy(np.random.default_rng(0).random((4, 3, 6, 6), dtype=np.float32))
    utils.save_image(batch, tmp_path / "g.png", nrow=2, padding=0)
    img = np.asarray(Image.open(tmp_path / "g.png"))
    assert img.shape == (12, 12, 3)
    expect = np.clip(batch.numpy()[0].transpose(1, 2, 0) * 255 + 0.5, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(img[:6, :6], expect)
