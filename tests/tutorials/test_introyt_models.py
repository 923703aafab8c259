"""beginner_source/introyt/modelsyt_tutorial.py ("Building Models with PyTorch",
Introduction to PyTorch - YouTube Series) on ember, imports rewritten only (including the
tutorial's `import torch.functional as F`).

Run cell by cell on ember and on PyTorch: the model printouts are identical, the cells
printing random parameters and inputs identical up to the numbers. The layer outputs are
also compared with PyTorch's from the same weights and inputs (Linear, MaxPool2d,
BatchNorm1d, LSTMTagger), and Dropout's mask is checked for its scaling.
"""
import numpy as np
import pytest
from _harness import mask_layout, normalise, run_cells

from tests.helpers import requires_torch

TUTORIAL = '''
import torch

class TinyModel(torch.nn.Module):

    def __init__(self):
        super(TinyModel, self).__init__()

        self.linear1 = torch.nn.Linear(100, 200)
        self.activation = torch.nn.ReLU()
        self.linear2 = torch.nn.Linear(200, 10)
        self.softmax = torch.nn.Softmax()

    def forward(self, x):
        x = self.linear1(x)
        x = self.activation(x)
        x = self.linear2(x)
        x = self.softmax(x)
        return x

tinymodel = TinyModel()

print('The model:')
print(tinymodel)

print('\\n\\nJust one layer:')
print(tinymodel.linear2)

print('\\n\\nModel params:')
for param in tinymodel.parameters():
    print(param)

print('\\n\\nLayer params:')
for param in tinymodel.linear2.parameters():
    print(param)

#########################################################################
lin = torch.nn.Linear(3, 2)
x = torch.rand(1, 3)
print('Input:')
print(x)

print('\\n\\nWeight and Bias parameters:')
for param in lin.parameters():
    print(param)

y = lin(x)
print('\\n\\nOutput:')
print(y)

#########################################################################
import torch.functional as F


class LeNet(torch.nn.Module):

    def __init__(self):
        super(LeNet, self).__init__()
        # 1 input image channel (black & white), 6 output channels, 5x5 square convolution
        # kernel
        self.conv1 = torch.nn.Conv2d(1, 6, 5)
        self.conv2 = torch.nn.Conv2d(6, 16, 3)
        # an affine operation: y = Wx + b
        self.fc1 = torch.nn.Linear(16 * 6 * 6, 120)  # 6*6 from image dimension
        self.fc2 = torch.nn.Linear(120, 84)
        self.fc3 = torch.nn.Linear(84, 10)

    def forward(self, x):
        # Max pooling over a (2, 2) window
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        # If the size is a square you can only specify a single number
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, self.num_flat_features(x))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x

    def num_flat_features(self, x):
        size = x.size()[1:]  # all dimensions except the batch dimension
        num_features = 1
        for s in size:
            num_features *= s
        return num_features

#########################################################################
class LSTMTagger(torch.nn.Module):

    def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
        super(LSTMTagger, self).__init__()
        self.hidden_dim = hidden_dim

        self.word_embeddings = torch.nn.Embedding(vocab_size, embedding_dim)

        # The LSTM takes word embeddings as inputs, and outputs hidden states
        # with dimensionality hidden_dim.
        self.lstm = torch.nn.LSTM(embedding_dim, hidden_dim)

        # The linear layer that maps from hidden state space to tag space
        self.hidden2tag = torch.nn.Linear(hidden_dim, tagset_size)

    def forward(self, sentence):
        embeds = self.word_embeddings(sentence)
        lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
        tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
        tag_scores = F.log_softmax(tag_space, dim=1)
        return tag_scores

#########################################################################
my_tensor = torch.rand(1, 6, 6)
print(my_tensor)

maxpool_layer = torch.nn.MaxPool2d(3)
print(maxpool_layer(my_tensor))

#########################################################################
my_tensor = torch.rand(1, 4, 4) * 20 + 5
print(my_tensor)

print(my_tensor.mean())

norm_layer = torch.nn.BatchNorm1d(4)
normed_tensor = norm_layer(my_tensor)
print(normed_tensor)

print(normed_tensor.mean())

#########################################################################
my_tensor = torch.rand(1, 4, 4)

dropout = torch.nn.Dropout(p=0.4)
print(dropout(my_tensor))
print(dropout(my_tensor))
'''


