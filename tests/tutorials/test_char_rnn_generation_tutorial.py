"""intermediate_source/char_rnn_generation_tutorial.py (generating names with a
character-level RNN) on ember, imports rewritten only.

``data/names/<Language>.txt`` files are generated, as in the classification tutorial's test
(language-typical endings, so there is something to learn). Deviation: 1000 training
iterations instead of 100000 (progress every 250, losses every 100; 400 in the comparison).

The network trains with dropout on, as the tutorial has it, so the PyTorch comparison runs
the same source in two exec calls, sets identical weights between them and switches dropout
off (``rnn.eval()``); training and sampling are then deterministic and compared as a whole.
"""
import random
import sys
import warnings

import numpy as np
import pytest
from _harness import mask_numbers, run


@pytest.fixture(scope="module", autouse=True)
def _single_threaded_blas():
    # NOTE: see test_dqn_tutorial: small products, so ember never makes BLAS single-threaded
    from ember._backend import threads

    threads.take_blas()
    yield
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")  # the tutorial's figures

CHAR_RNN_GENERATION = '''
from io import open
import glob
import os
import unicodedata
import string

all_letters = string.ascii_letters + " .,;'-"
n_letters = len(all_letters) + 1 # Plus EOS marker

def findFiles(path): return glob.glob(path)

# Turn a Unicode string to plain ASCII, thanks to https://stackoverflow.com/a/518232/2809427
def unicodeToAscii(s):
    return ''.join(
        c for c in unicodedata.normalize('NFD', s)
        if unicodedata.category(c) != 'Mn'
        and c in all_letters
    )

# Read a file and split into lines
def readLines(filename):
    with open(filename, encoding='utf-8') as some_file:
        return [unicodeToAscii(line.strip()) for line in some_file]

# Build the category_lines dictionary, a list of lines per category
category_lines = {}
all_categories = []
for filename in findFiles('data/names/*.txt'):
    category = os.path.splitext(os.path.basename(filename))[0]
    all_categories.append(category)
    lines = readLines(filename)
    category_lines[category] = lines

n_categories = len(all_categories)

if n_categories == 0:
    raise RuntimeError('Data not found. Make sure that you downloaded data '
        'from https://download.pytorch.org/tutorial/data.zip and extract it to '
        'the current directory.')

print('# categories:', n_categories, all_categories)
print(unicodeToAscii("O'Néàl"))

import torch
import torch.nn as nn

class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size

        self.i2h = nn.Linear(n_categories + input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(n_categories + input_size + hidden_size, output_size)
        self.o2o = nn.Linear(hidden_size + output_size, output_size)
        self.dropout = nn.Dropout(0.1)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, category, input, hidden):
        input_combined = torch.cat((category, input, hidden), 1)
        hidden = self.i2h(input_combined)
        output = self.i2o(input_combined)
        output_combined = torch.cat((hidden, output), 1)
        output = self.o2o(output_combined)
        output = self.dropout(output)
        output = self.softmax(output)
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)

import random

# Random item from a list
def randomChoice(l):
    return l[random.randint(0, len(l) - 1)]

# Get a random category and random line from that category
def randomTrainingPair():
    category = randomChoice(all_categories)
    line = randomChoice(category_lines[category])
    return category, line

# One-hot vector for category
def categoryTensor(category):
    li = all_categories.index(category)
    tensor = torch.zeros(1, n_categories)
    tensor[0][li] = 1
    return tensor

# One-hot matrix of first to last letters (not including EOS) for input
def inputTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li in range(len(line)):
        letter = line[li]
        tensor[li][0][all_letters.find(letter)] = 1
    return tensor

# ``LongTensor`` of second letter to end (EOS) for target
def targetTensor(line):
    letter_indexes = [all_letters.find(line[li]) for li in range(1, len(line))]
    letter_indexes.append(n_letters - 1) # EOS
    return torch.LongTensor(letter_indexes)

# Make category, input, and target tensors from a random category, line pair
def randomTrainingExample():
    category, line = randomTrainingPair()
    category_tensor = categoryTensor(category)
    input_line_tensor = inputTensor(line)
    target_line_tensor = targetTensor(line)
    return category_tensor, input_line_tensor, target_line_tensor

criterion = nn.NLLLoss()

learning_rate = 0.0005

def train(category_tensor, input_line_tensor, target_line_tensor):
    target_line_tensor.unsqueeze_(-1)
    hidden = rnn.initHidden()

    rnn.zero_grad()

    loss = torch.Tensor([0]) # you can also just simply use ``loss = 0``

    for i in range(input_line_tensor.size(0)):
        output, hidden = rnn(category_tensor, input_line_tensor[i], hidden)
        l = criterion(output, target_line_tensor[i])
        loss += l

    loss.backward()

    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)

    return output, loss.item() / input_line_tensor.size(0)

import time
import math

def timeSince(since):
    now = time.time()
    s = now - since
    m = math.floor(s / 60)
    s -= m * 60
    return '%dm %ds' % (m, s)

rnn = RNN(n_letters, 128, n_letters)

n_iters = 100000
print_every = 5000
plot_every = 500
all_losses = []
total_loss = 0 # Reset every ``plot_every`` ``iters``

start = time.time()

for iter in range(1, n_iters + 1):
    output, loss = train(*randomTrainingExample())
    total_loss += loss

    if iter % print_every == 0:
        print('%s (%d %d%%) %.4f' % (timeSince(start), iter, iter / n_iters * 100, loss))

    if iter % plot_every == 0:
        all_losses.append(total_loss / plot_every)
        total_loss = 0

import matplotlib.pyplot as plt

plt.figure()
plt.plot(all_losses)

max_length = 20

# Sample from a category and starting letter
def sample(category, start_letter='A'):
    with torch.no_grad():  # no need to track history in sampling
        category_tensor = categoryTensor(category)
        input = inputTensor(start_letter)
        hidden = rnn.initHidden()

        output_name = start_letter

        for i in range(max_length):
            output, hidden = rnn(category_tensor, input[0], hidden)
            topv, topi = output.topk(1)
            topi = topi[0][0]
            if topi == n_letters - 1:
                break
            else:
                letter = all_letters[topi]
                output_name += letter
            input = inputTensor(letter)

        return output_name

# Get multiple samples from one category and multiple starting letters
def samples(category, start_letters='ABC'):
    for start_letter in start_letters:
        print(sample(category, start_letter))

samples('Russian', 'RUS')

samples('German', 'GER')

samples('Spanish', 'SPA')

samples('Chinese', 'CHI')
'''

