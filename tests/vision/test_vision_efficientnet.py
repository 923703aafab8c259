"""EfficientNet B0-B7 (ember.vision.models.efficientnet), the torchvision.ops layers it is built
from (StochasticDepth, SqueezeExcitation) and the ImageClassification preset of its weights."""
import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.vision import models, ops
from ember.vision.transforms._presets import ImageClassification


# torchvision's num_params metadata for each builder, and its state_dict sizes
@pytest.mark.parametrize("i, n_params", [(0, 5288548), (1, 7794184), (2, 9109994),
                                         (3, 12233232), (5, 30389784)])
def test_param_counts_match_torchvision(i, n_params):
    m = getattr(models, f"efficientnet_b{i}")()
    assert sum(p.numel() for p in m.parameters()) == n_params
    bn = m.features[0][1]
    assert (bn.eps, bn.momentum) == ((0.001, 0.01) if i >= 5 else (1e-5, 0.1))


# key -> shape in torchvision's efficientnet_b0 checkpoint
B0_KEYS = {
    "features.0.0.weight": (32, 3, 3, 3), "features.0.1.running_var": (32,),
    "features.1.0.block.0.0.weight": (32, 1, 3, 3),          # depthwise (expand ratio 1)
    "features.1.0.block.1.fc1.weight": (8, 32, 1, 1), "features.1.0.block.1.fc2.bias": (32,),
    "features.1.0.block.2.0.weight": (16, 32, 1, 1), "features.1.0.block.2.1.weight": (16,),
    "features.2.0.block.0.0.weight": (96, 16, 1, 1),         # expand
    "features.2.0.block.1.0.weight": (96, 1, 3, 3),
    "features.2.1.block.3.0.weight": (24, 144, 1, 1),
    "features.3.0.block.1.0.weight": (144, 1, 5, 5), "features.6.3.block.3.1.running_mean": (192,),
    "features.7.0.block.2.fc1.weight": (48, 1152, 1, 1), "features.8.0.weight": (1280, 320, 1, 1),
    "features.8.1.num_batches_tracked": (), "classifier.1.weight": (1000, 1280),
    "classifier.1.bias": (1000,),
}


def test_b0_state_dict_layout_matches_torchvision():
    sd = models.efficientnet_b0().state_dict()
    assert len(sd) == 360
    for k, shape in B0_KEYS.items():
        assert tuple(sd[k].shape) == shape, k
    assert [len(s) for s in models.efficientnet_b0().features[1:8]] == [1, 2, 2, 3, 3, 4, 1]
    assert sd["features.8.1.num_batches_tracked"].dtype == ember.int64


def test_b0_modules_repr_and_stochastic_depth_schedule():
    m = models.efficientnet_b0()
    assert repr(m.classifier) == (
        "Sequential(\n  (0): Dropout(p=0.2, inplace=True)\n"
        "  (1): Linear(in_features=1280, out_features=1000, bias=True)\n)")
    probs = [b.stochastic_depth.p for stage in m.features[1:8] for b in stage]
    np.testing.assert_allclose(probs, [0.2 * i / 16 for i in range(16)])
    assert repr(m.features[2][0].stochastic_depth) == "StochasticDepth(p=0.0125, mode=row)"
    assert isinstance(m.features[0][2], nn.SiLU) and isinstance(m.avgpool, nn.AdaptiveAvgPool2d)


def test_forward_shapes_train_and_eval_and_frozen_features():
    ember.manual_seed(0)
    m = models.efficientnet_b0(num_classes=3)
    x = ember.randn(2, 3, 64, 64)
    m.eval()
    with ember.inference_mode():
        y = m(x)
    assert y.shape == (2, 3)
    with ember.no_grad():
        np.testing.assert_allclose(m(x).numpy(), y.numpy(), rtol=1e-5, atol=1e-6)  # eval: no noise
    for p in m.features.parameters():
        p.requires_grad = False
    m.train()
    m(x).sum().backward()
    assert m.classifier[1].weight.grad is not None
    assert all(p.grad is None for p in m.features.parameters())


def test_pretrained_weights_enum_and_errors():
    w = models.EfficientNet_B0_Weights.DEFAULT
    assert w is models.EfficientNet_B0_Weights.IMAGENET1K_V1
    assert w.url.endswith("efficientnet_b0_rwightman-7f5810bc.pth")
    assert w.meta["num_params"] == 5288548
    assert repr(w.transforms()) == (
        "ImageClassification(\n    crop_size=[224]\n    resize_size=[256]\n"
        "    mean=[0.485, 0.456, 0.406]\n    std=[0.229, 0.224, 0.225]\n"
        "    interpolation=InterpolationMode.BICUBIC\n)")
    assert models.EfficientNet_B2_Weights.DEFAULT.transforms().crop_size == [288]
    with pytest.raises(ValueError, match="num_classes"):
        models.efficientnet_b0(weights=w, num_classes=3)
    with pytest.raises(ValueError, match="no pretrained weights for efficientnet_b3"):
        models.efficientnet_b3(weights="DEFAULT")
    assert "efficientnet_b0" in models.list_models()
    assert models.get_model("efficientnet_b0", num_classes=5).classifier[1].out_features == 5


