# ruff: noqa: E501  (the notebook's code keeps its own long lines)
"""NYU Deep Learning (Atcold/NYU-DLSP20): 15-transformer on ember.

The notebook's code cells in order (``# %%`` separates cells), imports rewritten only, run
Jupyter style by ``_nyu.run_notebook``. Deviations:

- the legacy ``torchtext`` IMDB cells (``data.Field``, ``datasets.IMDB``, ``BucketIterator``;
  gone from torchtext and not installed) are replaced by one stand-in cell that builds
  ``train_loader`` / ``valid_loader`` / ``test_loader`` of batches with ``.text`` (token ids)
  and ``.label``, from generated "reviews" (class 1 reviews use token 5 often): 4 / 1 / 1
  batches of 32 reviews of ``max_len = 50`` tokens (200 and 164 in the notebook);
- on current PyTorch the notebook's ``create_sinusoidal_embeddings`` (an in-place write into
  the ``nn.Embedding`` weight, a leaf that requires grad) raises "a view of a leaf Variable that
  requires grad is being used in an in-place operation" -- ember raises the same error (checked
  below) -- so the model cell runs inside ``with torch.no_grad():``;
- 2 epochs (10); ``maximum_position_encoding=1000`` in ``TransformerClassifier`` (10000: the
  notebook's pure-Python sinusoid table takes seconds).
"""
import re

import numpy as np
import pytest
from _harness import normalise
from _nyu import cells, inject, run_notebook

