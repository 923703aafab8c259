# ruff: noqa: E501
"""Andrej Karpathy's "Neural Networks: Zero to Hero" makemore lectures (parts 1-5) on ember,
imports rewritten only.

The notebooks' code is kept as written (cells joined into scripts; Jupyter's bare expressions
printed or dropped, `%matplotlib inline` dropped, figures drawn on matplotlib's Agg backend and
closed). Deviations: `names.txt` is generated (400 made-up names, all 26 letters), loops are
shortened (part 2: 1000 steps, part 3: 200, part 4: 200, part 5: 300 with the lecture's first
hierarchical size n_embd=10, n_hidden=68) and part 5 trains on `torch.manual_seed(42)` batches.
Random streams differ between ember and PyTorch, so the two are compared by printed structure
(numbers masked, sampled names dropped) and by running PyTorch from ember's weights.
"""
import collections
import contextlib
import os
import random
import re

import numpy as np
import pytest
from _harness import mask_numbers, run


def write_names(path="names.txt", n=400, seed=0):
    """Made-up names from syllables (deterministic; every letter a-z occurs)."""
    rnd = random.Random(seed)
    onsets = ["", "b", "br", "c", "ch", "d", "el", "f", "g", "h", "j", "k", "l", "m", "n",
              "p", "qu", "r", "s", "sh", "t", "v", "w", "x", "y", "z"]
    vowels = ["a", "e", "i", "o", "u", "ia", "ae", "y", "ee"]
    codas = ["", "", "n", "l", "r", "s", "h", "x", "lyn", "ra", "na"]
    names = []
    for _ in range(n):
        name = "".join(rnd.choice(onsets) + rnd.choice(vowels) for _ in range(rnd.randint(1, 3)))
        names.append(name + rnd.choice(codas))
    with open(path, "w") as f:
        f.write("\n".join(names) + "\n")
    return names


