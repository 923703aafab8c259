# ruff: noqa: E501  (the notebook's code keeps its own long lines)
"""NYU Deep Learning (Atcold/NYU-DLSP20): 12-regularization on ember.

The notebook's code cells in order (``# %%`` separates cells), imports rewritten only, run
Jupyter style by ``_nyu.run_notebook``. Deviations:

- the legacy ``torchtext`` cells (``from torchtext import data, datasets``, ``Field``,
  ``datasets.IMDB``, ``build_vocab``, the vocabulary printouts, ``BucketIterator``; torchtext's
  legacy API is gone and not installed) are replaced by one stand-in cell that builds
  ``train_loader`` / ``valid_loader`` / ``test_loader`` of batches with ``.text`` (80 token ids
  from a 1002-word vocabulary), ``.label`` (float) and ``.fields``, from generated "reviews"
  (positive ones use token 7 often): 10 / 2 / 2 batches of 16 (the notebook's batch_size is 64);
- ``%matplotlib inline`` and the ``isinstance(train_loader, collections.Iterable)`` cell
  (``collections.Iterable`` is gone since Python 3.10) are left out;
- the notebook's toggles are run the way its comments say: no regularisation, then "Toggle 1"
  (L1 on fc1 added to the loss), then "Toggle 2" (Adam with ``weight_decay=0.005``), each from a
  new model, so that the last cell's histogram has ``weights_nothing``, ``weights_L1`` and
  ``weights_L2`` (Toggle 3, ``torch.dropout(out, 0.8)``, lacks ``dropout``'s ``train`` argument
  on PyTorch too and is left commented out).
"""
import re

import numpy as np
import pytest
from _harness import normalise
from _nyu import cells, inject, run_notebook

pytestmark = [pytest.mark.filterwarnings("ignore:FigureCanvasAgg is non-interactive")]

HEAD = cells('''
# Critical plotting imports
import matplotlib.pyplot as plt

# PyTorch imports
import torch
import torch.nn as nn
import torch.nn.functional as F

# Checking for iterable objects
import collections
import random
# %%
# Set seed
torch.manual_seed(1337)
if torch.cuda.is_available():
    torch.cuda.manual_seed_all(1337)
# %%
# Set plotting style
plt.style.use(('dark_background', 'bmh'))
plt.rc('axes', facecolor='none')
plt.rc('figure', figsize=(16, 4))
# %%
# (stand-in for the torchtext IMDB cells, see the module docstring)
import types
import numpy as np
max_len = 80
num_words = 1000
batch_size = 16
def _loader(n_batches, seed):
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(n_batches):
        label = rng.integers(0, 2, batch_size)
        text = rng.integers(2, num_words + 2, (batch_size, max_len))
        text[:, ::3] = np.where(label[:, None] == 1, 7, text[:, ::3])
        batches.append(types.SimpleNamespace(text=torch.tensor(text), label=torch.tensor(label).float(),
                                             fields=dict.fromkeys(['text', 'label'])))
    return batches
train_loader, valid_loader, test_loader = _loader(10, 0), _loader(2, 1), _loader(2, 2)
# %%
test_batch = next(train_loader.__iter__())
# %%
# What methods can we call on this batch object? Text and label
test_batch.fields
# %%
# Let's break this down to check what's in a batch
test_batch.text
# %%
# 1 comment per batch, each comment is limited to a size of 80 as we've defined
test_batch.text.size()
# %%
test_batch.label
# %%
# Extremely weird problem in torchtext where BucketIterator returns a Batch object versus just a simple tuple of tensors containing our text index and labels
# So let's fix this with a new class FixBatchGenerator

class FixBatchGenerator:
    def __init__(self, dl, x_field, y_field):
        self.dl, self.x_field, self.y_field = dl, x_field, y_field

    def __len__(self):
        return len(self.dl)

    def __iter__(self):
        for batch in self.dl:
            X = getattr(batch, self.x_field)
            y = getattr(batch, self.y_field)
            yield (X,y)

train_loader, valid_loader, test_loader = FixBatchGenerator(train_loader, 'text', 'label'), FixBatchGenerator(valid_loader, 'text', 'label'), FixBatchGenerator(test_loader, 'text', 'label')
# %%
# Text index
print(next(train_loader.__iter__())[0])

# Text label
print(next(train_loader.__iter__())[1])
# %%
class FeedforwardNeuralNetModel(nn.Module):
    def __init__(self, input_dim, embedding_dim, hidden_dim, output_dim):
        super(FeedforwardNeuralNetModel, self).__init__()
        # Embedding layer
        self.embedding = nn.Embedding(input_dim, embedding_dim)

        # Linear function
        self.fc1 = nn.Linear(embedding_dim*embedding_dim, hidden_dim)

        # Linear function (readout)
        self.fc2 = nn.Linear(hidden_dim, output_dim)

    def forward(self, x):
        # Embedding
        embedded = self.embedding(x)
        embedded = embedded.view(-1, embedding_dim*embedding_dim)
        # Linear function
        out = self.fc1(embedded)

        # Non-linearity
        out = torch.relu(out)

        # Toggle 3: Dropout
        # out = torch.dropout(out, 0.8)

        # Linear function (readout)
        # Take note here use a final sigmoid function so your loss should not go through sigmoid again.
        # BCELoss is the right class to use as it doesn't pass your output through a sigmoid function again.
        # In multi-class problems you're used to softmax which can be simplified to a logistic,
        # function when you have a two-class problem.
        out = self.fc2(out)
        out = torch.sigmoid(out)

        return out
''')

