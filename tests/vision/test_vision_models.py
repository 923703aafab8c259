import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.vision import models


@pytest.fixture
def small_linear(monkeypatch):
    """VGG/AlexNet classifiers hold ~100M weights; names, not sizes, are under test here."""
    real = nn.Linear

    class Tiny(real):
        def __init__(self, in_features, out_features, bias=True, **kw):
            super().__init__(min(in_features, 8), min(out_features, 8), bias)

    monkeypatch.setattr(nn, "Linear", Tiny)
    yield


# parameter counts and state-dict sizes of torchvision's builders (num_params in its metadata)
@pytest.mark.parametrize("name, n_params, n_keys", [
    ("resnet18", 11689512, 122),
    ("resnet34", 21797672, 218),
    ("resnet50", 25557032, 320),
    ("mobilenet_v2", 3504872, 314),
])
def test_param_counts_and_state_dict_sizes(name, n_params, n_keys):
    m = models.get_model(name)
    assert sum(p.numel() for p in m.parameters()) == n_params
    assert len(m.state_dict()) == n_keys


@pytest.mark.parametrize("name, keys", [
    ("resnet18", ["conv1.weight", "bn1.running_mean", "bn1.num_batches_tracked",
                  "layer1.0.conv1.weight", "layer1.1.bn2.bias", "layer2.0.downsample.0.weight",
                  "layer2.0.downsample.1.running_var", "layer4.1.conv2.weight", "fc.weight",
                  "fc.bias"]),
    ("resnet50", ["layer1.0.conv3.weight", "layer1.0.bn3.weight", "layer1.0.downsample.0.weight",
                  "layer3.5.conv2.weight", "layer4.2.bn3.running_mean"]),
    ("mobilenet_v2", ["features.0.0.weight", "features.0.1.running_mean",
                      "features.1.conv.0.0.weight", "features.1.conv.1.weight",
                      "features.1.conv.2.running_var", "features.2.conv.0.0.weight",
                      "features.2.conv.1.0.weight", "features.2.conv.2.weight",
                      "features.2.conv.3.bias", "features.17.conv.3.weight",
                      "features.18.0.weight", "features.18.1.bias", "classifier.1.weight"]),
])
def test_state_dict_keys_match_torchvision(name, keys):
    sd = models.get_model(name).state_dict()
    for k in keys:
        assert k in sd, k


@pytest.mark.parametrize("name, n_keys, keys", [
    ("vgg11", 22, ["features.0.weight", "features.18.bias", "classifier.0.weight",
                   "classifier.3.weight", "classifier.6.bias"]),
    ("vgg11_bn", 62, ["features.1.running_mean", "features.25.weight", "features.26.bias"]),
    ("vgg13", 26, ["features.22.weight", "classifier.6.weight"]),
    ("vgg16", 32, ["features.28.weight", "classifier.6.weight"]),
    ("vgg19", 38, ["features.0.weight", "features.34.weight", "features.34.bias",
                   "classifier.6.weight"]),
    ("vgg19_bn", 118, ["features.49.weight", "features.50.running_var"]),
    ("vgg16_bn", 97, ["features.40.weight", "features.41.running_var",
                      "features.41.num_batches_tracked"]),
    ("alexnet", 16, ["features.0.weight", "features.3.weight", "features.10.bias",
                     "classifier.1.weight", "classifier.4.weight", "classifier.6.bias"]),
])
def test_vgg_alexnet_keys(small_linear, name, n_keys, keys):
    sd = models.get_model(name).state_dict()
    assert len(sd) == n_keys
    for k in keys:
        assert k in sd, k


@pytest.mark.parametrize("cfg, bn, weights", [
    ("A", False, "VGG11_Weights"), ("A", True, "VGG11_BN_Weights"),
    ("B", False, "VGG13_Weights"), ("B", True, "VGG13_BN_Weights"),
    ("D", False, "VGG16_Weights"), ("D", True, "VGG16_BN_Weights"),
    ("E", False, "VGG19_Weights"), ("E", True, "VGG19_BN_Weights"),
])
def test_vgg_features_param_counts(cfg, bn, weights):
    from ember.vision.models.vgg import cfgs, make_layers

    n = sum(p.numel() for p in make_layers(cfgs[cfg], bn).parameters())
    classifier = 25088 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000
    assert n + classifier == getattr(models, weights).DEFAULT.meta["num_params"]


def test_vgg19_features_layout(small_linear):
    feats = models.vgg19(weights=None).features
    convs = [i for i, m in enumerate(feats) if isinstance(m, nn.Conv2d)]
    pools = [i for i, m in enumerate(feats) if isinstance(m, nn.MaxPool2d)]
    assert len(feats) == 37 and len(convs) == 16 and pools == [4, 9, 18, 27, 36]
    assert models.VGG19_Weights.DEFAULT.url.endswith("vgg19-dcbb9e9d.pth")
    assert feats(ember.rand(1, 3, 32, 32)).shape == (1, 512, 1, 1)