@contextlib.contextmanager
def _cwd(path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


@pytest.fixture(scope="module")
def names_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("makemore")
    with _cwd(path):
        return path, write_names()


@pytest.fixture
def names(names_dir, monkeypatch):
    monkeypatch.chdir(names_dir[0])
    return names_dir[1]


@pytest.fixture(scope="module")
def part1(names_dir):
    """PART1 run once on ember for the tests that read it."""
    with _cwd(names_dir[0]):
        return run(PART1)


@pytest.fixture(scope="module")
def part4(names_dir):
    with _cwd(names_dir[0]):
        return run(PART4)


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """One BLAS thread (and one PyTorch thread): on a shared 2-core machine OpenBLAS's spinning
    workers otherwise make these small-matrix loops several times slower for both libraries."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        limits = None
    else:
        limits = threadpool_limits(1, user_api="blas")
    try:
        import torch as real_torch
    except ImportError:  # pragma: no cover
        real_torch = None
    n = real_torch.get_num_threads() if real_torch else None
    if real_torch:
        real_torch.set_num_threads(1)
    yield
    if real_torch:
        real_torch.set_num_threads(n)
    if limits is not None:
        limits.restore_original_limits()


def structure(text):
    """Printed output with numbers masked and sampled names (lines of a-z and '.') dropped."""
    return [ln for ln in mask_numbers(text).splitlines() if not re.fullmatch(r"[a-z.]*", ln)]


def np_of(t):
    return t.detach().numpy().copy()


def on_ember(ns):
    assert ns["torch"].__name__ == "ember"  # the rewritten imports really bound ember
    return ns


PART1 = r'''
words = open('names.txt', 'r').read().splitlines()
print(words[:10])
print(len(words))
print(min(len(w) for w in words))
print(max(len(w) for w in words))

b = {}
for w in words:
    chs = ['<S>'] + list(w) + ['<E>']
    for ch1, ch2 in zip(chs, chs[1:]):
        bigram = (ch1, ch2)
        b[bigram] = b.get(bigram, 0) + 1
print(sorted(b.items(), key=lambda kv: -kv[1])[:5])

import torch

a = torch.zeros((3, 5), dtype=torch.int32)
a[1, 3] += 1
print(a)

N = torch.zeros((27, 27), dtype=torch.int32)
chars = sorted(list(set(''.join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi['.'] = 0
itos = {i: s for s, i in stoi.items()}

for w in words:
    chs = ['.'] + list(w) + ['.']
    for ch1, ch2 in zip(chs, chs[1:]):
        ix1 = stoi[ch1]
        ix2 = stoi[ch2]
        N[ix1, ix2] += 1

import matplotlib.pyplot as plt

plt.figure(figsize=(16, 16))
plt.imshow(N, cmap='Blues')
for i in range(27):
    for j in range(27):
        chstr = itos[i] + itos[j]
        plt.text(j, i, chstr, ha="center", va="bottom", color='gray')
        plt.text(j, i, N[i, j].item(), ha="center", va="top", color='gray')
plt.axis('off')
plt.close('all')

print(N[0])
p = N[0].float()
p = p / p.sum()
print(p)

g = torch.Generator().manual_seed(2147483647)
ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
print(itos[ix])

g = torch.Generator().manual_seed(2147483647)
p = torch.rand(3, generator=g)
p = p / p.sum()
print(p)
print(torch.multinomial(p, num_samples=100, replacement=True, generator=g))

print(p.shape)
P = (N + 1).float()
P /= P.sum(1, keepdims=True)
print(P.shape, P.sum(1, keepdim=True).shape)
print(P[0].sum())

g = torch.Generator().manual_seed(2147483647)
for i in range(5):
    out = []
    ix = 0
    while True:
        p = P[ix]
        ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
        out.append(itos[ix])
        if ix == 0:
            break
    print(''.join(out))

# GOAL: maximize likelihood of the data w.r.t. model parameters (statistical modeling)
log_likelihood = 0.0
n = 0
for w in words:
    chs = ['.'] + list(w) + ['.']
    for ch1, ch2 in zip(chs, chs[1:]):
        ix1 = stoi[ch1]
        ix2 = stoi[ch2]
        prob = P[ix1, ix2]
        logprob = torch.log(prob)
        log_likelihood += logprob
        n += 1
print(f'{log_likelihood=}')
nll = -log_likelihood
print(f'{nll=}')
print(f'{nll/n}')
count_nll = (nll / n).item()

# create the training set of bigrams (x,y)
xs, ys = [], []
for w in words[:1]:
    chs = ['.'] + list(w) + ['.']
    for ch1, ch2 in zip(chs, chs[1:]):
        ix1 = stoi[ch1]
        ix2 = stoi[ch2]
        print(ch1, ch2)
        xs.append(ix1)
        ys.append(ix2)
xs = torch.tensor(xs)
ys = torch.tensor(ys)
print(xs, ys)

import torch.nn.functional as F

xenc = F.one_hot(xs, num_classes=27).float()
print(xenc.shape, xenc.dtype)
plt.imshow(xenc)
plt.close('all')

W = torch.randn((27, 1))
print((xenc @ W).shape)
W = torch.randn((27, 27))
print((xenc @ W)[3, 13], (xenc[3] * W[:, 13]).sum())

logits = xenc @ W  # log-counts
counts = logits.exp()  # equivalent N
probs = counts / counts.sum(1, keepdims=True)
print(probs.shape)

nlls = torch.zeros(len(xs))
for i in range(len(xs)):
    # i-th bigram:
    x = xs[i].item()  # input character index
    y = ys[i].item()  # label character index
    print('--------')
    print(f'bigram example {i+1}: {itos[x]}{itos[y]} (indexes {x},{y})')
    print('input to the neural net:', x)
    print('output probabilities from the neural net:', probs[i])
    print('label (actual next character):', y)
    p = probs[i, y]
    print('probability assigned by the net to the the correct character:', p.item())
    logp = torch.log(p)
    print('log likelihood:', logp.item())
    nll = -logp
    print('negative log likelihood:', nll.item())
    nlls[i] = nll
print('=========')
print('average negative log likelihood, i.e. loss =', nlls.mean().item())

# --------- !!! OPTIMIZATION !!! yay --------------
# create the dataset
xs, ys = [], []
for w in words:
    chs = ['.'] + list(w) + ['.']
    for ch1, ch2 in zip(chs, chs[1:]):
        ix1 = stoi[ch1]
        ix2 = stoi[ch2]
        xs.append(ix1)
        ys.append(ix2)
xs = torch.tensor(xs)
ys = torch.tensor(ys)
num = xs.nelement()
print('number of examples: ', num)

# initialize the 'network'
g = torch.Generator().manual_seed(2147483647)
W = torch.randn((27, 27), generator=g, requires_grad=True)

losses = []
for k in range(30):
    # forward pass
    xenc = F.one_hot(xs, num_classes=27).float()  # input to the network: one-hot encoding
    logits = xenc @ W  # predict log-counts
    counts = logits.exp()  # counts, equivalent to N
    probs = counts / counts.sum(1, keepdims=True)  # probabilities for next character
    loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W**2).mean()
    print(loss.item())
    losses.append(loss.item())

    # backward pass
    W.grad = None  # set to zero the gradient
    loss.backward()

    # update
    W.data += -50 * W.grad

# finally, sample from the 'neural net' model
g = torch.Generator().manual_seed(2147483647)
samples = []
for i in range(5):
    out = []
    ix = 0
    while True:
        xenc = F.one_hot(torch.tensor([ix]), num_classes=27).float()
        logits = xenc @ W  # predict log-counts
        counts = logits.exp()  # counts, equivalent to N
        p = counts / counts.sum(1, keepdims=True)  # probabilities for next character
        ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
        out.append(itos[ix])
        if ix == 0:
            break
    print(''.join(out))
    samples.append(''.join(out))
'''

PART2 = r'''
import torch
import torch.nn.functional as F
import matplotlib.pyplot as plt  # for making figures

# read in all the words
words = open('names.txt', 'r').read().splitlines()
print(words[:8])
print(len(words))

# build the vocabulary of characters and mappings to/from integers
chars = sorted(list(set(''.join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi['.'] = 0
itos = {i: s for s, i in stoi.items()}
print(itos)

# build the dataset
block_size = 3  # context length: how many characters do we take to predict the next one?
X, Y = [], []
for w in words[:5]:
    print(w)
    context = [0] * block_size
    for ch in w + '.':
        ix = stoi[ch]
        X.append(context)
        Y.append(ix)
        print(''.join(itos[i] for i in context), '--->', itos[ix])
        context = context[1:] + [ix]  # crop and append
X = torch.tensor(X)
Y = torch.tensor(Y)
print(X.shape, X.dtype, Y.shape, Y.dtype)

C = torch.randn((27, 2))
print(C[5])
print(F.one_hot(torch.tensor(5), num_classes=27).float() @ C)
print(C[[5, 6, 7, 7, 7, 7]])
print(C[torch.tensor([5, 6, 7, 7, 7, 7])])
print(C[X].shape)
print(X[13, 2])
print(C[X][13, 2], C[1])
emb = C[X]
print(emb.shape)

W1 = torch.randn((6, 100))
b1 = torch.randn(100)
print(torch.cat([emb[:, 0, :], emb[:, 1, :], emb[:, 2, :]], 1).shape)
print(torch.cat(torch.unbind(emb, 1), 1).shape)
a = torch.arange(18)
print(a.shape)
print(a.view(2, 9))
print(a.view(3, 3, 2))
print(a.storage())
print(emb.view(-1, 6) == torch.cat(torch.unbind(emb, 1), 1))
h = torch.tanh(emb.view(-1, 6) @ W1 + b1)
print(h)
print(h.shape)
print((emb.view(-1, 6) @ W1).shape, b1.shape)

W2 = torch.randn((100, 27))
b2 = torch.randn(27)
logits = h @ W2 + b2
print(logits.shape)
counts = logits.exp()
prob = counts / counts.sum(1, keepdims=True)
print(prob.shape)
print(prob[0].sum())
loss = -prob[torch.arange(X.shape[0]), Y].log().mean()
print(loss)

# ------------ now made respectable :) ---------------
print(X.shape, Y.shape)  # dataset
g = torch.Generator().manual_seed(2147483647)  # for reproducibility
C = torch.randn((27, 2), generator=g)
W1 = torch.randn((6, 100), generator=g)
b1 = torch.randn(100, generator=g)
W2 = torch.randn((100, 27), generator=g)
b2 = torch.randn(27, generator=g)
parameters = [C, W1, b1, W2, b2]
print(sum(p.nelement() for p in parameters))  # number of parameters in total
emb = C[X]  # (32, 3, 2)
h = torch.tanh(emb.view(-1, 6) @ W1 + b1)  # (32, 100)
logits = h @ W2 + b2  # (32, 27)
# counts = logits.exp()
# prob = counts / counts.sum(1, keepdims=True)
# loss = -prob[torch.arange(32), Y].log().mean()
loss = F.cross_entropy(logits, Y)
print(loss)

# the cross_entropy is numerically well behaved even for extreme logits
logits = torch.tensor([-100, -3, 0, 100])
counts = logits.exp()
probs = counts / counts.sum()
print(probs)
logits = torch.tensor([-5, -3, 0, 5]) - 5
print((logits.exp() / logits.exp().sum()))

# learning-rate search
for p in parameters:
    p.requires_grad = True
lre = torch.linspace(-3, 0, 1000)
lrs = 10**lre
lri = []
lossi = []
for i in range(1000):
    # minibatch construct
    ix = torch.randint(0, X.shape[0], (32,))
    # forward pass
    emb = C[X[ix]]  # (32, 3, 2)
    h = torch.tanh(emb.view(-1, 6) @ W1 + b1)  # (32, 100)
    logits = h @ W2 + b2  # (32, 27)
    loss = F.cross_entropy(logits, Y[ix])
    # backward pass
    for p in parameters:
        p.grad = None
    loss.backward()
    # update
    lr = lrs[i]
    for p in parameters:
        p.data += -lr * p.grad
    # track stats
    lri.append(lre[i])
    lossi.append(loss.item())
plt.plot(lri, lossi)
plt.close('all')


# build the dataset
def build_dataset(words):
    block_size = 3  # context length: how many characters do we take to predict the next one?
    X, Y = [], []
    for w in words:
        # print(w)
        context = [0] * block_size
        for ch in w + '.':
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            # print(''.join(itos[i] for i in context), '--->', itos[ix])
            context = context[1:] + [ix]  # crop and append
    X = torch.tensor(X)
    Y = torch.tensor(Y)
    print(X.shape, Y.shape)
    return X, Y


import random

random.seed(42)
random.shuffle(words)
n1 = int(0.8 * len(words))
n2 = int(0.9 * len(words))

Xtr, Ytr = build_dataset(words[:n1])
Xdev, Ydev = build_dataset(words[n1:n2])
Xte, Yte = build_dataset(words[n2:])

g = torch.Generator().manual_seed(2147483647)  # for reproducibility
C = torch.randn((27, 10), generator=g)
W1 = torch.randn((30, 200), generator=g)
b1 = torch.randn(200, generator=g)
W2 = torch.randn((200, 27), generator=g)
b2 = torch.randn(27, generator=g)
parameters = [C, W1, b1, W2, b2]
print(sum(p.nelement() for p in parameters))  # number of parameters in total
for p in parameters:
    p.requires_grad = True

lri = []
lossi = []
stepi = []
for i in range(1000):
    # minibatch construct
    ix = torch.randint(0, Xtr.shape[0], (32,))
    # forward pass
    emb = C[Xtr[ix]]  # (32, 3, 10)
    h = torch.tanh(emb.view(-1, 30) @ W1 + b1)  # (32, 200)
    logits = h @ W2 + b2  # (32, 27)
    loss = F.cross_entropy(logits, Ytr[ix])
    # backward pass
    for p in parameters:
        p.grad = None
    loss.backward()
    # update
    # lr = lrs[i]
    lr = 0.1 if i < 500 else 0.01
    for p in parameters:
        p.data += -lr * p.grad
    # track stats
    # lri.append(lre[i])
    stepi.append(i)
    lossi.append(loss.log10().item())
print(loss.item())
plt.plot(stepi, lossi)
plt.close('all')

emb = C[Xtr]  # (32, 3, 2)
h = torch.tanh(emb.view(-1, 30) @ W1 + b1)  # (32, 100)
logits = h @ W2 + b2  # (32, 27)
loss = F.cross_entropy(logits, Ytr)
print(loss)
train_loss = loss.item()


@torch.no_grad()  # this decorator disables gradient tracking
def split_loss(split):
    x, y = {
        'train': (Xtr, Ytr),
        'val': (Xdev, Ydev),
        'test': (Xte, Yte),
    }[split]
    emb = C[x]  # (N, block_size, n_embd)
    embcat = emb.view(emb.shape[0], -1)  # concat into (N, block_size * n_embd)
    h = torch.tanh(embcat @ W1 + b1)  # (N, n_hidden)
    logits = h @ W2 + b2  # (N, vocab_size)
    loss = F.cross_entropy(logits, y)
    print(split, loss.item())
    return loss


split_loss('train')
val_loss = split_loss('val').item()

# visualize dimensions 0 and 1 of the embedding matrix C for all characters
plt.figure(figsize=(8, 8))
plt.scatter(C[:, 0].data, C[:, 1].data, s=200)
for i in range(C.shape[0]):
    plt.text(C[i, 0].item(), C[i, 1].item(), itos[i], ha="center", va="center", color='white')
plt.grid('minor')
plt.close('all')

# sample from the model
g = torch.Generator().manual_seed(2147483647 + 10)
samples = []
for _ in range(10):
    out = []
    context = [0] * block_size  # initialize with all ...
    while True:
        emb = C[torch.tensor([context])]  # (1,block_size,d)
        h = torch.tanh(emb.view(1, -1) @ W1 + b1)
        logits = h @ W2 + b2
        probs = F.softmax(logits, dim=1)
        ix = torch.multinomial(probs, num_samples=1, generator=g).item()
        context = context[1:] + [ix]
        out.append(ix)
        if ix == 0:
            break
    print(''.join(itos[i] for i in out))
    samples.append(''.join(itos[i] for i in out))
'''

PART3 = r'''
import torch
import torch.nn.functional as F
import matplotlib.pyplot as plt  # for making figures
import random

# read in all the words
words = open('names.txt', 'r').read().splitlines()
# build the vocabulary of characters and mappings to/from integers
chars = sorted(list(set(''.join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi['.'] = 0
itos = {i: s for s, i in stoi.items()}
vocab_size = len(itos)
print(itos)
print(vocab_size)

# build the dataset
block_size = 3  # context length: how many characters do we take to predict the next one?


def build_dataset(words):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + '.':
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]  # crop and append
    X = torch.tensor(X)
    Y = torch.tensor(Y)
    print(X.shape, Y.shape)
    return X, Y


random.seed(42)
random.shuffle(words)
n1 = int(0.8 * len(words))
n2 = int(0.9 * len(words))

Xtr, Ytr = build_dataset(words[:n1])  # 80%
Xdev, Ydev = build_dataset(words[n1:n2])  # 10%
Xte, Yte = build_dataset(words[n2:])  # 10%

# MLP revisited
n_embd = 10  # the dimensionality of the character embedding vectors
n_hidden = 200  # the number of neurons in the hidden layer of the MLP

g = torch.Generator().manual_seed(2147483647)  # for reproducibility
C = torch.randn((vocab_size, n_embd), generator=g)
W1 = torch.randn((n_embd * block_size, n_hidden), generator=g) * (5/3)/((n_embd * block_size)**0.5)
# b1 = torch.randn(n_hidden, generator=g) * 0.01
W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.01
b2 = torch.randn(vocab_size, generator=g) * 0

# BatchNorm parameters
bngain = torch.ones((1, n_hidden))
bnbias = torch.zeros((1, n_hidden))
bnmean_running = torch.zeros((1, n_hidden))
bnstd_running = torch.ones((1, n_hidden))

parameters = [C, W1, W2, b2, bngain, bnbias]
print(sum(p.nelement() for p in parameters))  # number of parameters in total
for p in parameters:
    p.requires_grad = True

# same optimization as last time
max_steps = 200
batch_size = 32
lossi = []

for i in range(max_steps):
    # minibatch construct
    ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
    Xb, Yb = Xtr[ix], Ytr[ix]  # batch X,Y

    # forward pass
    emb = C[Xb]  # embed the characters into vectors
    embcat = emb.view(emb.shape[0], -1)  # concatenate the vectors
    # Linear layer
    hpreact = embcat @ W1  # + b1 # hidden layer pre-activation
    # BatchNorm layer
    # -------------------------------------------------------------
    bnmeani = hpreact.mean(0, keepdim=True)
    bnstdi = hpreact.std(0, keepdim=True)
    hpreact = bngain * (hpreact - bnmeani) / bnstdi + bnbias
    with torch.no_grad():
        bnmean_running = 0.999 * bnmean_running + 0.001 * bnmeani
        bnstd_running = 0.999 * bnstd_running + 0.001 * bnstdi
    # -------------------------------------------------------------
    # Non-linearity
    h = torch.tanh(hpreact)  # hidden layer
    logits = h @ W2 + b2  # output layer
    loss = F.cross_entropy(logits, Yb)  # loss function

    # backward pass
    for p in parameters:
        p.grad = None
    loss.backward()

    # update
    lr = 0.1 if i < max_steps // 2 else 0.01  # step learning rate decay
    for p in parameters:
        p.data += -lr * p.grad

    # track stats
    if i % 100 == 0:  # print every once in a while
        print(f'{i:7d}/{max_steps:7d}: {loss.item():.4f}')
    lossi.append(loss.log10().item())

plt.figure(figsize=(20, 10))
plt.imshow(h.abs() > 0.99, cmap='gray', interpolation='nearest')
plt.close('all')
plt.hist(h.view(-1).tolist(), 50)
plt.close('all')
plt.hist(hpreact.view(-1).tolist(), 50)
plt.close('all')
plt.plot(lossi)
plt.close('all')

# calibrate the batch norm at the end of training
with torch.no_grad():
    # pass the training set through
    emb = C[Xtr]
    embcat = emb.view(emb.shape[0], -1)
    hpreact = embcat @ W1  # + b1
    # measure the mean/std over the entire training set
    bnmean = hpreact.mean(0, keepdim=True)
    bnstd = hpreact.std(0, keepdim=True)


@torch.no_grad()  # this decorator disables gradient tracking
def split_loss(split):
    x, y = {
        'train': (Xtr, Ytr),
        'val': (Xdev, Ydev),
        'test': (Xte, Yte),
    }[split]
    emb = C[x]  # (N, block_size, n_embd)
    embcat = emb.view(emb.shape[0], -1)  # concat into (N, block_size * n_embd)
    hpreact = embcat @ W1  # + b1
    # hpreact = bngain * (hpreact - hpreact.mean(0, keepdim=True)) / hpreact.std(0, keepdim=True) + bnbias
    hpreact = bngain * (hpreact - bnmean_running) / bnstd_running + bnbias
    h = torch.tanh(hpreact)  # (N, n_hidden)
    logits = h @ W2 + b2  # (N, vocab_size)
    loss = F.cross_entropy(logits, y)
    print(split, loss.item())
    return loss.item()


split_loss('train')
split_loss('val')
print((bnmean - bnmean_running).abs().max().item(), (bnstd - bnstd_running).abs().max().item())

'''

PART3_DEEP = r'''
# loss log
# the initial loss should be about -log(1/27)
print(-torch.tensor(1/27.0).log())
# 4-dimensional example of the issue
logits = torch.tensor([0.0, 0.0, 5.0, 0.0])
probs = torch.softmax(logits, dim=0)
loss = -probs[2].log()
print(probs, loss)

x = torch.randn(1000, 10)
w = torch.randn(10, 200) / 10**0.5
y = x @ w
print(x.mean(), x.std())
print(y.mean(), y.std())
plt.figure(figsize=(20, 5))
plt.subplot(121)
plt.hist(x.view(-1).tolist(), 50, density=True)
plt.subplot(122)
plt.hist(y.view(-1).tolist(), 50, density=True)
plt.close('all')
print(torch.nn.init.kaiming_normal_(torch.empty(30, 200), mode='fan_in', nonlinearity='tanh').std())


# Let's train a deeper network
# The classes we create here are the same API as nn.Module in PyTorch

class Linear:

    def __init__(self, fan_in, fan_out, bias=True):
        self.weight = torch.randn((fan_in, fan_out), generator=g) / fan_in**0.5
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None:
            self.out += self.bias
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d:

    def __init__(self, dim, eps=1e-5, momentum=0.1):
        self.eps = eps
        self.momentum = momentum
        self.training = True
        # parameters (trained with backprop)
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)
        # buffers (trained with a running 'momentum update')
        self.running_mean = torch.zeros(dim)
        self.running_var = torch.ones(dim)

    def __call__(self, x):
        # calculate the forward pass
        if self.training:
            xmean = x.mean(0, keepdim=True)  # batch mean
            xvar = x.var(0, keepdim=True)  # batch variance
        else:
            xmean = self.running_mean
            xvar = self.running_var
        xhat = (x - xmean) / torch.sqrt(xvar + self.eps)  # normalize to unit variance
        self.out = self.gamma * xhat + self.beta
        # update the buffers
        if self.training:
            with torch.no_grad():
                self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


class Tanh:
    def __call__(self, x):
        self.out = torch.tanh(x)
        return self.out

    def parameters(self):
        return []


n_embd = 10  # the dimensionality of the character embedding vectors
n_hidden = 100  # the number of neurons in the hidden layer of the MLP
g = torch.Generator().manual_seed(2147483647)  # for reproducibility

C = torch.randn((vocab_size, n_embd), generator=g)
layers = [
    Linear(n_embd * block_size, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
    Linear(n_hidden, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
    Linear(n_hidden, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
    Linear(n_hidden, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
    Linear(n_hidden, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
    Linear(n_hidden, vocab_size, bias=False), BatchNorm1d(vocab_size),
]

with torch.no_grad():
    # last layer: make less confident
    layers[-1].gamma *= 0.1
    # layers[-1].weight *= 0.1
    # all other layers: apply gain
    for layer in layers[:-1]:
        if isinstance(layer, Linear):
            layer.weight *= 1.0  # 5/3

parameters = [C] + [p for layer in layers for p in layer.parameters()]
print(sum(p.nelement() for p in parameters))  # number of parameters in total
for p in parameters:
    p.requires_grad = True

# same optimization as last time
max_steps = 200
batch_size = 32
lossi = []
ud = []

for i in range(max_steps):
    # minibatch construct
    ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
    Xb, Yb = Xtr[ix], Ytr[ix]  # batch X,Y

    # forward pass
    emb = C[Xb]  # embed the characters into vectors
    x = emb.view(emb.shape[0], -1)  # concatenate the vectors
    for layer in layers:
        x = layer(x)
    loss = F.cross_entropy(x, Yb)  # loss function

    # backward pass
    for layer in layers:
        layer.out.retain_grad()  # AFTER_DEBUG: would take out retain_graph
    for p in parameters:
        p.grad = None
    loss.backward()

    # update
    lr = 0.1 if i < max_steps // 2 else 0.01  # step learning rate decay
    for p in parameters:
        p.data += -lr * p.grad

    # track stats
    if i % 100 == 0:  # print every once in a while
        print(f'{i:7d}/{max_steps:7d}: {loss.item():.4f}')
    lossi.append(loss.log10().item())
    with torch.no_grad():
        ud.append([((lr*p.grad).std() / p.data.std()).log10().item() for p in parameters])

# visualize histograms
plt.figure(figsize=(20, 4))  # width and height of the plot
legends = []
for i, layer in enumerate(layers[:-1]):  # note: exclude the output layer
    if isinstance(layer, Tanh):
        t = layer.out
        print('layer %d (%10s): mean %+.2f, std %.2f, saturated: %.2f%%' % (i, layer.__class__.__name__, t.mean(), t.std(), (t.abs() > 0.97).float().mean()*100))
        hy, hx = torch.histogram(t, density=True)
        plt.plot(hx[:-1].detach(), hy.detach())
        legends.append(f'layer {i} ({layer.__class__.__name__}')
plt.legend(legends)
plt.title('activation distribution')
plt.close('all')

# visualize histograms
plt.figure(figsize=(20, 4))  # width and height of the plot
legends = []
for i, layer in enumerate(layers[:-1]):  # note: exclude the output layer
    if isinstance(layer, Tanh):
        t = layer.out.grad
        print('layer %d (%10s): mean %+f, std %e' % (i, layer.__class__.__name__, t.mean(), t.std()))
        hy, hx = torch.histogram(t, density=True)
        plt.plot(hx[:-1].detach(), hy.detach())
        legends.append(f'layer {i} ({layer.__class__.__name__}')
plt.legend(legends)
plt.title('gradient distribution')
plt.close('all')

# visualize histograms
plt.figure(figsize=(20, 4))  # width and height of the plot
legends = []
for i, p in enumerate(parameters):
    t = p.grad
    if p.ndim == 2:
        print('weight %10s | mean %+f | std %e | grad:data ratio %e' % (tuple(p.shape), t.mean(), t.std(), t.std() / p.std()))
        hy, hx = torch.histogram(t, density=True)
        plt.plot(hx[:-1].detach(), hy.detach())
        legends.append(f'{i} {tuple(p.shape)}')
plt.legend(legends)
plt.title('weights gradient distribution')
plt.close('all')

plt.figure(figsize=(20, 4))
legends = []
for i, p in enumerate(parameters):
    if p.ndim == 2:
        plt.plot([ud[j][i] for j in range(len(ud))])
        legends.append('param %d' % i)
plt.plot([0, len(ud)], [-3, -3], 'k')  # these ratios should be ~1e-3, indicate on plot
plt.legend(legends)
plt.close('all')

# put layers into eval mode
for layer in layers:
    layer.training = False


@torch.no_grad()  # this decorator disables gradient tracking
def deep_split_loss(split):
    x, y = {
        'train': (Xtr, Ytr),
        'val': (Xdev, Ydev),
        'test': (Xte, Yte),
    }[split]
    emb = C[x]  # (N, block_size, n_embd)
    x = emb.view(emb.shape[0], -1)  # concat into (N, block_size * n_embd)
    for layer in layers:
        x = layer(x)
    loss = F.cross_entropy(x, y)
    print(split, loss.item())
    return loss.item()


deep_split_loss('train')
deep_split_loss('val')

# sample from the model
g = torch.Generator().manual_seed(2147483647 + 10)
samples = []
for _ in range(10):
    out = []
    context = [0] * block_size  # initialize with all ...
    while True:
        # forward pass the neural net
        emb = C[torch.tensor([context])]  # (1,block_size,n_embd)
        x = emb.view(emb.shape[0], -1)  # concatenate the vectors
        for layer in layers:
            x = layer(x)
        logits = x
        probs = F.softmax(logits, dim=1)
        # sample from the distribution
        ix = torch.multinomial(probs, num_samples=1, generator=g).item()
        # shift the context window and track the samples
        context = context[1:] + [ix]
        out.append(ix)
        # if we sample the special '.' token, break
        if ix == 0:
            break
    samples.append(''.join(itos[i] for i in out))
    print(''.join(itos[i] for i in out))  # decode and print the generated word
'''

PART4 = r'''
# there no change change in the first several cells from last lecture
import torch
import torch.nn.functional as F
import matplotlib.pyplot as plt  # for making figures
import random

# read in all the words
words = open('names.txt', 'r').read().splitlines()
print(len(words))
print(max(len(w) for w in words))
print(words[:8])

# build the vocabulary of characters and mappings to/from integers
chars = sorted(list(set(''.join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi['.'] = 0
itos = {i: s for s, i in stoi.items()}
vocab_size = len(itos)
print(itos)
print(vocab_size)

# build the dataset
block_size = 3  # context length: how many characters do we take to predict the next one?


def build_dataset(words):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + '.':
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]  # crop and append
    X = torch.tensor(X)
    Y = torch.tensor(Y)
    print(X.shape, Y.shape)
    return X, Y


random.seed(42)
random.shuffle(words)
n1 = int(0.8 * len(words))
n2 = int(0.9 * len(words))

Xtr, Ytr = build_dataset(words[:n1])  # 80%
Xdev, Ydev = build_dataset(words[n1:n2])  # 10%
Xte, Yte = build_dataset(words[n2:])  # 10%


# ok biolerplate done, now we get to the action:

# utility function we will use later when comparing manual gradients to PyTorch gradients
def cmp(s, dt, t):
    ex = torch.all(dt == t.grad).item()
    app = torch.allclose(dt, t.grad)
    maxdiff = (dt - t.grad).abs().max().item()
    print(f'{s:15s} | exact: {str(ex):5s} | approximate: {str(app):5s} | maxdiff: {maxdiff}')
    results[s] = (ex, app, maxdiff)


results = {}

n_embd = 10  # the dimensionality of the character embedding vectors
n_hidden = 64  # the number of neurons in the hidden layer of the MLP

g = torch.Generator().manual_seed(2147483647)  # for reproducibility
C = torch.randn((vocab_size, n_embd), generator=g)
# Layer 1
W1 = torch.randn((n_embd * block_size, n_hidden), generator=g) * (5/3)/((n_embd * block_size)**0.5)
b1 = torch.randn(n_hidden, generator=g) * 0.1  # using b1 just for fun, it's useless because of BN
# Layer 2
W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.1
b2 = torch.randn(vocab_size, generator=g) * 0.1
# BatchNorm parameters
bngain = torch.randn((1, n_hidden))*0.1 + 1.0
bnbias = torch.randn((1, n_hidden))*0.1

# Note: I am initializating many of these parameters in non-standard ways
# because sometimes initializating with e.g. all zeros could mask an incorrect
# implementation of the backward pass.

parameters = [C, W1, b1, W2, b2, bngain, bnbias]
print(sum(p.nelement() for p in parameters))  # number of parameters in total
for p in parameters:
    p.requires_grad = True

batch_size = 32
n = batch_size  # a shorter variable also, for convenience
# construct a minibatch
ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
Xb, Yb = Xtr[ix], Ytr[ix]  # batch X,Y

# forward pass, "chunkated" into smaller steps that are possible to backward one at a time

emb = C[Xb]  # embed the characters into vectors
embcat = emb.view(emb.shape[0], -1)  # concatenate the vectors
# Linear layer 1
hprebn = embcat @ W1 + b1  # hidden layer pre-activation
# BatchNorm layer
bnmeani = 1/n*hprebn.sum(0, keepdim=True)
bndiff = hprebn - bnmeani
bndiff2 = bndiff**2
bnvar = 1/(n-1)*(bndiff2).sum(0, keepdim=True)  # note: Bessel's correction (dividing by n-1, not n)
bnvar_inv = (bnvar + 1e-5)**-0.5
bnraw = bndiff * bnvar_inv
hpreact = bngain * bnraw + bnbias
# Non-linearity
h = torch.tanh(hpreact)  # hidden layer
# Linear layer 2
logits = h @ W2 + b2  # output layer
# cross entropy loss (same as F.cross_entropy(logits, Yb))
logit_maxes = logits.max(1, keepdim=True).values
norm_logits = logits - logit_maxes  # subtract max for numerical stability
counts = norm_logits.exp()
counts_sum = counts.sum(1, keepdims=True)
counts_sum_inv = counts_sum**-1  # if I use (1.0 / counts_sum) instead then I can't get backprop to be bit exact...
probs = counts * counts_sum_inv
logprobs = probs.log()
loss = -logprobs[range(n), Yb].mean()

# PyTorch backward pass
for p in parameters:
    p.grad = None
for t in [logprobs, probs, counts, counts_sum, counts_sum_inv,  # afaik there is no cleaner way
          norm_logits, logit_maxes, logits, h, hpreact, bnraw,
          bnvar_inv, bnvar, bndiff2, bndiff, hprebn, bnmeani,
          embcat, emb]:
    t.retain_grad()
loss.backward()
print(loss)

# Exercise 1: backprop through the whole thing manually,
# backpropagating through exactly all of the variables
# as they are defined in the forward pass above, one by one

dlogprobs = torch.zeros_like(logprobs)
dlogprobs[range(n), Yb] = -1.0/n
dprobs = (1.0 / probs) * dlogprobs
dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)
dcounts = counts_sum_inv * dprobs
dcounts_sum = (-counts_sum**-2) * dcounts_sum_inv
dcounts += torch.ones_like(counts) * dcounts_sum
dnorm_logits = counts * dcounts
dlogits = dnorm_logits.clone()
dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
dlogits += F.one_hot(logits.max(1).indices, num_classes=logits.shape[1]) * dlogit_maxes
dh = dlogits @ W2.T
dW2 = h.T @ dlogits
db2 = dlogits.sum(0)
dhpreact = (1.0 - h**2) * dh
dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
dbnraw = bngain * dhpreact
dbnbias = dhpreact.sum(0, keepdim=True)
dbndiff = bnvar_inv * dbnraw
dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
dbnvar = (-0.5*(bnvar + 1e-5)**-1.5) * dbnvar_inv
dbndiff2 = (1.0/(n-1))*torch.ones_like(bndiff2) * dbnvar
dbndiff += (2*bndiff) * dbndiff2
dhprebn = dbndiff.clone()
dbnmeani = (-dbndiff).sum(0)
dhprebn += 1.0/n * (torch.ones_like(hprebn) * dbnmeani)
dembcat = dhprebn @ W1.T
dW1 = embcat.T @ dhprebn
db1 = dhprebn.sum(0)
demb = dembcat.view(emb.shape)
dC = torch.zeros_like(C)
for k in range(Xb.shape[0]):
    for j in range(Xb.shape[1]):
        ix = Xb[k, j]
        dC[ix] += demb[k, j]

cmp('logprobs', dlogprobs, logprobs)
cmp('probs', dprobs, probs)
cmp('counts_sum_inv', dcounts_sum_inv, counts_sum_inv)
cmp('counts_sum', dcounts_sum, counts_sum)
cmp('counts', dcounts, counts)
cmp('norm_logits', dnorm_logits, norm_logits)
cmp('logit_maxes', dlogit_maxes, logit_maxes)
cmp('logits', dlogits, logits)
cmp('h', dh, h)
cmp('W2', dW2, W2)
cmp('b2', db2, b2)
cmp('hpreact', dhpreact, hpreact)
cmp('bngain', dbngain, bngain)
cmp('bnbias', dbnbias, bnbias)
cmp('bnraw', dbnraw, bnraw)
cmp('bnvar_inv', dbnvar_inv, bnvar_inv)
cmp('bnvar', dbnvar, bnvar)
cmp('bndiff2', dbndiff2, bndiff2)
cmp('bndiff', dbndiff, bndiff)
cmp('bnmeani', dbnmeani, bnmeani)
cmp('hprebn', dhprebn, hprebn)
cmp('embcat', dembcat, embcat)
cmp('W1', dW1, W1)
cmp('b1', db1, b1)
cmp('emb', demb, emb)
cmp('C', dC, C)

# Exercise 2: backprop through cross_entropy but all in one go
# to complete this challenge look at the mathematical expression of the loss,
# take the derivative, simplify the expression, and just write it out

# forward pass

# before:
# logit_maxes = logits.max(1, keepdim=True).values
# norm_logits = logits - logit_maxes # subtract max for numerical stability
# counts = norm_logits.exp()
# counts_sum = counts.sum(1, keepdims=True)
# counts_sum_inv = counts_sum**-1 # if I use (1.0 / counts_sum) instead then I can't get backprop to be bit exact...
# probs = counts * counts_sum_inv
# logprobs = probs.log()
# loss = -logprobs[range(n), Yb].mean()

# now:
loss_fast = F.cross_entropy(logits, Yb)
print(loss_fast.item(), 'diff:', (loss_fast - loss).item())

# backward pass

dlogits = F.softmax(logits, 1)
dlogits[range(n), Yb] -= 1
dlogits /= n

cmp('logits', dlogits, logits)  # I can only get approximate to be true, my maxdiff is 6e-9

print(logits.shape, Yb.shape)
print(F.softmax(logits, 1)[0])
print(dlogits[0] * n)
print(dlogits[0].sum())

plt.figure(figsize=(4, 4))
plt.imshow(dlogits.detach(), cmap='gray')
plt.close('all')

# Exercise 3: backprop through batchnorm but all in one go
# to complete this challenge look at the mathematical expression of the output of batchnorm,
# take the derivative w.r.t. its input, simplify the expression, and just write it out
# BatchNorm paper: https://arxiv.org/abs/1502.03167

# forward pass

# before:
# bnmeani = 1/n*hprebn.sum(0, keepdim=True)
# bndiff = hprebn - bnmeani
# bndiff2 = bndiff**2
# bnvar = 1/(n-1)*(bndiff2).sum(0, keepdim=True) # note: Bessel's correction (dividing by n-1, not n)
# bnvar_inv = (bnvar + 1e-5)**-0.5
# bnraw = bndiff * bnvar_inv
# hpreact = bngain * bnraw + bnbias

# now:
hpreact_fast = bngain * (hprebn - hprebn.mean(0, keepdim=True)) / torch.sqrt(hprebn.var(0, keepdim=True, unbiased=True) + 1e-5) + bnbias
print('max diff:', (hpreact_fast - hpreact).abs().max())
bn_fast_maxdiff = (hpreact_fast - hpreact).abs().max().item()

# backward pass

# before we had:
# dbnraw = bngain * dhpreact
# dbndiff = bnvar_inv * dbnraw
# dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
# dbnvar = (-0.5*(bnvar + 1e-5)**-1.5) * dbnvar_inv
# dbndiff2 = (1.0/(n-1))*torch.ones_like(bndiff2) * dbnvar
# dbndiff += (2*bndiff) * dbndiff2
# dhprebn = dbndiff.clone()
# dbnmeani = (-dbndiff).sum(0)
# dhprebn += 1.0/n * (torch.ones_like(hprebn) * dbnmeani)

# calculate dhprebn given dhpreact (i.e. backprop through the batchnorm)
# (you'll also need to use some of the variables from the forward pass up above)

dhprebn = bngain*bnvar_inv/n * (n*dhpreact - dhpreact.sum(0) - n/(n-1)*bnraw*(dhpreact*bnraw).sum(0))

cmp('hprebn', dhprebn, hprebn)  # I can only get approximate to be true, my maxdiff is 9e-10

print(dhprebn.shape, bngain.shape, bnvar_inv.shape, dbnraw.shape, dbnraw.sum(0).shape)
'''

PART4_TRAIN = r'''
# Exercise 4: putting it all together!
# Train the MLP neural net with your own backward pass

# init
n_embd = 10  # the dimensionality of the character embedding vectors
n_hidden = 200  # the number of neurons in the hidden layer of the MLP

g = torch.Generator().manual_seed(2147483647)  # for reproducibility
C = torch.randn((vocab_size, n_embd), generator=g)
# Layer 1
W1 = torch.randn((n_embd * block_size, n_hidden), generator=g) * (5/3)/((n_embd * block_size)**0.5)
b1 = torch.randn(n_hidden, generator=g) * 0.1
# Layer 2
W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.1
b2 = torch.randn(vocab_size, generator=g) * 0.1
# BatchNorm parameters
bngain = torch.randn((1, n_hidden))*0.1 + 1.0
bnbias = torch.randn((1, n_hidden))*0.1

parameters = [C, W1, b1, W2, b2, bngain, bnbias]
print(sum(p.nelement() for p in parameters))  # number of parameters in total
for p in parameters:
    p.requires_grad = True

# same optimization as last time
max_steps = 200
batch_size = 32
n = batch_size  # convenience
lossi = []

# use this context manager for efficiency once your backward pass is written (TODO)
with torch.no_grad():

    # kick off optimization
    for i in range(max_steps):

        # minibatch construct
        ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
        Xb, Yb = Xtr[ix], Ytr[ix]  # batch X,Y

        # forward pass
        emb = C[Xb]  # embed the characters into vectors
        embcat = emb.view(emb.shape[0], -1)  # concatenate the vectors
        # Linear layer
        hprebn = embcat @ W1 + b1  # hidden layer pre-activation
        # BatchNorm layer
        # -------------------------------------------------------------
        bnmean = hprebn.mean(0, keepdim=True)
        bnvar = hprebn.var(0, keepdim=True, unbiased=True)
        bnvar_inv = (bnvar + 1e-5)**-0.5
        bnraw = (hprebn - bnmean) * bnvar_inv
        hpreact = bngain * bnraw + bnbias
        # -------------------------------------------------------------
        # Non-linearity
        h = torch.tanh(hpreact)  # hidden layer
        logits = h @ W2 + b2  # output layer
        loss = F.cross_entropy(logits, Yb)  # loss function

        # backward pass
        for p in parameters:
            p.grad = None
        # loss.backward() # use this for correctness comparisons, delete it later!

        # manual backprop! #swole_doge_meme
        # -----------------
        dlogits = F.softmax(logits, 1)
        dlogits[range(n), Yb] -= 1
        dlogits /= n
        # 2nd layer backprop
        dh = dlogits @ W2.T
        dW2 = h.T @ dlogits
        db2 = dlogits.sum(0)
        # tanh
        dhpreact = (1.0 - h**2) * dh
        # batchnorm backprop
        dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
        dbnbias = dhpreact.sum(0, keepdim=True)
        dhprebn = bngain*bnvar_inv/n * (n*dhpreact - dhpreact.sum(0) - n/(n-1)*bnraw*(dhpreact*bnraw).sum(0))
        # 1st layer
        dembcat = dhprebn @ W1.T
        dW1 = embcat.T @ dhprebn
        db1 = dhprebn.sum(0)
        # embedding
        demb = dembcat.view(emb.shape)
        dC = torch.zeros_like(C)
        for k in range(Xb.shape[0]):
            for j in range(Xb.shape[1]):
                ix = Xb[k, j]
                dC[ix] += demb[k, j]
        grads = [dC, dW1, db1, dW2, db2, dbngain, dbnbias]
        # -----------------

        # update
        lr = 0.1 if i < max_steps // 2 else 0.01  # step learning rate decay
        for p, grad in zip(parameters, grads):
            # p.data += -lr * p.grad # old way of cheems doge (using PyTorch grad from .backward())
            p.data += -lr * grad  # new way of swole doge TODO: enable

        # track stats
        if i % 100 == 0:  # print every once in a while
            print(f'{i:7d}/{max_steps:7d}: {loss.item():.4f}')
        lossi.append(loss.log10().item())

# calibrate the batch norm at the end of training
with torch.no_grad():
    # pass the training set through
    emb = C[Xtr]
    embcat = emb.view(emb.shape[0], -1)
    hpreact = embcat @ W1 + b1
    # measure the mean/std over the entire training set
    bnmean = hpreact.mean(0, keepdim=True)
    bnvar = hpreact.var(0, keepdim=True, unbiased=True)


# evaluate train and val loss
@torch.no_grad()  # this decorator disables gradient tracking
def split_loss(split):
    x, y = {
        'train': (Xtr, Ytr),
        'val': (Xdev, Ydev),
        'test': (Xte, Yte),
    }[split]
    emb = C[x]  # (N, block_size, n_embd)
    embcat = emb.view(emb.shape[0], -1)  # concat into (N, block_size * n_embd)
    hpreact = embcat @ W1 + b1
    hpreact = bngain * (hpreact - bnmean) * (bnvar + 1e-5)**-0.5 + bnbias
    h = torch.tanh(hpreact)  # (N, n_hidden)
    logits = h @ W2 + b2  # (N, vocab_size)
    loss = F.cross_entropy(logits, y)
    print(split, loss.item())
    return loss.item()


split_loss('train')
split_loss('val')

# sample from the model
g = torch.Generator().manual_seed(2147483647 + 10)

samples = []
for _ in range(10):

    out = []
    context = [0] * block_size  # initialize with all ...
    while True:
        # forward pass
        emb = C[torch.tensor([context])]  # (1,block_size,d)
        embcat = emb.view(emb.shape[0], -1)  # concat into (N, block_size * n_embd)
        hpreact = embcat @ W1 + b1
        hpreact = bngain * (hpreact - bnmean) * (bnvar + 1e-5)**-0.5 + bnbias
        h = torch.tanh(hpreact)  # (N, n_hidden)
        logits = h @ W2 + b2  # (N, vocab_size)
        # sample
        probs = F.softmax(logits, dim=1)
        ix = torch.multinomial(probs, num_samples=1, generator=g).item()
        context = context[1:] + [ix]
        out.append(ix)
        if ix == 0:
            break

    samples.append(''.join(itos[i] for i in out))
    print(''.join(itos[i] for i in out))
'''

PART5 = r'''
import torch
import torch.nn.functional as F
import matplotlib.pyplot as plt  # for making figures
import random

# read in all the words
words = open('names.txt', 'r').read().splitlines()
print(len(words))
print(max(len(w) for w in words))
print(words[:8])

# build the vocabulary of characters and mappings to/from integers
chars = sorted(list(set(''.join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi['.'] = 0
itos = {i: s for s, i in stoi.items()}
vocab_size = len(itos)
print(itos)
print(vocab_size)

# shuffle up the words
random.seed(42)
random.shuffle(words)

# build the dataset
block_size = 8  # context length: how many characters do we take to predict the next one?


def build_dataset(words):
    X, Y = [], []

    for w in words:
        context = [0] * block_size
        for ch in w + '.':
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]  # crop and append

    X = torch.tensor(X)
    Y = torch.tensor(Y)
    print(X.shape, Y.shape)
    return X, Y


n1 = int(0.8 * len(words))
n2 = int(0.9 * len(words))
Xtr, Ytr = build_dataset(words[:n1])  # 80%
Xdev, Ydev = build_dataset(words[n1:n2])  # 10%
Xte, Yte = build_dataset(words[n2:])  # 10%

for x, y in zip(Xtr[:20], Ytr[:20]):
    print(''.join(itos[ix.item()] for ix in x), '-->', itos[y.item()])


# Near copy paste of the layers we have developed in Part 3

# -----------------------------------------------------------------------------------------------
class Linear:

    def __init__(self, fan_in, fan_out, bias=True):
        self.weight = torch.randn((fan_in, fan_out)) / fan_in**0.5  # note: kaiming init
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None:
            self.out += self.bias
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


# -----------------------------------------------------------------------------------------------
class BatchNorm1d:

    def __init__(self, dim, eps=1e-5, momentum=0.1):
        self.eps = eps
        self.momentum = momentum
        self.training = True
        # parameters (trained with backprop)
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)
        # buffers (trained with a running 'momentum update')
        self.running_mean = torch.zeros(dim)
        self.running_var = torch.ones(dim)

    def __call__(self, x):
        # calculate the forward pass
        if self.training:
            if x.ndim == 2:
                dim = 0
            elif x.ndim == 3:
                dim = (0, 1)
            xmean = x.mean(dim, keepdim=True)  # batch mean
            xvar = x.var(dim, keepdim=True)  # batch variance
        else:
            xmean = self.running_mean
            xvar = self.running_var
        xhat = (x - xmean) / torch.sqrt(xvar + self.eps)  # normalize to unit variance
        self.out = self.gamma * xhat + self.beta
        # update the buffers
        if self.training:
            with torch.no_grad():
                self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


# -----------------------------------------------------------------------------------------------
class Tanh:
    def __call__(self, x):
        self.out = torch.tanh(x)
        return self.out

    def parameters(self):
        return []


# -----------------------------------------------------------------------------------------------
class Embedding:

    def __init__(self, num_embeddings, embedding_dim):
        self.weight = torch.randn((num_embeddings, embedding_dim))

    def __call__(self, IX):
        self.out = self.weight[IX]
        return self.out

    def parameters(self):
        return [self.weight]


# -----------------------------------------------------------------------------------------------
class FlattenConsecutive:

    def __init__(self, n):
        self.n = n

    def __call__(self, x):
        B, T, C = x.shape
        x = x.view(B, T//self.n, C*self.n)
        if x.shape[1] == 1:
            x = x.squeeze(1)
        self.out = x
        return self.out

    def parameters(self):
        return []


# -----------------------------------------------------------------------------------------------
class Sequential:

    def __init__(self, layers):
        self.layers = layers

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        self.out = x
        return self.out

    def parameters(self):
        # get parameters of all layers and stretch them out into one list
        return [p for layer in self.layers for p in layer.parameters()]
'''

PART5_MODEL = r'''
torch.manual_seed(42)  # seed rng for reproducibility

# original network
# n_embd = 10 # the dimensionality of the character embedding vectors
# n_hidden = 300 # the number of neurons in the hidden layer of the MLP
# model = Sequential([
#   Embedding(vocab_size, n_embd),
#   FlattenConsecutive(8), Linear(n_embd * 8, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
#   Linear(n_hidden, vocab_size),
# ])

# hierarchical network
n_embd = 10  # the dimensionality of the character embedding vectors
n_hidden = 68  # the number of neurons in the hidden layer of the MLP
model = Sequential([
    Embedding(vocab_size, n_embd),
    FlattenConsecutive(2), Linear(n_embd * 2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
    FlattenConsecutive(2), Linear(n_hidden*2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
    FlattenConsecutive(2), Linear(n_hidden*2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
    Linear(n_hidden, vocab_size),
])

# parameter init
with torch.no_grad():
    model.layers[-1].weight *= 0.1  # last layer make less confident

parameters = model.parameters()
print(sum(p.nelement() for p in parameters))  # number of parameters in total
for p in parameters:
    p.requires_grad = True
'''

PART5_TRAIN = r'''
ix = torch.randint(0, Xtr.shape[0], (4,))  # let's look at a batch of just 4 examples
Xb, Yb = Xtr[ix], Ytr[ix]
logits = model(Xb)
print(Xb.shape)
print(Xb)

for layer in model.layers:
    print(layer.__class__.__name__, ':', tuple(layer.out.shape))
layer_shapes = [tuple(layer.out.shape) for layer in model.layers]

print(model.layers[3].running_mean.shape)

e = torch.randn(4, 8, 10)  # goal: want this to be (4, 4, 20) where consecutive 10-d vectors get concatenated
print(torch.cat([e[:, ::2, :], e[:, 1::2, :]], dim=2).shape)
print((e.view(4, 4, 20) == torch.cat([e[:, ::2, :], e[:, 1::2, :]], dim=2)).all())

# same optimization as last time
max_steps = 300
batch_size = 32
lossi = []

for i in range(max_steps):

    # minibatch construct
    ix = torch.randint(0, Xtr.shape[0], (batch_size,))
    Xb, Yb = Xtr[ix], Ytr[ix]  # batch X,Y

    # forward pass
    logits = model(Xb)
    loss = F.cross_entropy(logits, Yb)  # loss function

    # backward pass
    for p in parameters:
        p.grad = None
    loss.backward()

    # update: simple SGD
    lr = 0.1 if i < max_steps * 3 // 4 else 0.01  # step learning rate decay
    for p in parameters:
        p.data += -lr * p.grad

    # track stats
    if i % 100 == 0:  # print every once in a while
        print(f'{i:7d}/{max_steps:7d}: {loss.item():.4f}')
    lossi.append(loss.log10().item())

plt.plot(torch.tensor(lossi).view(-1, 100).mean(1))
plt.close('all')

# put layers into eval mode (needed for batchnorm especially)
for layer in model.layers:
    layer.training = False


# evaluate the loss
@torch.no_grad()  # this decorator disables gradient tracking inside pytorch
def split_loss(split):
    x, y = {
        'train': (Xtr, Ytr),
        'val': (Xdev, Ydev),
        'test': (Xte, Yte),
    }[split]
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    print(split, loss.item())
    return loss.item()


split_loss('train')
split_loss('val')

# sample from the model
samples = []
for _ in range(10):

    out = []
    context = [0] * block_size  # initialize with all ...
    while True:
        # forward pass the neural net
        logits = model(torch.tensor([context]))
        probs = F.softmax(logits, dim=1)
        # sample from the distribution
        ix = torch.multinomial(probs, num_samples=1).item()
        # shift the context window and track the samples
        context = context[1:] + [ix]
        out.append(ix)
        # if we sample the special '.' token, break
        if ix == 0:
            break

    samples.append(''.join(itos[i] for i in out))
    print(''.join(itos[i] for i in out))  # decode and print the generated word
'''


# -- part 1: bigram counts, then the same model as a one-layer net -------------------------------
def test_part1_bigram_counts_and_neural_net(names, part1):
    ns, out = part1
    on_ember(ns)
    N, P = ns["N"], ns["P"]
    assert N.dtype == ns["torch"].int32 and N.shape == (27, 27)
    counts = collections.Counter()
    for w in names:
        chs = ["."] + list(w) + ["."]
        counts.update(zip(chs, chs[1:]))
    stoi = ns["stoi"]
    want = np.zeros((27, 27), dtype=np.int32)
    for (a, b), c in counts.items():
        want[stoi[a], stoi[b]] = c
    np.testing.assert_array_equal(N.numpy(), want)
    np.testing.assert_allclose(P.sum(1).numpy(), 1.0, rtol=1e-6)
    # the counting model's average NLL, computed independently in float64
    smoothed = (want + 1) / (want + 1).sum(1, keepdims=True)
    xs, ys = ns["xs"].numpy(), ns["ys"].numpy()
    assert ns["num"] == len(xs) == sum(len(w) + 1 for w in names)
    assert ns["count_nll"] == pytest.approx(-np.log(smoothed[xs, ys]).mean(), rel=1e-5)
    # gradient descent on W approaches the counting model's loss, monotonically
    losses = ns["losses"]
    assert all(b < a for a, b in zip(losses, losses[1:]))
    assert losses[-1] < ns["count_nll"] + 0.05
    assert all(s.endswith(".") for s in ns["samples"])


def test_part1_matches_pytorch(names, part1):
    real = pytest.importorskip("torch")
    ns_e, out_e = part1
    ns_t, out_t = run(PART1, "torch")
    assert structure(out_e) == structure(out_t)
    # torch.Generator().manual_seed(2147483647) gives PyTorch's stream: the sampled names
    # are the lecture's own
    names_e = [ln for ln in out_e.splitlines() if re.fullmatch(r"[a-z]*\.", ln)]
    assert names_e and names_e == [ln for ln in out_t.splitlines() if re.fullmatch(r"[a-z]*\.", ln)]
    assert ns_e["count_nll"] == pytest.approx(ns_t["count_nll"], rel=1e-6)
    np.testing.assert_array_equal(ns_e["N"].numpy(), ns_t["N"].numpy())
    # the notebook's loss and gradient, from ember's trained W, in both libraries
    results = []
    for lib, ns in (("ember", ns_e), ("torch", ns_t)):
        m = ns_e["torch"] if lib == "ember" else real
        W = m.tensor(np_of(ns_e["W"]), requires_grad=True)
        xs, ys = m.tensor(ns_e["xs"].numpy()), m.tensor(ns_e["ys"].numpy())
        xenc = m.nn.functional.one_hot(xs, num_classes=27).float()
        counts = (xenc @ W).exp()
        probs = counts / counts.sum(1, keepdims=True)
        loss = -probs[m.arange(len(xs)), ys].log().mean() + 0.01 * (W**2).mean()
        loss.backward()
        results.append((loss.item(), W.grad.numpy()))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-4, atol=1e-7)


# -- part 2: the MLP (Bengio et al. 2003) ---------------------------------------------------------
def _mlp_losses(m, p, X, Y):
    """The notebook's evaluation (emb.view(-1, 30) @ W1 ...) and its gradients in library m."""
    C, W1, b1, W2, b2 = (m.tensor(a, requires_grad=True) for a in p)
    emb = C[m.tensor(X)]
    h = m.tanh(emb.view(-1, 30) @ W1 + b1)
    loss = m.nn.functional.cross_entropy(h @ W2 + b2, m.tensor(Y))
    loss.backward()
    return loss.item(), [t.grad.numpy() for t in (C, W1, b1, W2, b2)]


def test_part2_mlp(names):
    real = pytest.importorskip("torch")
    ns, out = run(PART2)
    on_ember(ns)
    assert tuple(ns["Xtr"].shape) == (len(ns["Ytr"]), 3) and ns["Xtr"].dtype == ns["torch"].int64
    assert sum(p.nelement() for p in ns["parameters"]) == 11897
    assert tuple(ns["emb"].shape) == (1, 3, 10)
    assert ns["lrs"].shape == (1000,) and ns["lrs"][0].item() == pytest.approx(1e-3)
    lossi = np.array(ns["lossi"])
    assert lossi[-200:].mean() < lossi[:20].mean() - 0.2  # log10 of the minibatch loss
    assert ns["train_loss"] < min(2.8, 10 ** lossi[0] / 3) and np.isfinite(ns["val_loss"])
    assert all(s.endswith(".") for s in ns["samples"])
    # same structure of printed output as on PyTorch
    ns_t, out_t = run(PART2.replace("range(1000)", "range(20)"), "torch")
    assert structure(out) == structure(out_t)
    # the trained weights give the same loss and gradients in PyTorch
    p = [np_of(ns[k]) for k in ("C", "W1", "b1", "W2", "b2")]
    X, Y = ns["Xtr"].numpy(), ns["Ytr"].numpy()
    (le, ge), (lt, gt) = _mlp_losses(ns["torch"], p, X, Y), _mlp_losses(real, p, X, Y)
    assert le == pytest.approx(ns["train_loss"], rel=1e-6)
    assert le == pytest.approx(lt, rel=1e-5)
    for a, b in zip(ge, gt):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-6)