MODEL, PARAMS, TRAIN, PLOTS, WEIGHTS = cells('''
input_dim = num_words + 2
embedding_dim = max_len
hidden_dim = 32
output_dim = 1

# Instantiate model class and assign to object
model = FeedforwardNeuralNetModel(input_dim, embedding_dim, hidden_dim, output_dim)

# Push model to CUDA device if available
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
model.to(device)

# Loss function
criterion = nn.BCELoss()

# Optimizer
# Toggle 2: L2 Norm option - this is called weight decay
# optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=0.005)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
# %%
# Number of groups of parameters
print('Number of groups of parameters {}'.format(len(list(model.parameters()))))
print('-'*50)
# Print parameters
for i in range(len(list(model.parameters()))):
    print(list(model.parameters())[i].size())
print('-'*50)
# %%
iter = 0
num_epochs = 10
history_train_acc, history_val_acc, history_train_loss, history_val_loss = [], [], [], []
best_accuracy = 0
for epoch in range(num_epochs):
#     print('-'*50)
    for i, (samples, labels) in enumerate(train_loader):
        # Training mode
        model.train()

        # Load samples
        samples = samples.view(-1, max_len).to(device)
        labels = labels.view(-1, 1).to(device)

        # Clear gradients w.r.t. parameters
        optimizer.zero_grad()

        # Forward pass to get output/logits
        outputs = model(samples)

        # Calculate Loss: softmax --> cross entropy loss
        loss = criterion(outputs, labels)

        # Toggle 1: L1 norm, add to original loss
        # fc1_params = torch.cat([x.view(-1) for x in model.fc1.parameters()])
        # loss += 0.001 * torch.norm(fc1_params, 1)

        # Getting gradients w.r.t. parameters
        loss.backward()

        # Updating parameters
        optimizer.step()

        iter += 1

        if iter % 100 == 0:
            # Get training statistics
            train_loss = loss.data.item()

            # Testing mode
            model.eval()
            # Calculate Accuracy
            correct = 0
            total = 0
            # Iterate through test dataset
            for samples, labels in valid_loader:
                # Load samples
                samples = samples.view(-1, max_len).to(device)
                labels = labels.view(-1).to(device)

                # Forward pass only to get logits/output
                outputs = model(samples)

                # Val loss
                val_loss = criterion(outputs.view(-1, 1), labels.view(-1, 1))

                # We use a threshold to define.
                # There is another way to do this with one-hot label. Feel free to explore and understand what are the pros/cons of each.
                # This opens up a whole topic on why it becomes problematic when we expand beyond 2 class to 10 classes.
                # Why do we encode? Why can't we do 0, 1, 2, 3, 4 etc. without one-hot encoding?
                predicted = outputs.ge(0.5).view(-1)

                # Total number of labels
                total += labels.size(0)

                # Total correct predictions
                correct += (predicted.type(torch.FloatTensor).cpu() == labels.type(torch.FloatTensor)).sum().item()
                # correct = (predicted == labels.byte()).int().sum().item()

            accuracy = 100. * correct / total

            # Print Loss
            print('Iter: {} | Train Loss: {} | Val Loss: {} | Val Accuracy: {}'.format(iter, train_loss, val_loss.item(), round(accuracy, 2)))

            # Append to history
            history_val_loss.append(val_loss.data.item())
            history_val_acc.append(round(accuracy, 2))
            history_train_loss.append(train_loss)

            # Save model when accuracy beats best accuracy
            if accuracy > best_accuracy:
                best_accuracy = accuracy
                # We can load this best model on the validation set later
                torch.save(model.state_dict(), 'best_model.pth')
# %%
# Plotting loss graph
plt.plot(history_train_loss, label='Train')
plt.plot(history_val_loss, label='Validation')
plt.title('Loss Graph')
plt.legend()
plt.show()
# %%
weights = torch.Tensor().to(device)
for param_group in list(model.parameters()):
    weights = torch.cat((param_group.view(-1), weights))
    print(param_group.size())

# Toggle 0: No regularization
weights_nothing = weights.cpu().detach().numpy()

# Toggle 1: L1 norm on FC1
# weights_L1 = weights.detach().numpy()

# Toggle 2: L2 norm
# weights_L2 = weights.detach().numpy()

# Toggle 3: dropout
# weights_dropout = weights.detach().numpy()
''')