ITERS = 1000
ENDINGS = {"Russian": ["ov", "sky", "enko"], "German": ["mann", "berg", "er"],
           "Spanish": ["ez", "ado", "ero"], "Chinese": ["ang", "ong", "ui"]}


def _source(iters=ITERS):
    return (CHAR_RNN_GENERATION.replace("n_iters = 100000", f"n_iters = {iters}")
            .replace("print_every = 5000", "print_every = 250")
            .replace("plot_every = 500", "plot_every = 100"))


def _make_names(root):
    rng = random.Random(0)
    d = root / "data" / "names"
    d.mkdir(parents=True)
    for lang, ends in ENDINGS.items():
        names = {"".join(rng.choice("bcdfghklmnprstz") + rng.choice("aeiou")
                         for _ in range(rng.randint(1, 2))).capitalize() + rng.choice(ends)
                 for _ in range(40)}
        (d / f"{lang}.txt").write_text("\n".join(sorted(names)) + "\n", encoding="utf-8")


@pytest.fixture
def names(in_tmp):
    pytest.importorskip("matplotlib")
    _make_names(in_tmp)
    return in_tmp


def _samples(out):
    return out.splitlines()[-12:]


def test_char_rnn_generation_runs_on_ember(names):
    import ember

    random.seed(0)
    ember.manual_seed(0)
    ns, out = run(_source())
    head = out.splitlines()[:2]
    assert head[0].startswith("# categories: 4 [") and head[1] == "O'Neal"
    assert sorted(ns["all_categories"]) == sorted(ENDINGS)
    progress = out.splitlines()[2:6]
    assert [ln.split()[2:4] for ln in progress] == [["(250", "25%)"], ["(500", "50%)"],
                                                    ["(750", "75%)"], ["(1000", "100%)"]]
    losses = ns["all_losses"]
    assert len(losses) == 10 and losses[-1] < losses[0] - 0.5
    names_out = _samples(out)
    assert [n[0] for n in names_out] == list("RUSGERSPACHI")
    assert all(1 <= len(n) <= 21 and set(n) <= set(ns["all_letters"]) for n in names_out)
    # the tutorial's tensors
    c, x, t = ns["randomTrainingExample"]()
    n = x.shape[0]
    assert c.shape == (1, 4) and c.sum().item() == 1.0 and x.shape == (n, 1, 59)
    assert t.dtype is ember.int64 and t.shape == (n,) and t[-1].item() == 58
    assert x.sum(2).flatten().tolist() == [1.0] * n
    _, loss = ns["train"](c, x, t)
    assert t.shape == (n, 1) and 0 < loss < 10  # train() unsqueezes the target in place
    assert ns["timeSince"](0).endswith("s")