# -- part 3: activations, gradients, BatchNorm ----------------------------------------------------
def test_part3_batchnorm_and_diagnostics(names):
    real = pytest.importorskip("torch")
    ns, out = run(PART3)
    on_ember(ns)
    names_ = ("C", "W1", "W2", "b2", "bngain", "bnbias", "bnmean_running", "bnstd_running")
    arrays = {k: np_of(ns[k]) for k in names_}  # the BatchNorm MLP, before the deep net
    ns, out_deep = run(PART3_DEEP, ns=ns)
    e = ns["torch"]
    # the hand-written BatchNorm MLP trained and its running statistics were tracked
    assert ns["bnmean_running"].shape == (1, 200) and not ns["bnmean_running"].requires_grad
    assert float((ns["bnstd_running"] - 1).abs().mean()) > 0.02  # moved from ones
    # the deep Linear/BatchNorm1d/Tanh stack: retained activation gradients, update ratios
    layers, parameters, ud = ns["layers"], ns["parameters"], ns["ud"]
    assert len(layers) == 17 and sum(p.nelement() for p in parameters) == 47024
    # the retained gradients of the Tanh outputs were printed after training
    grads = re.findall(r"^layer \d+ \(      Tanh\): mean [+-]0\.0000\d\d, std (\S+)$", out_deep,
                       re.M)
    assert len(grads) == 5 and all(1e-4 < float(g) < 1e-1 for g in grads)
    assert np.array(ud).shape == (200, len(parameters))
    assert -4.5 < np.array(ud)[-1].mean() < -1.0
    lossi = np.array(ns["lossi"])
    assert lossi[-50:].mean() < lossi[:5].mean() - 0.05
    for layer in layers[2:-1:3]:  # the Tanh outputs: a healthy std, few saturated units
        t = layer.out
        assert 0.4 < float(t.std()) < 0.9 and float((t.abs() > 0.97).float().mean()) < 0.2
    hy, hx = e.histogram(layers[2].out, density=True)
    assert hy.shape == (100,) and hx.shape == (101,)
    assert float((hy * (hx[1:] - hx[:-1])).sum()) == pytest.approx(1.0, rel=1e-4)
    assert all(s.endswith(".") for s in ns["samples"])
    assert re.search(r"layer 2 \(      Tanh\): mean [+-]\d\.\d\d, std \d\.\d\d, saturated: "
                     r"\d+\.\d\d%", out_deep)
    # PyTorch's histogram of the same activations, and its BatchNorm-MLP loss from ember's weights
    t = np_of(layers[5].out)
    th, tx = real.histogram(real.tensor(t), density=True)
    eh, ex = e.histogram(e.tensor(t), density=True)
    np.testing.assert_allclose(ex.numpy(), tx.numpy(), rtol=1e-6)
    np.testing.assert_allclose(eh.numpy(), th.numpy(), rtol=1e-4)
    Xd, Yd = ns["Xdev"].numpy(), ns["Ydev"].numpy()

    def val_loss(m):
        a = {k: m.tensor(v) for k, v in arrays.items()}
        emb = a["C"][m.tensor(Xd)]
        hpreact = emb.view(emb.shape[0], -1) @ a["W1"]
        hpreact = a["bngain"] * (hpreact - a["bnmean_running"]) / a["bnstd_running"] + a["bnbias"]
        logits = m.tanh(hpreact) @ a["W2"] + a["b2"]
        return m.nn.functional.cross_entropy(logits, m.tensor(Yd)).item()

    assert val_loss(e) == pytest.approx(val_loss(real), rel=1e-5)
    assert re.search(r"^val (\S+)$", out, re.M).group(1) == str(val_loss(e))


