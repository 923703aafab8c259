# ruff: noqa: E501  (the notebooks' code keeps its own long lines)
"""NYU Deep Learning (Atcold/NYU-DLSP20): 08-seq_classification and 09-echo_data on ember.

Each notebook's code cells in order (``# %%`` separates cells), imports rewritten only, run
Jupyter style by ``_nyu.run_notebook``; the course's ``res/sequential_tasks.py`` and
``res/plot_lib.py`` are inlined in ``_nyu.py``. Shrunk for test time: 08's 10-epoch runs are 2
epochs and its 100-epoch runs 3 (``verbose=False``); 09's series is 2,000 steps long (20,000)
and trains 2 epochs (5). The data generators are NumPy's (seeded by the notebook for 08; the
tests seed NumPy for 09), so both libraries see the same data; the models are built from the
same (PyTorch's) initial weights for the comparisons.
"""
import random
import re

import numpy as np
import pytest
from _harness import normalise
from _nyu import cells, install_res, loader, recorder, run_notebook, with_starts

pytestmark = [pytest.mark.filterwarnings("ignore:More than 20 figures"),
              pytest.mark.filterwarnings("ignore:FigureCanvasAgg is non-interactive")]

# ------------------------------------------------------------------------ 08-seq_classification
SEQ_CLASSIFICATION = cells('''
from res.sequential_tasks import TemporalOrderExp6aSequence
# %%
# Create a data generator.
example_generator = TemporalOrderExp6aSequence.get_predefined_generator(
    # The first argument is the difficulty level of the classification task.
    difficulty_level=TemporalOrderExp6aSequence.DifficultyLevel.EASY,
    # The second argument is the number of sequences generated in each batch of data.
    batch_size=32,
)

example_batch = example_generator[1]
print(f'The return type is a {type(example_batch)} with length {len(example_batch)}.')
print(f'The first item in the tuple is the batch of sequences with shape {example_batch[0].shape}.')
print(f'The first element in the batch of sequences is:\\n {example_batch[0][0, :, :]}')
print(f'The second item in the tuple is the corresponding batch of class labels with shape {example_batch[1].shape}.')
print(f'The first element in the batch of class labels is:\\n {example_batch[1][0, :]}')
# %%
# Decoding the first sequence.
sequence_decoded = example_generator.decode_x(example_batch[0][0, :, :])
print(f'The sequence is: {sequence_decoded}')

# Decoding the class label of the first sequence.
class_label_decoded = example_generator.decode_y(example_batch[1][0])
print(f'The class label is: {class_label_decoded}')
# %%
import torch
import torch.nn as nn

# Set the random seed for reproducible results.
torch.manual_seed(1)

class SimpleRNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        # This just calls the base class constructor.
        super().__init__()
        # Neural network layers assigned as attributes of a Module subclass
        # have their parameters registered for training automatically.
        self.rnn = torch.nn.RNN(input_size, hidden_size, nonlinearity='relu', batch_first=True)
        self.linear = torch.nn.Linear(hidden_size, output_size)

    def forward(self, x):
        # The RNN also returns its hidden state but we don't use it.
        # While the RNN can also take a hidden state as input, the RNN
        # gets passed a hidden state initialized with zeros by default.
        x, _ = self.rnn(x)
        x = self.linear(x)
        return x

class SimpleLSTM(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.lstm = torch.nn.LSTM(input_size, hidden_size, batch_first=True)
        self.linear = torch.nn.Linear(hidden_size, output_size)

    def forward(self, x):
        x, _ = self.lstm(x)
        x = self.linear(x)
        return x
# %%
def train(model, train_data_gen, criterion, optimizer, device):
    # Set the model to training mode. This will turn on layers that would
    # otherwise behave differently during evaluation, such as dropout.
    model.train()

    # Store the number of sequences that were classified correctly.
    num_correct = 0

    # Iterate over every batch of sequences. Note that the length of a data generator
    # is defined as the number of batches required to produce a total of roughly 1000
    # sequences given a batch size.
    for batch_idx in range(len(train_data_gen)):
        # For each new batch, clear the gradient buffers of the optimized parameters.
        # Otherwise, gradients from the previous batch would be accumulated.
        optimizer.zero_grad()

        # Request a batch of sequences and class labels, convert them into tensors
        # of the correct type, and then send them to the appropriate device.
        data, target = train_data_gen[batch_idx]
        data, target = torch.from_numpy(data).float().to(device), torch.from_numpy(target).long().to(device)

        # Perform the forward pass of the model.
        output = model(data)

        # Pick only the output corresponding to last sequence element (input is pre padded)
        output = output[:, -1, :]

        # Compute the value of the loss for this batch. For loss functions like CrossEntropyLoss,
        # the second argument is actually expected to be a tensor of class indices rather than
        # one-hot encoded class labels. One approach is to take advantage of the one-hot encoding
        # of the target and call argmax along its second dimension to create a tensor of shape
        # (batch_size) containing the index of the class label that was hot for each sequence.
        target = target.argmax(dim=1)

        loss = criterion(output, target)

        loss.backward()

        optimizer.step()

        y_pred = output.argmax(dim=1)
        num_correct += (y_pred == target).int().sum().item()

    return num_correct, loss.item()
# %%
def test(model, test_data_gen, criterion, device):
    # Set the model to evaluation mode. This will turn off layers that would
    # otherwise behave differently during training, such as dropout.
    model.eval()

    # Store the number of sequences that were classified correctly.
    num_correct = 0

    # A context manager is used to disable gradient calculations during inference
    # to reduce memory usage, as we typically don't need the gradients at this point.
    with torch.no_grad():
        for batch_idx in range(len(test_data_gen)):
            data, target = test_data_gen[batch_idx]
            data, target = torch.from_numpy(data).float().to(device), torch.from_numpy(target).long().to(device)

            output = model(data)
            # Pick only the output corresponding to last sequence element (input is pre padded)
            output = output[:, -1, :]

            target = target.argmax(dim=1)
            loss = criterion(output, target)

            y_pred = output.argmax(dim=1)
            num_correct += (y_pred == target).int().sum().item()

    return num_correct, loss.item()
# %%
import matplotlib.pyplot as plt
from res.plot_lib import set_default
# %%
set_default()
# %%
def train_and_test(model, train_data_gen, test_data_gen, criterion, optimizer, max_epochs, verbose=True):
    # Automatically determine the device that PyTorch should use for computation.
    device = torch.device('cuda:0' if torch.cuda.is_available() else 'cpu')

    # Track the value of the loss function and model accuracy across epochs.
    history_train = {'loss': [], 'acc': []}
    history_test = {'loss': [], 'acc': []}

    for epoch in range(max_epochs):
        # Run the training loop and calculate the accuracy.
        # Remember that the length of a data generator is the number of batches,
        # so we multiply it by the batch size to recover the total number of sequences.
        num_correct, loss = train(model, train_data_gen, criterion, optimizer, device)
        accuracy = float(num_correct) / (len(train_data_gen) * train_data_gen.batch_size) * 100
        history_train['loss'].append(loss)
        history_train['acc'].append(accuracy)

        # Do the same for the testing loop.
        num_correct, loss = test(model, test_data_gen, criterion, device)
        accuracy = float(num_correct) / (len(test_data_gen) * test_data_gen.batch_size) * 100
        history_test['loss'].append(loss)
        history_test['acc'].append(accuracy)

        if verbose or epoch + 1 == max_epochs:
            print(f'[Epoch {epoch + 1}/{max_epochs}]'
                  f" loss: {history_train['loss'][-1]:.4f}, acc: {history_train['acc'][-1]:2.2f}%"
                  f" - test_loss: {history_test['loss'][-1]:.4f}, test_acc: {history_test['acc'][-1]:2.2f}%")

    # Generate diagnostic plots for the loss and accuracy.
    fig, axes = plt.subplots(ncols=2, figsize=(9, 4.5))
    for ax, metric in zip(axes, ['loss', 'acc']):
        ax.plot(history_train[metric])
        ax.plot(history_test[metric])
        ax.set_xlabel('epoch', fontsize=12)
        ax.set_ylabel(metric, fontsize=12)
        ax.legend(['Train', 'Test'], loc='best')
    plt.show()

    return model
# %%
# Setup the training and test data generators.
difficulty     = TemporalOrderExp6aSequence.DifficultyLevel.EASY
batch_size     = 32
train_data_gen = TemporalOrderExp6aSequence.get_predefined_generator(difficulty, batch_size)
test_data_gen  = TemporalOrderExp6aSequence.get_predefined_generator(difficulty, batch_size)

# Setup the RNN and training settings.
input_size  = train_data_gen.n_symbols
hidden_size = 4
output_size = train_data_gen.n_classes
model       = SimpleRNN(input_size, hidden_size, output_size)
criterion   = torch.nn.CrossEntropyLoss()
optimizer   = torch.optim.RMSprop(model.parameters(), lr=0.001)
max_epochs  = 2

# Train the model.
model = train_and_test(model, train_data_gen, test_data_gen, criterion, optimizer, max_epochs)
# %%
for parameter_group in list(model.parameters()):
    print(parameter_group.size())
# %%
# Setup the training and test data generators.
difficulty     = TemporalOrderExp6aSequence.DifficultyLevel.EASY
batch_size     = 32
train_data_gen = TemporalOrderExp6aSequence.get_predefined_generator(difficulty, batch_size)
test_data_gen  = TemporalOrderExp6aSequence.get_predefined_generator(difficulty, batch_size)

# Setup the RNN and training settings.
input_size  = train_data_gen.n_symbols
hidden_size = 4
output_size = train_data_gen.n_classes
model       = SimpleLSTM(input_size, hidden_size, output_size)
criterion   = torch.nn.CrossEntropyLoss()
optimizer   = torch.optim.RMSprop(model.parameters(), lr=0.001)
max_epochs  = 2

# Train the model.
model = train_and_test(model, train_data_gen, test_data_gen, criterion, optimizer, max_epochs)
# %%
for parameter_group in list(model.parameters()):
    print(parameter_group.size())
# %%
# Setup the training and test data generators.
difficulty     = TemporalOrderExp6aSequence.DifficultyLevel.EASY
batch_size     = 32
train_data_gen = TemporalOrderExp6aSequence.get_predefined_generator(difficulty, batch_size)
test_data_gen  = TemporalOrderExp6aSequence.get_predefined_generator(difficulty, batch_size)

# Setup the RNN and training settings.
input_size  = train_data_gen.n_symbols
hidden_size = 4
output_size = train_data_gen.n_classes
model       = SimpleRNN(input_size, hidden_size, output_size)
criterion   = torch.nn.CrossEntropyLoss()
optimizer   = torch.optim.RMSprop(model.parameters(), lr=0.001)
max_epochs  = 3

# Train the model.
model = train_and_test(model, train_data_gen, test_data_gen, criterion, optimizer, max_epochs, verbose=False)
# %%
# Setup the training and test data generators.
difficulty     = TemporalOrderExp6aSequence.DifficultyLevel.EASY
batch_size     = 32
train_data_gen = TemporalOrderExp6aSequence.get_predefined_generator(difficulty, batch_size)
test_data_gen  = TemporalOrderExp6aSequence.get_predefined_generator(difficulty, batch_size)

# Setup the RNN and training settings.
input_size  = train_data_gen.n_symbols
hidden_size = 4
output_size = train_data_gen.n_classes
model       = SimpleLSTM(input_size, hidden_size, output_size)
criterion   = torch.nn.CrossEntropyLoss()
optimizer   = torch.optim.RMSprop(model.parameters(), lr=0.001)
max_epochs  = 3

# Train the model.
model = train_and_test(model, train_data_gen, test_data_gen, criterion, optimizer, max_epochs, verbose=False)
# %%
import collections
import random


def evaluate_model(model, difficulty, seed=9001, verbose=False):
    # Define a dictionary that maps class indices to labels.
    class_idx_to_label = {0: 'Q', 1: 'R', 2: 'S', 3: 'U'}

    # Create a new data generator.
    data_generator = TemporalOrderExp6aSequence.get_predefined_generator(difficulty, seed=seed)

    # Track the number of times a class appears.
    count_classes = collections.Counter()

    # Keep correctly classified and misclassified sequences, and their
    # true and predicted class labels, for diagnostic information.
    correct = []
    incorrect = []

    device = torch.device('cuda:0' if torch.cuda.is_available() else 'cpu')

    model.eval()

    with torch.no_grad():
        for batch_idx in range(len(data_generator)):
            data, target = test_data_gen[batch_idx]
            data, target = torch.from_numpy(data).float().to(device), torch.from_numpy(target).long().to(device)

            data_decoded = data_generator.decode_x_batch(data.numpy())
            target_decoded = data_generator.decode_y_batch(target.numpy())

            output = model(data)
            sequence_end = torch.tensor([len(sequence) for sequence in data_decoded]) - 1
            output = output[torch.arange(data.shape[0]).long(), sequence_end, :]

            target = target.argmax(dim=1)
            y_pred = output.argmax(dim=1)
            y_pred_decoded = [class_idx_to_label[y.item()] for y in y_pred]

            count_classes.update(target_decoded)
            for i, (truth, prediction) in enumerate(zip(target_decoded, y_pred_decoded)):
                if truth == prediction:
                    correct.append((data_decoded[i], truth, prediction))
                else:
                    incorrect.append((data_decoded[i], truth, prediction))

    num_sequences = sum(count_classes.values())
    accuracy = float(len(correct)) / num_sequences * 100
    print(f'The accuracy of the model is measured to be {accuracy:.2f}%.\\n')

    # Report the accuracy by class.
    for label in sorted(count_classes):
        num_correct = sum(1 for _, truth, _ in correct if truth == label)
        print(f'{label}: {num_correct} / {count_classes[label]} correct')

    # Report some random sequences for examination.
    print('\\nHere are some example sequences:')
    for i in range(10):
        sequence, truth, prediction = correct[random.randrange(0, 10)]
        print(f'{sequence} -> {truth} was labelled {prediction}')

    # Report misclassified sequences for investigation.
    if incorrect and verbose:
        print('\\nThe following sequences were misclassified:')
        for sequence, truth, prediction in incorrect:
            print(f'{sequence} -> {truth} was labelled {prediction}')
    else:
        print('\\nThere were no misclassified sequences.')
# %%
evaluate_model(model, difficulty)
''')