TAIL = cells('''
# Plotting validation accuracy graph
plt.plot(history_val_acc)
plt.title('Validation Accuracy')
# %%
# Show weight distribution
plt.hist((
    weights_nothing.reshape(-1),
    weights_L1.reshape(-1),
    weights_L2.reshape(-1),
), 49, range=(-.5, .5), label=(
    'No-reg',
    'L1',
    'L2',
))
plt.legend();
''')


def _toggle(cell, on, off=None):
    cell = cell.replace("# " + on, on)
    return cell.replace(off, "# " + off) if off else cell


L2_OPT = "optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=0.005)"
PLAIN_OPT = "optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)"
NOTHING = "weights_nothing = weights.cpu().detach().numpy()"
NOTEBOOK = (HEAD + [MODEL, PARAMS, TRAIN, PLOTS, WEIGHTS]
            # Toggle 1: L1 on fc1's parameters, a new model
            + [MODEL, _toggle(_toggle(TRAIN, "fc1_params = torch.cat"), "loss += 0.001"),
               _toggle(WEIGHTS, "weights_L1 = ", NOTHING)]
            # Toggle 2: weight decay, a new model
            + [_toggle(MODEL, L2_OPT, PLAIN_OPT), TRAIN, _toggle(WEIGHTS, "weights_L2 = ", NOTHING)]
            + TAIL)
MODEL_CELLS = [k for k, c in enumerate(NOTEBOOK) if c.startswith("input_dim = num_words + 2")]


def _runs():
    runs = {}
    try:
        import torch  # noqa: F401
    except ImportError:
        return {"ember": run_notebook(NOTEBOOK)}
    import ember

    src = NOTEBOOK
    for k in MODEL_CELLS:
        src = inject(src, k, "model.to(device)", "_start(model)")
    starts = []
    runs["torch"] = run_notebook(src, "torch", {"_start": lambda m: starts.append(
        {k: v.detach().numpy().copy() for k, v in m.state_dict().items()})})
    feed = iter(starts)
    runs["ember"] = run_notebook(src, "ember", {"_start": lambda m: m.load_state_dict(
        {k: ember.tensor(v) for k, v in next(feed).items()})})
    return runs


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    where = tmp_path_factory.mktemp("regularization")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(where)
        out = _runs()
    out["dir"] = where
    return out