def test_modelsyt_tutorial_runs_on_ember():
    ns, outs = run_cells(TUTORIAL)
    text = "".join(outs)
    assert "(softmax): Softmax(dim=None)" in text
    assert "Parameter containing:" in text and "requires_grad=True" in text
    assert len(list(ns["tinymodel"].parameters())) == 4
    assert ns["normed_tensor"].shape == (1, 4, 4)
    assert abs(ns["normed_tensor"].mean().item()) < 1e-5  # batch-normalised
    m = ns["my_tensor"].numpy()
    assert outs[-1].count("tensor") == 2
    # Dropout keeps each value scaled by 1 / (1 - p) or zeroes it
    kept = ns["dropout"](ns["my_tensor"]).numpy()
    assert np.all(np.isclose(kept, 0) | np.isclose(kept, m / 0.6, rtol=1e-5))


@requires_torch
def test_modelsyt_tutorial_prints_what_pytorch_prints():
    _, ours = run_cells(TUTORIAL)
    _, theirs = run_cells(TUTORIAL, "torch")
    assert len(ours) == len(theirs)
    for k, (o, t) in enumerate(zip(ours, theirs)):
        assert mask_layout(o) == mask_layout(t), f"cell {k}"
    # the model printouts carry no numbers from the generator: identical
    assert normalise(ours[0]).split("Model params")[0] == theirs[0].split("Model params")[0]


def _copy_weights(src, dst, m):
    dst.load_state_dict({k: m.from_numpy(v.detach().numpy().copy())
                         for k, v in src.state_dict().items()})


@requires_torch
def test_modelsyt_layers_compute_what_pytorch_computes():
    import torch

    import ember

    ns, _ = run_cells(TUTORIAL)
    tns, _ = run_cells(TUTORIAL, "torch")
    rng = np.random.default_rng(0)
    cases = [("lin", rng.random((1, 3), dtype=np.float32)),
             ("maxpool_layer", rng.random((1, 6, 6), dtype=np.float32)),
             ("norm_layer", rng.random((1, 4, 4), dtype=np.float32) * 20 + 5),
             ("tinymodel", rng.random((2, 100), dtype=np.float32))]
    for name, x in cases:
        if name == "tinymodel":
            continue
        _copy_weights(tns[name], ns[name], ember)
        ours = ns[name](ember.from_numpy(x)).detach().numpy()
        theirs = tns[name](torch.from_numpy(x)).detach().numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6, err_msg=name)
    name, x = cases[-1]
    _copy_weights(tns[name], ns[name], ember)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        ours = ns[name](ember.from_numpy(x)).detach().numpy()
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        theirs = tns[name](torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-7)
    # the tutorial's LSTMTagger, built and its layers run (its forward calls
    # F.log_softmax with F = torch.functional, which has none, in PyTorch as in ember)
    tagger = ns["LSTMTagger"](6, 6, 5, 3)
    ttagger = tns["LSTMTagger"](6, 6, 5, 3)
    _copy_weights(ttagger, tagger, ember)
    sentence = np.array([0, 3, 1, 4])
    emb = tagger.word_embeddings(ember.from_numpy(sentence))
    temb = ttagger.word_embeddings(torch.from_numpy(sentence))
    ours, _ = tagger.lstm(emb.view(4, 1, -1))
    theirs, _ = ttagger.lstm(temb.view(4, 1, -1))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=1e-6)
    assert not hasattr(ember.functional, "log_softmax")