SEQ_MODELS = [(k, f"model       = Simple{kind}(input_size, hidden_size, output_size)")
              for k, kind in ((9, "RNN"), (11, "LSTM"), (13, "RNN"), (14, "LSTM"))]


def _run(monkeypatch, cell_list, backend, ns=None):
    random.seed(0)          # evaluate_model's random picks of sequences to show
    np.random.seed(0)       # EchoData draws from NumPy's global generator without a seed
    install_res(monkeypatch, backend)
    return run_notebook(cell_list, backend, ns)


def _both(cell_list, marks):
    """Run the notebook on PyTorch (recording each model's initial weights) and on ember
    (loading them); without PyTorch, on ember alone. Returns {backend: (namespace, outputs)}."""
    runs = {}
    with pytest.MonkeyPatch.context() as mp:
        try:
            import torch  # noqa: F401
        except ImportError:
            runs["ember"] = _run(mp, cell_list, "ember")
            return runs
        starts = []
        src, ns = with_starts(cell_list, marks, recorder(starts))
        runs["torch"] = _run(mp, src, "torch", ns)
        src, ns = with_starts(cell_list, marks, loader(starts))
        runs["ember"] = _run(mp, src, "ember", ns)
        assert len(starts) == len(marks)
    return runs


@pytest.fixture(scope="module")
def seq_runs():
    return _both(SEQ_CLASSIFICATION, SEQ_MODELS)