def test_part3_printed_structure_matches_pytorch(names):
    pytest.importorskip("torch")
    src = (PART3 + PART3_DEEP).replace("range(max_steps)", "range(3)").replace(
        "max_steps = 200", "max_steps = 3")
    _, out_e = run(src)
    _, out_t = run(src, "torch")
    # (the signs of means near zero are random: '+' is masked away with the numbers)
    norm = [ln.replace("+", "") for ln in structure(out_e)]
    assert norm == [ln.replace("+", "") for ln in structure(out_t)]


# -- part 4: becoming a backprop ninja ------------------------------------------------------------
def test_part4_manual_backprop_matches_autograd(names, part4):
    ns, out = part4
    on_ember(ns)
    results = ns["results"]
    assert len(results) == 26  # every variable of exercise 1 (logits, hprebn again in 2, 3)
    assert all(app for _, app, _ in results.values()), out
    # exercise 1's chain through the cross entropy is bit-exact (as on PyTorch)
    for k in ("logprobs", "probs", "counts_sum_inv", "counts_sum", "counts", "norm_logits",
              "logit_maxes", "h", "W2", "b2"):
        assert results[k][0] is True and results[k][2] == 0.0, k
    assert max(d for _, _, d in results.values()) < 1e-6
    assert ns["bn_fast_maxdiff"] < 1e-5
    assert "approximate: True " in out and "approximate: False" not in out