def _split_run(backend, weights):
    """The tutorial in two exec calls: up to the network, then (weights set, dropout off)
    training and sampling."""
    src = _source(400)
    cut = src.index("n_iters = ")
    ns, _ = run(src[:cut], backend)
    rnn = ns["rnn"]
    rnn.load_state_dict({k: ns["torch"].tensor(v) for k, v in weights.items()})
    rnn.eval()
    random.seed(1)
    return run(src[cut:], backend, ns)


def test_char_rnn_generation_matches_pytorch(names):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    shapes = {"i2h.weight": (128, 191), "i2h.bias": (128,), "i2o.weight": (59, 191),
              "i2o.bias": (59,), "o2o.weight": (59, 187), "o2o.bias": (59,)}
    weights = {k: rng.uniform(-0.07, 0.07, s).astype(np.float32) for k, s in shapes.items()}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        (ens, eout), (tns, tout) = _split_run("ember", weights), _split_run("torch", weights)
    finally:
        torch.set_num_threads(threads)
    assert str(ens["rnn"]) == str(tns["rnn"]) and "(dropout): Dropout(p=0.1" in str(ens["rnn"])
    assert mask_numbers(eout) == mask_numbers(tout) and len(ens["all_losses"]) == 4
    assert _samples(eout) == _samples(tout)
    np.testing.assert_allclose(ens["all_losses"], tns["all_losses"], rtol=1e-5)
    assert ens["all_losses"][-1] < ens["all_losses"][0]
    esd, tsd = ens["rnn"].state_dict(), tns["rnn"].state_dict()
    for k in esd:
        np.testing.assert_allclose(esd[k].numpy(), tsd[k].numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=k)


def test_char_rnn_generation_2017_train_matches_pytorch(names):
    """The page's first form of train(): ``loss = 0`` (the comment's alternative) and the
    deprecated ``p.data.add_(-learning_rate, p.grad.data)`` (a warning, once per process in
    both libraries: tests/_ops/test_elementwise.py checks ember's)."""
    pytest.importorskip("torch")
    src = (_source().split("n_iters = ")[0]
           .replace("loss = torch.Tensor([0])", "loss = 0")
           .replace("p.data.add_(p.grad.data, alpha=-learning_rate)",
                    "p.data.add_(-learning_rate, p.grad.data)"))
    assert "loss = 0 #" in src and "add_(-learning_rate" in src
    losses, states = {}, {}
    for backend in ("ember", "torch"):
        ns, _ = run(src, backend)
        rng = np.random.default_rng(1)
        ns["rnn"].load_state_dict({k: ns["torch"].tensor(rng.uniform(-0.07, 0.07, v.shape)
                                                         .astype(np.float32))
                                   for k, v in ns["rnn"].state_dict().items()})
        ns["rnn"].eval()
        random.seed(2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            losses[backend] = [ns["train"](*ns["randomTrainingExample"]())[1] for _ in range(30)]
        states[backend] = {k: v.numpy() for k, v in ns["rnn"].state_dict().items()}
    np.testing.assert_allclose(losses["ember"], losses["torch"], rtol=1e-5)
    assert all(isinstance(v, float) for v in losses["ember"])
    for k, v in states["ember"].items():
        np.testing.assert_allclose(v, states["torch"][k], rtol=1e-5, atol=1e-7, err_msg=k)