def _epoch_lines(text):
    return re.findall(r"\[Epoch (\d+)/(\d+)\] loss: ([\d.]+), acc: ([\d.]+)% - test_loss: "
                      r"([\d.]+), test_acc: ([\d.]+)%", text)


def test_seq_classification_runs_on_ember(seq_runs):
    ns, outs = seq_runs["ember"]
    assert outs[1].startswith("The return type is a <class 'tuple'> with length 2.\n"
                              "The first item in the tuple is the batch of sequences with shape (32, 9, 8).")
    assert re.fullmatch(r"The sequence is: B[abcd]*[XY][abcd]*[XY][abcd]*E\nThe class label is: [QRSU]\n", outs[2])
    for k, n in ((9, 2), (11, 2), (13, 1), (14, 1)):
        assert len(_epoch_lines(outs[k])) == n
    assert outs[10] == ("torch.Size([4, 8])\ntorch.Size([4, 4])\ntorch.Size([4])\ntorch.Size([4])\n"
                        "torch.Size([4, 4])\ntorch.Size([4])\n").replace("torch", "ember")
    assert outs[12].startswith("ember.Size([16, 8])\nember.Size([16, 4])")
    assert "The accuracy of the model is measured to be" in outs[16]
    assert "Here are some example sequences:" in outs[16]