TRANSFORMER = cells('''
import torch
from torch import nn
import torch.nn.functional as f
import numpy as np
# %%
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
nn_Softargmax = nn.Softmax  # fix wrong name
# %%
class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, num_heads, p, d_input=None):
        super().__init__()
        self.num_heads = num_heads
        self.d_model = d_model
        if d_input is None:
            d_xq = d_xk = d_xv = d_model
        else:
            d_xq, d_xk, d_xv = d_input

        # Make sure that the embedding dimension of model is a multiple of number of heads
        assert d_model % self.num_heads == 0

        self.d_k = d_model // self.num_heads

        # These are still of dimension d_model. They will be split into number of heads
        self.W_q = nn.Linear(d_xq, d_model, bias=False)
        self.W_k = nn.Linear(d_xk, d_model, bias=False)
        self.W_v = nn.Linear(d_xv, d_model, bias=False)

        # Outputs of all sub-layers need to be of dimension d_model
        self.W_h = nn.Linear(d_model, d_model)

    def scaled_dot_product_attention(self, Q, K, V):
        batch_size = Q.size(0)
        k_length = K.size(-2)

        # Scaling by d_k so that the soft(arg)max doesnt saturate
        Q = Q / np.sqrt(self.d_k)                         # (bs, n_heads, q_length, dim_per_head)
        scores = torch.matmul(Q, K.transpose(2,3))          # (bs, n_heads, q_length, k_length)

        A = nn_Softargmax(dim=-1)(scores)   # (bs, n_heads, q_length, k_length)

        # Get the weighted average of the values
        H = torch.matmul(A, V)     # (bs, n_heads, q_length, dim_per_head)

        return H, A


    def split_heads(self, x, batch_size):
        """
        Split the last dimension into (heads X depth)
        Return after transpose to put in shape (batch_size X num_heads X seq_length X d_k)
        """
        return x.view(batch_size, -1, self.num_heads, self.d_k).transpose(1, 2)

    def group_heads(self, x, batch_size):
        """
        Combine the heads again to get (batch_size X seq_length X (num_heads times d_k))
        """
        return x.transpose(1, 2).contiguous().view(batch_size, -1, self.num_heads * self.d_k)


    def forward(self, X_q, X_k, X_v):
        batch_size, seq_length, dim = X_q.size()

        # After transforming, split into num_heads
        Q = self.split_heads(self.W_q(X_q), batch_size)  # (bs, n_heads, q_length, dim_per_head)
        K = self.split_heads(self.W_k(X_k), batch_size)  # (bs, n_heads, k_length, dim_per_head)
        V = self.split_heads(self.W_v(X_v), batch_size)  # (bs, n_heads, v_length, dim_per_head)

        # Calculate the attention weights for each of the heads
        H_cat, A = self.scaled_dot_product_attention(Q, K, V)

        # Put all the heads back together by concat
        H_cat = self.group_heads(H_cat, batch_size)    # (bs, q_length, dim)

        # Final linear layer
        H = self.W_h(H_cat)          # (bs, q_length, dim)

        return H, A
# %%
temp_mha = MultiHeadAttention(d_model=512, num_heads=8, p=0)
def print_out(Q, K, V):
    temp_out, temp_attn = temp_mha.scaled_dot_product_attention(Q, K, V)
    print('Attention weights are:', temp_attn.squeeze())
    print('Output is:', temp_out.squeeze())
# %%
test_K = torch.tensor(
    [[10, 0, 0],
     [ 0,10, 0],
     [ 0, 0,10],
     [ 0, 0,10]]
).float()[None,None]

test_V = torch.tensor(
    [[   1,0,0],
     [  10,0,0],
     [ 100,5,0],
     [1000,6,0]]
).float()[None,None]

test_Q = torch.tensor(
    [[0, 10, 0]]
).float()[None,None]
print_out(test_Q, test_K, test_V)
# %%
test_Q = torch.tensor([[0, 0, 10]]).float()
print_out(test_Q, test_K, test_V)
# %%
test_Q = torch.tensor(
    [[0, 0, 10], [0, 10, 0], [10, 10, 0]]
).float()[None,None]
print_out(test_Q, test_K, test_V)
# %%
class CNN(nn.Module):
    def __init__(self, d_model, hidden_dim, p):
        super().__init__()
        self.k1convL1 = nn.Linear(d_model,    hidden_dim)
        self.k1convL2 = nn.Linear(hidden_dim, d_model)
        self.activation = nn.ReLU()

    def forward(self, x):
        x = self.k1convL1(x)
        x = self.activation(x)
        x = self.k1convL2(x)
        return x
# %%
class EncoderLayer(nn.Module):
    def __init__(self, d_model, num_heads, conv_hidden_dim, p=0.1):
        super().__init__()

        self.mha = MultiHeadAttention(d_model, num_heads, p)
        self.cnn = CNN(d_model, conv_hidden_dim, p)

        self.layernorm1 = nn.LayerNorm(normalized_shape=d_model, eps=1e-6)
        self.layernorm2 = nn.LayerNorm(normalized_shape=d_model, eps=1e-6)

    def forward(self, x):

        # Multi-head attention
        attn_output, _ = self.mha(x, x, x)  # (batch_size, input_seq_len, d_model)

        # Layer norm after adding the residual connection
        out1 = self.layernorm1(x + attn_output)  # (batch_size, input_seq_len, d_model)

        # Feed forward
        cnn_output = self.cnn(out1)  # (batch_size, input_seq_len, d_model)

        #Second layer norm after adding residual connection
        out2 = self.layernorm2(out1 + cnn_output)  # (batch_size, input_seq_len, d_model)

        return out2
# %%
def create_sinusoidal_embeddings(nb_p, dim, E):
    theta = np.array([
        [p / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)]
        for p in range(nb_p)
    ])
    E[:, 0::2] = torch.FloatTensor(np.sin(theta[:, 0::2]))
    E[:, 1::2] = torch.FloatTensor(np.cos(theta[:, 1::2]))
    E.detach_()
    E.requires_grad = False
    E = E.to(device)

class Embeddings(nn.Module):
    def __init__(self, d_model, vocab_size, max_position_embeddings, p):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, d_model, padding_idx=1)
        self.position_embeddings = nn.Embedding(max_position_embeddings, d_model)
        create_sinusoidal_embeddings(
            nb_p=max_position_embeddings,
            dim=d_model,
            E=self.position_embeddings.weight
        )

        self.LayerNorm = nn.LayerNorm(d_model, eps=1e-12)

    def forward(self, input_ids):
        seq_length = input_ids.size(1)
        position_ids = torch.arange(seq_length, dtype=torch.long, device=input_ids.device) # (max_seq_length)
        position_ids = position_ids.unsqueeze(0).expand_as(input_ids)                      # (bs, max_seq_length)

        # Get word embeddings for each input id
        word_embeddings = self.word_embeddings(input_ids)                   # (bs, max_seq_length, dim)

        # Get position embeddings for each position id
        position_embeddings = self.position_embeddings(position_ids)        # (bs, max_seq_length, dim)

        # Add them both
        embeddings = word_embeddings + position_embeddings  # (bs, max_seq_length, dim)

        # Layer norm
        embeddings = self.LayerNorm(embeddings)             # (bs, max_seq_length, dim)
        return embeddings
# %%
class Encoder(nn.Module):
    def __init__(self, num_layers, d_model, num_heads, ff_hidden_dim, input_vocab_size,
               maximum_position_encoding, p=0.1):
        super().__init__()

        self.d_model = d_model
        self.num_layers = num_layers

        self.embedding = Embeddings(d_model, input_vocab_size,maximum_position_encoding, p)

        self.enc_layers = nn.ModuleList()
        for _ in range(num_layers):
            self.enc_layers.append(EncoderLayer(d_model, num_heads, ff_hidden_dim, p))

    def forward(self, x):
        x = self.embedding(x) # Transform to (batch_size, input_seq_length, d_model)

        for i in range(self.num_layers):
            x = self.enc_layers[i](x)

        return x  # (batch_size, input_seq_len, d_model)
# %%
# (stand-in for the torchtext IMDB cells, see the module docstring)
import types
max_len = 50
batch_size = 32
def _reviews(n_batches, seed):
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(n_batches):
        label = rng.integers(0, 2, batch_size)
        text = rng.integers(2, 50002, (batch_size, max_len))
        text[:, ::4] = np.where(label[:, None] == 1, 5, text[:, ::4])
        batches.append(types.SimpleNamespace(text=torch.tensor(text), label=torch.tensor(label)))
    return batches
train_loader, valid_loader, test_loader = _reviews(4, 0), _reviews(1, 1), _reviews(1, 2)
# %%
class TransformerClassifier(nn.Module):
    def __init__(self, num_layers, d_model, num_heads, conv_hidden_dim, input_vocab_size, num_answers):
        super().__init__()

        self.encoder = Encoder(num_layers, d_model, num_heads, conv_hidden_dim, input_vocab_size,
                         maximum_position_encoding=1000)
        self.dense = nn.Linear(d_model, num_answers)

    def forward(self, x):
        x = self.encoder(x)

        x, _ = torch.max(x, dim=1)
        x = self.dense(x)
        return x
# %%
with torch.no_grad():  # (see the module docstring)
    model = TransformerClassifier(num_layers=1, d_model=32, num_heads=2,
                             conv_hidden_dim=128, input_vocab_size=50002, num_answers=2)
model.to(device)
# %%
optimizer = torch.optim.AdamW(model.parameters(), lr=0.001)
epochs = 2
t_total = len(train_loader) * epochs
# %%
def train(train_loader, valid_loader):

    for epoch in range(epochs):
        train_iterator, valid_iterator = iter(train_loader), iter(valid_loader)
        nb_batches_train = len(train_loader)
        train_acc = 0
        model.train()
        losses = 0.0

        for batch in train_iterator:
            x = batch.text.to(device)
            y = batch.label.to(device)

            out = model(x)  # ①

            loss = f.cross_entropy(out, y)  # ②

            model.zero_grad()  # ③

            loss.backward()  # ④
            losses += loss.item()

            optimizer.step()  # ⑤

            train_acc += (out.argmax(1) == y).cpu().numpy().mean()

        print(f"Training loss at epoch {epoch} is {losses / nb_batches_train}")
        print(f"Training accuracy: {train_acc / nb_batches_train}")
        print('Evaluating on validation:')
        evaluate(valid_loader)
# %%
def evaluate(data_loader):
    data_iterator = iter(data_loader)
    nb_batches = len(data_loader)
    model.eval()
    acc = 0
    for batch in data_iterator:
        x = batch.text.to(device)
        y = batch.label.to(device)

        out = model(x)
        acc += (out.argmax(1) == y).cpu().numpy().mean()

    print(f"Eval accuracy: {acc / nb_batches}")
# %%
train(train_loader, valid_loader)
# %%
evaluate(test_loader)
''')