def test_part4_matches_pytorch(names, part4):
    real = pytest.importorskip("torch")
    ns_e, out_e = part4
    ns_t, out_t = run(PART4, "torch")

    def exact_masked(text):  # ember is bit-exact on more lines than PyTorch (see below)
        return [re.sub(r"exact:(True|False)", "exact:?", ln) for ln in structure(text)]

    assert exact_masked(out_e) == exact_masked(out_t)
    # wherever PyTorch's autograd equals the manual gradient bit for bit, ember's does too
    re_, rt = ns_e["results"], ns_t["results"]
    assert re_.keys() == rt.keys()
    for k in rt:
        assert rt[k][1] and re_[k][1]
        if rt[k][0]:
            assert re_[k][0], k
    # ember's manual gradients (from the notebook) equal PyTorch autograd from the same weights
    e = ns_e["torch"]
    w = {k: np_of(ns_e[k]) for k in ("C", "W1", "b1", "W2", "b2", "bngain", "bnbias")}
    t = {k: real.tensor(v, requires_grad=True) for k, v in w.items()}
    Xb, Yb = real.tensor(ns_e["Xb"].numpy()), real.tensor(ns_e["Yb"].numpy())
    emb = t["C"][Xb]
    hprebn = emb.view(emb.shape[0], -1) @ t["W1"] + t["b1"]
    bnraw = (hprebn - hprebn.mean(0, keepdim=True)) / (hprebn.var(0, keepdim=True) + 1e-5) ** 0.5
    h = real.tanh(t["bngain"] * bnraw + t["bnbias"])
    loss = real.nn.functional.cross_entropy(h @ t["W2"] + t["b2"], Yb)
    loss.backward()
    assert loss.item() == pytest.approx(ns_e["loss"].item(), rel=1e-5)
    for k, d in (("C", "dC"), ("W1", "dW1"), ("b1", "db1"), ("W2", "dW2"), ("b2", "db2"),
                 ("bngain", "dbngain"), ("bnbias", "dbnbias")):
        np.testing.assert_allclose(np_of(ns_e[d]), t[k].grad.numpy(), rtol=1e-4, atol=1e-6)
    assert isinstance(ns_e[d], e.Tensor)