def test_seq_classification_trains_like_pytorch(seq_runs):
    """Same sequences, same initial weights: RMSprop training of SimpleRNN and SimpleLSTM prints
    the same losses and accuracies, and evaluate_model the same report."""
    pytest.importorskip("torch")
    (tns, theirs), (ens, ours) = seq_runs["torch"], seq_runs["ember"]
    for k, (a, b) in enumerate(zip(ours, theirs)):
        if k in (9, 11, 13, 14):
            ea, eb = np.array(_epoch_lines(a), float), np.array(_epoch_lines(b), float)
            np.testing.assert_allclose(ea, eb, atol=1.5e-4)
        else:
            assert a.replace("ember", "torch") == b, k
    for (name, p), q in zip(ens["model"].named_parameters(), tns["model"].parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), atol=1e-4, err_msg=name)


# -------------------------------------------------------------------------------- 09-echo_data
ECHO_DATA = cells('''
from res.sequential_tasks import EchoData
import torch
import torch.nn as nn
# import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(1);
# %%
batch_size = 5
echo_step = 3
series_length = 2_000
BPTT_T = 20

train_data = EchoData(
    echo_step=echo_step,
    batch_size=batch_size,
    series_length=series_length,
    truncated_length=BPTT_T,
)
train_size = len(train_data)

test_data = EchoData(
    echo_step=echo_step,
    batch_size=batch_size,
    series_length=series_length,
    truncated_length=BPTT_T,
)
test_size = len(test_data)
# %%
# Let's print first 20 timesteps of the first sequences to see the echo data:
print('(1st input sequence)  x:', *train_data.x_batch[0, :20], '... ')
print('(1st target sequence) y:', *train_data.y_batch[0, :20], '... ')
# %%
# batch_size different sequences are created:
print('x_batch:', *(str(d)[1:-1] + ' ...' for d in train_data.x_batch[:, :20]), sep='\\n')
print('x_batch size:', train_data.x_batch.shape)
print()
print('y_batch:', *(str(d)[1:-1] + ' ...' for d in train_data.y_batch[:, :20]), sep='\\n')
print('y_batch size:', train_data.y_batch.shape)
# %%
# In order to use RNNs data is organized into temporal
# chunks of size [batch_size, T, feature_dim]
print('x_chunk:', *train_data.x_chunks[0].squeeze(), sep='\\n')
print('1st x_chunk size:', train_data.x_chunks[0].shape)
print()
print('y_chunk:', *train_data.y_chunks[0].squeeze(), sep='\\n')
print('1st y_chunk size:', train_data.y_chunks[0].shape)
# %%
class SimpleRNN(nn.Module):
    def __init__(self, input_size, rnn_hidden_size, output_size):
        super().__init__()
        self.rnn_hidden_size = rnn_hidden_size
        self.rnn = torch.nn.RNN(
            input_size=input_size,
            hidden_size=rnn_hidden_size,
            num_layers=1,
            nonlinearity='relu',
            batch_first=True
        )
        self.linear = torch.nn.Linear(
            in_features=rnn_hidden_size,
            out_features=1
        )

    def forward(self, x, hidden):
        x, hidden = self.rnn(x, hidden)
        x = self.linear(x)
        return x, hidden
# %%
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
# %%
def train(hidden):
    model.train()

    correct = 0
    for batch_idx in range(train_size):
        data, target = train_data[batch_idx]
        data, target = torch.from_numpy(data).float().to(device), torch.from_numpy(target).float().to(device)
        optimizer.zero_grad()
        if hidden is not None: hidden.detach_()
        logits, hidden = model(data, hidden)
        loss = criterion(logits, target)
        loss.backward()
        optimizer.step()

        pred = (torch.sigmoid(logits) > 0.5)
        correct += (pred == target.byte()).int().sum().item()

    return correct, loss.item(), hidden
# %%
def test(hidden):
    model.eval()
    correct = 0
    with torch.no_grad():
        for batch_idx in range(test_size):
            data, target = test_data[batch_idx]
            data, target = torch.from_numpy(data).float().to(device), torch.from_numpy(target).float().to(device)
            logits, hidden = model(data, hidden)

            pred = (torch.sigmoid(logits) > 0.5)
            correct += (pred == target.byte()).int().sum().item()

    return correct
# %%
feature_dim = 1 #since we have a scalar series
h_units = 4

model = SimpleRNN(
    input_size=1,
    rnn_hidden_size=h_units,
    output_size=feature_dim
).to(device)
hidden = None

criterion = torch.nn.BCEWithLogitsLoss()
optimizer = torch.optim.RMSprop(model.parameters(), lr=0.001)
# %%
n_epochs = 2
epoch = 0

while epoch < n_epochs:
    correct, loss, hidden = train(hidden)
    epoch += 1
    train_accuracy = float(correct) / train_size
    print(f'Train Epoch: {epoch}/{n_epochs}, loss: {loss:.3f}, accuracy {train_accuracy:.1f}%')

#test
correct = test(hidden)
test_accuracy = float(correct) / test_size
print(f'Test accuracy: {test_accuracy:.1f}%')
# %%
# Let's try some echoing
my_input = torch.empty(1, 100, 1).random_(2).to(device)
hidden = None
my_out, _ = model(my_input, hidden)
print(my_input.view(1, -1).byte(), (my_out > 0).view(1, -1), sep='\\n')
''')