MODEL_CELL = 13
# The notebook's own outputs of the sanity-check cells (PyTorch printed these)
SANITY = ["Attention weights are: tensor([3.7266e-06, 9.9999e-01, 3.7266e-06, 3.7266e-06])\n"
          "Output is: tensor([1.0004e+01, 4.0993e-05, 0.0000e+00])\n",
          "Attention weights are: tensor([1.8633e-06, 1.8633e-06, 5.0000e-01, 5.0000e-01])\n"
          "Output is: tensor([549.9979,   5.5000,   0.0000])\n",
          "Attention weights are: tensor([[1.8633e-06, 1.8633e-06, 5.0000e-01, 5.0000e-01],\n"
          "        [3.7266e-06, 9.9999e-01, 3.7266e-06, 3.7266e-06],\n"
          "        [5.0000e-01, 5.0000e-01, 1.8633e-06, 1.8633e-06]])\n"
          "Output is: tensor([[5.5000e+02, 5.5000e+00, 0.0000e+00],\n"
          "        [1.0004e+01, 4.0993e-05, 0.0000e+00],\n"
          "        [5.5020e+00, 2.0497e-05, 0.0000e+00]])\n"]


def _runs():
    """PyTorch's run records the model's initial weights, ember's loads them (without PyTorch:
    ember alone)."""
    runs = {}
    try:
        import torch  # noqa: F401
    except ImportError:
        runs["ember"] = run_notebook(TRANSFORMER)
        return runs
    import ember

    starts = []
    src = inject(TRANSFORMER, MODEL_CELL, "num_answers=2)", "    _start(model)")
    runs["torch"] = run_notebook(src, "torch", {"_start": lambda m: starts.append(
        {k: v.detach().numpy().copy() for k, v in m.state_dict().items()})})
    runs["ember"] = run_notebook(src, "ember", {"_start": lambda m: m.load_state_dict(
        {k: ember.tensor(v) for k, v in starts[0].items()})})
    return runs