def test_image_classification_preset_on_pil_and_tensors():
    Image = pytest.importorskip("PIL.Image")
    preset = ImageClassification(crop_size=224, resize_size=256)
    x = preset(Image.new("RGB", (300, 260), (255, 0, 0)))
    assert x.shape == (3, 224, 224) and x.dtype == ember.float32
    np.testing.assert_allclose(x[:, 0, 0].numpy(), [(1 - 0.485) / 0.229, -0.456 / 0.224,
                                                    -0.406 / 0.225], rtol=1e-5)
    t = preset(ember.full((2, 3, 260, 300), 255, dtype=ember.uint8))
    assert t.shape == (2, 3, 224, 224)
    np.testing.assert_allclose(t[0, :, 5, 5].numpy(), (1 - np.array([0.485, 0.456, 0.406]))
                               / np.array([0.229, 0.224, 0.225]), rtol=1e-5)


def test_stochastic_depth():
    ember.manual_seed(0)
    x = ember.ones(4000, 3)
    y = ops.stochastic_depth(x, 0.25, "row")
    dropped = (y[:, 0] == 0).float().mean().item()
    assert 0.22 < dropped < 0.28
    rows = y.numpy()
    assert np.all((rows == 0).all(1) | np.isclose(rows, 1 / 0.75).all(1))  # whole rows
    b = ops.stochastic_depth(x, 0.5, "batch").numpy()
    assert np.all(b == 0) or np.allclose(b, 2.0)
    assert ops.stochastic_depth(x, 0.9, "row", training=False) is x
    assert ops.stochastic_depth(x, 0.0, "row") is x
    assert (ops.stochastic_depth(x, 1.0, "row") == 0).all()
    with pytest.raises(ValueError, match="drop probability has to be between 0 and 1"):
        ops.stochastic_depth(x, 1.5, "row")
    with pytest.raises(ValueError, match="mode has to be either 'batch' or 'row'"):
        ops.stochastic_depth(x, 0.5, "col")
    sd = ops.StochasticDepth(0.5, "row").eval()
    assert sd(x) is x


def test_mbconv_block_matches_torch_composition():
    """One MBConv (expand 6, 3x3, SE, residual) against the same layers built from torch.nn."""
    torch = pytest.importorskip("torch")
    ember.manual_seed(0)
    cnf = models.efficientnet.MBConvConfig(6, 3, 1, 16, 16, 1)
    block = models.efficientnet.MBConv(cnf, 0.0, nn.BatchNorm2d)
    block.train()
    tn = torch.nn
    ref = tn.ModuleDict({
        "expand": tn.Sequential(tn.Conv2d(16, 96, 1, bias=False), tn.BatchNorm2d(96), tn.SiLU()),
        "dw": tn.Sequential(tn.Conv2d(96, 96, 3, padding=1, groups=96, bias=False),
                            tn.BatchNorm2d(96), tn.SiLU()),
        "fc1": tn.Conv2d(96, 4, 1), "fc2": tn.Conv2d(4, 96, 1),
        "project": tn.Sequential(tn.Conv2d(96, 16, 1, bias=False), tn.BatchNorm2d(16)),
    })
    sd = {k: torch.from_numpy(v.numpy().copy()) for k, v in block.state_dict().items()}
    names = {"expand": "block.0", "dw": "block.1", "fc1": "block.2.fc1", "fc2": "block.2.fc2",
             "project": "block.3"}
    ref.load_state_dict({k: sd[f"{names[k.split('.')[0]]}.{k.split('.', 1)[1]}"]
                         for k in ref.state_dict()})
    xa = np.random.default_rng(0).standard_normal((2, 16, 9, 9)).astype(np.float32)
    x_t = torch.tensor(xa, requires_grad=True)
    h = ref["dw"](ref["expand"](x_t))
    s = torch.sigmoid(ref["fc2"](torch.nn.functional.silu(ref["fc1"](h.mean((2, 3), True)))))
    want = ref["project"](h * s) + x_t
    x_e = ember.tensor(xa, requires_grad=True)
    got = block(x_e)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-4, atol=1e-5)
    got.pow(2).sum().backward()
    want.pow(2).sum().backward()
    np.testing.assert_allclose(x_e.grad.numpy(), x_t.grad.numpy(), rtol=1e-3, atol=1e-4)