ECHO_MODELS = [(9, ").to(device)")]


@pytest.fixture(scope="module")
def echo_runs():
    return _both(ECHO_DATA, ECHO_MODELS)


def test_echo_data_runs_on_ember(echo_runs):
    ns, outs = echo_runs["ember"]
    assert re.fullmatch(r"\(1st input sequence\)  x:( [01]){20} ... \n\(1st target sequence\) y: 0 0 0( [01]){17} ... \n", outs[2])
    assert outs[4].endswith("1st y_chunk size: (5, 20, 1)\n")
    lines = outs[10].splitlines()
    assert [line.split(",")[0] for line in lines[:2]] == ["Train Epoch: 1/2", "Train Epoch: 2/2"]
    assert lines[2].startswith("Test accuracy: ")
    assert ns["hidden"] is None and ns["my_out"].shape == (1, 100, 1)
    assert outs[11].startswith("tensor([[") and "dtype=ember.uint8)\ntensor([[" in outs[11]


def test_echo_data_trains_like_pytorch(echo_runs):
    """Same series (NumPy seeded alike), same initial weights: truncated-BPTT training with the
    carried (detach_-ed) hidden state prints the same losses and accuracies."""
    pytest.importorskip("torch")
    (tns, theirs), (ens, ours) = echo_runs["torch"], echo_runs["ember"]
    for k in range(10):
        assert ours[k] == theirs[k], k
    nums = [re.findall(r"\d+\.\d+", o) for o in (ours[10], theirs[10])]
    np.testing.assert_allclose(np.array(nums[0], float), np.array(nums[1], float), atol=1.1e-3)
    def bits(text):   # the random input bits (and what the model echoes) masked
        return re.sub(r"\s+", "", re.sub(r"\b(True|False|0|1)\b", "#", normalise(text)))

    assert bits(ours[11]) == bits(theirs[11])
    for (name, p), q in zip(ens["model"].named_parameters(), tns["model"].parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), atol=1e-4, err_msg=name)