def test_forward_backward_shapes():
    m = models.resnet18(num_classes=7)
    m.eval()
    assert tuple(m(ember.randn(2, 3, 32, 32)).shape) == (2, 7)
    mb = models.mobilenet_v2(num_classes=5, width_mult=0.5)
    out = mb(ember.randn(2, 3, 32, 32))
    out.sum().backward()
    assert tuple(out.shape) == (2, 5) and mb.features[0][0].weight.grad is not None


def test_weights_enums():
    w = models.ResNet18_Weights.DEFAULT
    assert w is models.ResNet18_Weights.IMAGENET1K_V1
    assert w.url.endswith("resnet18-f37072fd.pth")
    assert models.ResNet50_Weights.DEFAULT is models.ResNet50_Weights.IMAGENET1K_V2
    assert models.ResNet18_Weights.verify("IMAGENET1K_V1") is w
    assert models.MobileNet_V2_Weights.verify("MobileNet_V2_Weights.DEFAULT").url.endswith(
        "7ebf99e0.pth")
    with pytest.raises(ValueError, match="Failed to find Weights"):
        models.ResNet18_Weights.verify("nope")
    with pytest.raises(TypeError, match="ResNet18_Weights"):
        models.resnet18(weights=models.ResNet34_Weights.DEFAULT)
    with pytest.raises(ValueError, match="num_classes"):
        models.resnet18(weights=w, num_classes=10)
    preset = w.transforms()
    Image = pytest.importorskip("PIL.Image")
    x = preset(Image.new("RGB", (300, 260)))
    assert tuple(x.shape) == (3, 224, 224)


def test_pretrained_weights_load_from_torch_checkpoint(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    ember.manual_seed(1)
    src = models.resnet18()
    ckpt = tmp_path / "hub" / "checkpoints"
    ckpt.mkdir(parents=True)
    # a checkpoint written by real PyTorch, as torchvision's download would be
    torch.save({k: torch.from_numpy(v.numpy().copy()) for k, v in src.state_dict().items()},
               ckpt / "resnet18-f37072fd.pth")
    m = models.resnet18(weights=models.ResNet18_Weights.IMAGENET1K_V1)
    for (k, a), b in zip(src.state_dict().items(), m.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)


def test_pretrained_missing_offline_is_clear(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    import ember.vision.models._api as api

    def offline(*a, **k):
        raise OSError("network unreachable")

    monkeypatch.setattr("ember.vision.datasets.utils.download_url", offline)
    with pytest.raises(RuntimeError, match="mobilenet_v2-7ebf99e0.pth.*could not be downloaded"):
        models.mobilenet_v2(weights="DEFAULT")
    assert api.get_dir().startswith(str(tmp_path))


def _warned(fn):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = fn()
    return out, [str(w.message) for w in rec]


_LEGACY = ("Arguments other than a weight enum or `None` for 'weights' are deprecated since "
           "0.13 and may be removed in the future. The current behavior is equivalent to "
           "passing `weights={}`.")
_PRETRAINED = ("The parameter 'pretrained' is deprecated since 0.13 and may be removed in the "
               "future, please use 'weights' instead.")


def test_legacy_pretrained_argument(monkeypatch):
    # the pre-0.13 spelling of older tutorials: models.vgg19(pretrained=True).features
    m, msgs = _warned(lambda: models.resnet18(pretrained=False))
    assert isinstance(m, models.ResNet) and msgs == [_PRETRAINED, _LEGACY.format("None")]
    m, msgs = _warned(lambda: models.resnet18(weights=False, num_classes=3))
    assert m.fc.out_features == 3 and msgs == [_LEGACY.format("None")]
    m, msgs = _warned(lambda: models.resnet18(False, True))
    assert msgs[0] == ("Using 'weights' and 'progress' as positional parameter(s) is deprecated "
                       "since 0.13 and may be removed in the future. Please use keyword "
                       "parameter(s) instead.") and msgs[1:] == [_LEGACY.format("None")]
    from ember.vision.models import resnet

    monkeypatch.setattr(resnet, "_load", lambda model, weights, progress: weights)
    w, msgs = _warned(lambda: models.resnet50(pretrained=True))
    assert w is models.ResNet50_Weights.IMAGENET1K_V1  # V1, not DEFAULT (V2)
    assert msgs == [_PRETRAINED, _LEGACY.format("ResNet50_Weights.IMAGENET1K_V1") +
                    " You can also use `weights=ResNet50_Weights.DEFAULT` to get the most "
                    "up-to-date weights."]
    _, msgs = _warned(lambda: models.resnet18(weights="DEFAULT"))
    assert msgs == []
    with pytest.raises(TypeError, match="positional"):
        models.resnet18(None, True, 3)
    with pytest.raises(ValueError, match="No weights available for model efficientnet_b1"):
        models.efficientnet_b1(pretrained=True)


@pytest.mark.parametrize("name", models.list_models())
def test_every_builder_takes_pretrained(small_linear, name):
    _, msgs = _warned(lambda: models.get_model(name, pretrained=False))
    assert msgs == [_PRETRAINED, _LEGACY.format("None")]