def test_part4_training_with_manual_backward(names, part4):
    ns, out = run(PART4_TRAIN, ns=part4[0])
    on_ember(ns)
    lossi = np.array(ns["lossi"])
    assert len(lossi) == 200 and lossi[-50:].mean() < lossi[:5].mean() - 0.1
    assert all(p.grad is None for p in ns["parameters"])  # only the manual gradients were used
    assert re.search(r"^train \d\.\d+$", out, re.M) and re.search(r"^val \d\.\d+$", out, re.M)
    assert all(s.endswith(".") for s in ns["samples"])


# -- part 5: a WaveNet ----------------------------------------------------------------------------
def test_part5_wavenet(names):
    ns, out = run(PART5 + PART5_MODEL + PART5_TRAIN)
    on_ember(ns)
    assert ns["layer_shapes"] == [
        (4, 8, 10), (4, 4, 20), (4, 4, 68), (4, 4, 68), (4, 4, 68), (4, 2, 136), (4, 2, 68),
        (4, 2, 68), (4, 2, 68), (4, 136), (4, 68), (4, 68), (4, 68), (4, 27)]
    model = ns["model"]
    assert tuple(model.layers[3].running_mean.shape) == (1, 1, 68)
    assert tuple(model.layers[11].running_mean.shape) == (1, 68)
    assert "tensor(True)" in out  # view(4, 4, 20) == cat of the even and odd steps
    lossi = np.array(ns["lossi"])
    assert lossi[-100:].mean() < lossi[:10].mean() - 0.15
    assert all(s.endswith(".") for s in ns["samples"])


def test_part5_eval_logits_match_pytorch(names):
    real = pytest.importorskip("torch")
    ns_e, out_e = run(PART5 + PART5_MODEL + PART5_TRAIN.replace("max_steps = 300",
                                                                "max_steps = 100"))
    ns_t, out_t = run(PART5 + PART5_MODEL, "torch")
    assert structure(out_t) == structure(out_e)[:len(structure(out_t))]
    me, mt = ns_e["model"], ns_t["model"]
    with real.no_grad():
        for pe, pt in zip(me.parameters(), mt.parameters()):
            pt.copy_(real.tensor(np_of(pe)))
        for le, lt in zip(me.layers, mt.layers):
            if hasattr(le, "running_mean"):
                lt.running_mean = real.tensor(np_of(le.running_mean))
                lt.running_var = real.tensor(np_of(le.running_var))
            lt.training = False
    Xd = ns_e["Xdev"]
    le = me(Xd)
    lt = mt(real.tensor(Xd.numpy()))
    np.testing.assert_allclose(le.detach().numpy(), lt.detach().numpy(), rtol=1e-4, atol=1e-5)