ITER = r"Iter: 100 \| Train Loss: (\S+) \| Val Loss: (\S+) \| Val Accuracy: (\S+)\n"


def test_regularization_runs_on_ember(runs):
    ns, outs = runs["ember"]
    torch = ns["torch"]
    assert outs[5] == "{'text': None, 'label': None}\n" and outs[7] == "ember.Size([16, 80])\n"
    assert outs[MODEL_CELLS[0] + 1] == ("Number of groups of parameters 5\n" + "-" * 50 + "\nember.Size([1002, 80])\n"
                                        "ember.Size([32, 6400])\nember.Size([32])\nember.Size([1, 32])\nember.Size([1])\n" + "-" * 50 + "\n")
    trains = [o for o in outs if o.startswith("Iter: 100 |")]
    assert len(trains) == 3 and all(re.fullmatch(ITER, o) for o in trains)
    assert all(float(re.fullmatch(ITER, o).group(3)) > 60 for o in trains)   # it learns token 7
    sizes = [ns[f"weights_{w}"].size for w in ("nothing", "L1", "L2")]
    assert sizes == [1002 * 80 + 32 * 6400 + 32 + 32 + 1] * 3
    best = torch.load(runs["dir"] / "best_model.pth")
    assert list(best) == ["embedding.weight", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert ns["weights_L1"].dtype == np.float32


def test_regularization_trains_like_pytorch(runs):
    """From the same initial weights the three runs (plain, L1 added to the loss, weight decay)
    print the same training/validation losses and accuracies; everything else is identical."""
    pytest.importorskip("torch")
    (tns, theirs), (ens, ours) = runs["torch"], runs["ember"]
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        if a.startswith("Iter: "):
            x = np.array(re.fullmatch(ITER, a).groups(), float)
            y = np.array(re.fullmatch(ITER, b).groups(), float)
            # 100 Adam steps: float32 rounding grows on rarely-seen embedding rows
            np.testing.assert_allclose(x, y, rtol=1e-2)
        else:
            assert normalise(a) == b
    for w in ("nothing", "L1", "L2"):
        np.testing.assert_allclose(ens[f"weights_{w}"], tns[f"weights_{w}"], atol=1e-2)


@pytest.mark.parametrize("toggle", ["none", "L1", "L2"])
def test_regularization_steps_like_pytorch(runs, toggle):
    """Five steps of the notebook's model, loss and optimiser (L1 term / weight decay as the
    toggles add them) from the same weights: losses and weights agree tightly."""
    torch = pytest.importorskip("torch")
    import ember

    (tns, _), (ens, _) = runs["torch"], runs["ember"]
    ref = tns["FeedforwardNeuralNetModel"](1002, 80, 32, 1)
    mine = ens["FeedforwardNeuralNetModel"](1002, 80, 32, 1)
    mine.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    batches = [(b.text.numpy(), b.label.numpy()) for b in tns["train_loader"].dl[:5]]
    res = []
    for lib, model in ((torch, ref), (ember, mine)):
        opt = lib.optim.Adam(model.parameters(), lr=1e-3, weight_decay=0.005 if toggle == "L2" else 0)
        losses = []
        for text, label in batches:
            opt.zero_grad()
            loss = lib.nn.BCELoss()(model(lib.from_numpy(text)), lib.from_numpy(label).view(-1, 1))
            if toggle == "L1":
                fc1_params = lib.cat([x.view(-1) for x in model.fc1.parameters()])
                loss += 0.001 * lib.norm(fc1_params, 1)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        res.append((losses, [p.detach().numpy() for p in model.parameters()]))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=5e-5)  # (L1: a float32 sum of 204,800 terms)
    for a, b in zip(res[1][1], res[0][1]):
        np.testing.assert_allclose(a, b, atol=2e-5)
