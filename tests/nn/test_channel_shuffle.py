"""nn.ChannelShuffle / F.channel_shuffle (ShuffleNet) against PyTorch."""
import numpy as np
import pytest
from helpers import check_grad, check_parity

X = np.arange(2 * 6 * 3 * 2, dtype=np.float64).reshape(2, 6, 3, 2)


@pytest.mark.parametrize("groups, shape", [(2, (2, 6, 3, 2)), (3, (2, 6, 3, 2)), (6, (2, 6, 3, 2)),
                                           (1, (2, 6, 3, 2)), (2, (1, 4, 5)), (2, (2, 4, 1, 2, 2))])
def test_channel_shuffle_parity(groups, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    check_parity(lambda m, t: m.nn.functional.channel_shuffle(t, groups), x, grad=True)
    check_parity(lambda m, t: m.nn.ChannelShuffle(groups)(t), x)


def test_channel_shuffle_grad():
    check_grad(lambda t: __import__("ember").nn.functional.channel_shuffle(t, 3), X)


@pytest.mark.parametrize("fn", [lambda m: m.nn.ChannelShuffle(4)(m.ones(1, 6, 2)),
                                lambda m: m.nn.functional.channel_shuffle(m.ones(1, 4), 2),
                                lambda m: m.nn.functional.channel_shuffle(m.ones(1, 4, 2), 0)])
def test_channel_shuffle_errors_match_pytorch(fn):
    torch = pytest.importorskip("torch")
    import ember

    with pytest.raises(RuntimeError) as theirs:
        fn(torch)
    with pytest.raises(RuntimeError) as ours:
        fn(ember)
    assert str(ours.value) == str(theirs.value).replace("torch.Size", "")


def test_channel_shuffle_repr():
    import ember

    assert repr(ember.nn.ChannelShuffle(2)) == "ChannelShuffle(groups=2)"