@pytest.fixture(scope="module")
def runs():
    return _runs()


def test_transformer_runs_on_ember(runs):
    ns, outs = runs["ember"]
    assert outs[4:7] == SANITY                       # the notebook's printed sanity checks
    assert outs[MODEL_CELL].startswith("TransformerClassifier(\n  (encoder): Encoder(\n    (embedding): Embeddings(\n"
                                       "      (word_embeddings): Embedding(50002, 32, padding_idx=1)\n"
                                       "      (position_embeddings): Embedding(1000, 32)\n"
                                       "      (LayerNorm): LayerNorm((32,), eps=1e-12, elementwise_affine=True, bias=True)\n")
    pos = ns["model"].encoder.embedding.position_embeddings.weight
    assert not pos.requires_grad and pos.grad is None
    assert abs(pos[3, 0].item() - np.sin(3)) < 1e-6 and abs(pos[3, 1].item() - np.cos(3)) < 1e-6
    lines = outs[17].splitlines()
    assert [re.sub(r"\d+\.\d+(e-\d+)?", "#", s) for s in lines] == [
        "Training loss at epoch 0 is #", "Training accuracy: #", "Evaluating on validation:", "Eval accuracy: #",
        "Training loss at epoch 1 is #", "Training accuracy: #", "Evaluating on validation:", "Eval accuracy: #"]
    assert outs[18].startswith("Eval accuracy: ")


def test_transformer_embedding_write_raises_like_pytorch():
    """The notebook's model cell as written: the same RuntimeError on both libraries."""
    torch = pytest.importorskip("torch")
    import ember

    plain = TRANSFORMER[MODEL_CELL].replace("with torch.no_grad():  # (see the module docstring)\n    ", "").replace("\n                             conv", "\n                         conv")
    messages = []
    for lib, backend in ((torch, "torch"), (ember, "ember")):
        with pytest.raises(RuntimeError) as info:
            run_notebook(TRANSFORMER[:MODEL_CELL] + [plain], backend)
        messages.append(str(info.value))
    assert messages[0] == messages[1] == ("a view of a leaf Variable that requires grad is being used "
                                          "in an in-place operation.")


def test_transformer_trains_like_pytorch(runs):
    """Sanity checks, model repr identical; from the same weights AdamW training prints the same
    losses and accuracies."""
    pytest.importorskip("torch")
    (tns, theirs), (ens, ours) = runs["torch"], runs["ember"]
    for k in range(17):
        assert normalise(ours[k]) == theirs[k], k
    num = r"\d+\.\d+(?:e-\d+)?"
    a = np.array(re.findall(num, ours[17] + ours[18]), float)
    b = np.array(re.findall(num, theirs[17] + theirs[18]), float)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for (name, p), q in zip(ens["model"].named_parameters(), tns["model"].parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), atol=2e-5, err_msg=name)
