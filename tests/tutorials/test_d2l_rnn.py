"""Dive into Deep Learning, chapters 9-11 (recurrent networks, modern RNNs, attention),
PyTorch edition, on ember with only the import lines rewritten.

The book's text pipeline (Vocab, TimeMachine) on a short built-in text instead of the
downloaded novel (256 training sequences, a few epochs); RNN from scratch with one-hot inputs
(``F.one_hot(X.T, vocab_size)``), its language model trained with the book's hand-written
gradient clipping, ``predict``;
concise RNN/GRU/LSTM (deep and bidirectional); the LSTM from scratch; the seq2seq encoder with
``init_seq2seq``; ``masked_softmax`` (``sequence_mask``, ``repeat_interleave``), ``torch.bmm``,
dot-product and additive attention, multi-head attention and positional encoding.
"""
import numpy as np
import pytest
from _d2l import D2L, losses
from _harness import assert_prints_alike, mask_numbers, normalise, run, run_seeded

pytestmark = [pytest.mark.usefixtures("one_torch_thread"),
              # PyTorch 2.13 warns once on float() of a tensor that requires grad (the book's
              # Accumulator and print(float(l2_penalty(w))) do it); ember does not
              pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")]

TEXT = D2L + '''
import re

class Vocab:
    """Vocabulary for text."""
    def __init__(self, tokens=[], min_freq=0, reserved_tokens=[]):
        # Flatten a 2D list if needed
        if tokens and isinstance(tokens[0], list):
            tokens = [token for line in tokens for token in line]
        # Count token frequencies
        counter = collections.Counter(tokens)
        self.token_freqs = sorted(counter.items(), key=lambda x: x[1],
                                  reverse=True)
        # The list of unique tokens
        self.idx_to_token = list(sorted(set(['<unk>'] + reserved_tokens + [
            token for token, freq in self.token_freqs if freq >= min_freq])))
        self.token_to_idx = {token: idx
                             for idx, token in enumerate(self.idx_to_token)}

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, self.unk)
        return [self.__getitem__(token) for token in tokens]

    def to_tokens(self, indices):
        if hasattr(indices, '__len__') and len(indices) > 1:
            return [self.idx_to_token[int(index)] for index in indices]
        return self.idx_to_token[indices]

    @property
    def unk(self):  # Index for the unknown token
        return self.token_to_idx['<unk>']

class TimeMachine(d2l.DataModule):
    """The Time Machine dataset (here: a short built-in text, no download)."""
    def _download(self):
        return ("The Time Traveller (for so it will be convenient to speak of him) was "
                "expounding a recondite matter to us. His grey eyes shone and twinkled, "
                "and his usually pale face was flushed and animated. " * 12)

    def _preprocess(self, text):
        return re.sub('[^A-Za-z]+', ' ', text).lower()

    def _tokenize(self, text):
        return list(text)

    def build(self, raw_text, vocab=None):
        tokens = self._tokenize(self._preprocess(raw_text))
        if vocab is None: vocab = Vocab(tokens)
        corpus = [vocab[token] for token in tokens]
        return corpus, vocab

    def __init__(self, batch_size, num_steps, num_train=256, num_val=128):
        super(d2l.TimeMachine, self).__init__()
        self.save_hyperparameters()
        corpus, self.vocab = self.build(self._download())
        array = torch.tensor([corpus[i:i+num_steps+1]
                            for i in range(len(corpus)-num_steps)])
        self.X, self.Y = array[:,:-1], array[:,1:]

    def get_dataloader(self, train):
        idx = slice(0, self.num_train) if train else slice(
            self.num_train, self.num_train + self.num_val)
        return self.get_tensorloader([self.X, self.Y], train, idx)

d2l.Vocab, d2l.TimeMachine = Vocab, TimeMachine

def check_len(a, n):
    """Check the length of a list."""
    assert len(a) == n, f'list\\'s length {len(a)} != expected length {n}'

def check_shape(a, shape):
    """Check the shape of a tensor."""
    assert a.shape == shape, \\
            f'tensor\\'s shape {a.shape} != expected shape {shape}'

d2l.check_len, d2l.check_shape = check_len, check_shape
'''

RNN_SCRATCH = TEXT + '''
data = d2l.TimeMachine(batch_size=64, num_steps=16)
print(len(data.vocab), data.vocab.idx_to_token[:6], data.X.shape, data.Y.shape)
print(data.vocab.to_tokens(data.X[0][:10]))

class RNNScratch(d2l.Module):
    """The RNN model implemented from scratch."""
    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.W_xh = nn.Parameter(
            torch.randn(num_inputs, num_hiddens) * sigma)
        self.W_hh = nn.Parameter(
            torch.randn(num_hiddens, num_hiddens) * sigma)
        self.b_h = nn.Parameter(torch.zeros(num_hiddens))

@d2l.add_to_class(RNNScratch)
def forward(self, inputs, state=None):
    if state is None:
        # Initial state with shape: (batch_size, num_hiddens)
        state = torch.zeros((inputs.shape[1], self.num_hiddens),
                          device=inputs.device)
    else:
        state, = state
    outputs = []
    for X in inputs:  # Shape of inputs: (num_steps, batch_size, num_inputs)
        state = torch.tanh(torch.matmul(X, self.W_xh) +
                         torch.matmul(state, self.W_hh) + self.b_h)
        outputs.append(state)
    return outputs, state

batch_size, num_inputs, num_hiddens, num_steps = 2, 16, 32, 100
rnn = RNNScratch(num_inputs, num_hiddens)
X = torch.ones((num_steps, batch_size, num_inputs))
outputs, state = rnn(X)
d2l.check_len(outputs, num_steps)
d2l.check_shape(outputs[0], (batch_size, num_hiddens))
d2l.check_shape(state, (batch_size, num_hiddens))

class RNNLMScratch(d2l.Classifier):
    """The RNN-based language model implemented from scratch."""
    def __init__(self, rnn, vocab_size, lr=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.init_params()

    def init_params(self):
        self.W_hq = nn.Parameter(
            torch.randn(
                self.rnn.num_hiddens, self.vocab_size) * self.rnn.sigma)
        self.b_q = nn.Parameter(torch.zeros(self.vocab_size))

    def training_step(self, batch):
        l = self.loss(self(*batch[:-1]), batch[-1])
        self.plot('ppl', torch.exp(l), train=True)
        return l

    def validation_step(self, batch):
        l = self.loss(self(*batch[:-1]), batch[-1])
        self.plot('ppl', torch.exp(l), train=False)

@d2l.add_to_class(RNNLMScratch)
def one_hot(self, X):
    # Output shape: (num_steps, batch_size, vocab_size)
    return F.one_hot(X.T, self.vocab_size).type(torch.float32)

print(F.one_hot(torch.tensor([0, 2]), 5))

@d2l.add_to_class(RNNLMScratch)
def output_layer(self, rnn_outputs):
    outputs = [torch.matmul(H, self.W_hq) + self.b_q for H in rnn_outputs]
    return torch.stack(outputs, 1)

@d2l.add_to_class(RNNLMScratch)
def forward(self, X, state=None):
    embs = self.one_hot(X)
    rnn_outputs, _ = self.rnn(embs, state)
    return self.output_layer(rnn_outputs)

model = RNNLMScratch(rnn, num_inputs)
outputs = model(torch.ones((batch_size, num_steps), dtype=torch.int64))
d2l.check_shape(outputs, (batch_size, num_steps, num_inputs))

@d2l.add_to_class(d2l.Trainer)
def clip_gradients(self, grad_clip_val, model):
    params = [p for p in model.parameters() if p.requires_grad]
    norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
    if norm > grad_clip_val:
        for param in params:
            param.grad[:] *= grad_clip_val / norm

rnn = RNNScratch(num_inputs=len(data.vocab), num_hiddens=32)
model = RNNLMScratch(rnn, vocab_size=len(data.vocab), lr=1)
trainer = d2l.Trainer(max_epochs=4, gradient_clip_val=1, num_gpus=1)
trainer.fit(model, data)

@d2l.add_to_class(RNNLMScratch)
def predict(self, prefix, num_preds, vocab, device=None):
    state, outputs = None, [vocab[prefix[0]]]
    for i in range(len(prefix) + num_preds - 1):
        X = torch.tensor([[outputs[-1]]], device=device)
        embs = self.one_hot(X)
        rnn_outputs, state = self.rnn(embs, state)
        if i < len(prefix) - 1:  # Warm-up period
            outputs.append(vocab[prefix[i + 1]])
        else:  # Predict num_preds steps
            Y = self.output_layer(rnn_outputs)
            outputs.append(int(Y.argmax(axis=2).reshape(1)))
    return ''.join([vocab.idx_to_token[i] for i in outputs])

prediction = model.predict('it has', 20, data.vocab, d2l.try_gpu())
print(len(prediction), prediction[:6])
scratch = model

class RNN(d2l.Module):
    """The RNN model implemented with high-level APIs."""
    def __init__(self, num_inputs, num_hiddens):
        super().__init__()
        self.save_hyperparameters()
        self.rnn = nn.RNN(num_inputs, num_hiddens)

    def forward(self, inputs, H=None):
        return self.rnn(inputs, H)

class RNNLM(RNNLMScratch):
    """The RNN-based language model implemented with high-level APIs."""
    def init_params(self):
        self.linear = nn.LazyLinear(self.vocab_size)

    def output_layer(self, hiddens):
        return self.linear(hiddens).swapaxes(0, 1)

rnn = RNN(num_inputs=len(data.vocab), num_hiddens=32)
model = RNNLM(rnn, vocab_size=len(data.vocab), lr=1)
print(len(model.predict('it has', 20, data.vocab)))
trainer.fit(model, data)
concise = model

class GRU(RNN):
    """The multilayer GRU model."""
    def __init__(self, num_inputs, num_hiddens, num_layers, dropout=0):
        d2l.Module.__init__(self)
        self.save_hyperparameters()
        self.rnn = nn.GRU(num_inputs, num_hiddens, num_layers,
                          dropout=dropout)

class LSTM(RNN):
    def __init__(self, num_inputs, num_hiddens):
        d2l.Module.__init__(self)
        self.save_hyperparameters()
        self.rnn = nn.LSTM(num_inputs, num_hiddens)

    def forward(self, inputs, H_C=None):
        return self.rnn(inputs, H_C)

class BiGRU(RNN):
    def __init__(self, num_inputs, num_hiddens):
        d2l.Module.__init__(self)
        self.save_hyperparameters()
        self.rnn = nn.GRU(num_inputs, num_hiddens, bidirectional=True)
        self.num_hiddens *= 2

gru = GRU(num_inputs=len(data.vocab), num_hiddens=32, num_layers=2, dropout=0.1)
model = RNNLM(gru, vocab_size=len(data.vocab), lr=2)
trainer = d2l.Trainer(max_epochs=1, gradient_clip_val=1, num_gpus=1)
trainer.fit(model, data)
deep_gru = model
lstm = LSTM(num_inputs=len(data.vocab), num_hiddens=32)
model = RNNLM(lstm, vocab_size=len(data.vocab), lr=4)
trainer.fit(model, data)
lstm_model = model
birnn = BiGRU(num_inputs=8, num_hiddens=16)
bi_out, bi_state = birnn(torch.randn(5, 3, 8))
print(bi_out.shape, bi_state.shape, birnn.num_hiddens)
print(gru.rnn, lstm.rnn, birnn.rnn)
'''

LSTM_SCRATCH = TEXT + '''
class LSTMScratch(d2l.Module):
    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.save_hyperparameters()

        init_weight = lambda *shape: nn.Parameter(torch.randn(*shape) * sigma)
        triple = lambda: (init_weight(num_inputs, num_hiddens),
                          init_weight(num_hiddens, num_hiddens),
                          nn.Parameter(torch.zeros(num_hiddens)))
        self.W_xi, self.W_hi, self.b_i = triple()  # Input gate
        self.W_xf, self.W_hf, self.b_f = triple()  # Forget gate
        self.W_xo, self.W_ho, self.b_o = triple()  # Output gate
        self.W_xc, self.W_hc, self.b_c = triple()  # Input node

@d2l.add_to_class(LSTMScratch)
def forward(self, inputs, H_C=None):
    if H_C is None:
        # Initial state with shape: (batch_size, num_hiddens)
        H = torch.zeros((inputs.shape[1], self.num_hiddens),
                      device=inputs.device)
        C = torch.zeros((inputs.shape[1], self.num_hiddens),
                      device=inputs.device)
    else:
        H, C = H_C
    outputs = []
    for X in inputs:
        I = torch.sigmoid(torch.matmul(X, self.W_xi) +
                        torch.matmul(H, self.W_hi) + self.b_i)
        F = torch.sigmoid(torch.matmul(X, self.W_xf) +
                        torch.matmul(H, self.W_hf) + self.b_f)
        O = torch.sigmoid(torch.matmul(X, self.W_xo) +
                        torch.matmul(H, self.W_ho) + self.b_o)
        C_tilde = torch.tanh(torch.matmul(X, self.W_xc) +
                           torch.matmul(H, self.W_hc) + self.b_c)
        C = F * C + I * C_tilde
        H = O * torch.tanh(C)
        outputs.append(H)
    return outputs, (H, C)

def init_seq2seq(module):
    """Initialize weights for sequence-to-sequence learning."""
    if type(module) == nn.Linear:
         nn.init.xavier_uniform_(module.weight)
    if type(module) == nn.GRU:
        for param in module._flat_weights_names:
            if "weight" in param:
                nn.init.xavier_uniform_(module._parameters[param])

class Encoder(nn.Module):
    """The base encoder interface for the encoder--decoder architecture."""
    def __init__(self):
        super().__init__()

    # Later there can be additional arguments (e.g., length excluding padding)
    def forward(self, X, *args):
        raise NotImplementedError

class GRU(d2l.Module):
    """The multilayer GRU model."""
    def __init__(self, num_inputs, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.save_hyperparameters()
        self.rnn = nn.GRU(num_inputs, num_hiddens, num_layers,
                          dropout=dropout)

    def forward(self, inputs, H=None):
        return self.rnn(inputs, H)

class Seq2SeqEncoder(Encoder):
    """The RNN encoder for sequence-to-sequence learning."""
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers,
                 dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = GRU(embed_size, num_hiddens, num_layers, dropout)
        self.apply(init_seq2seq)

    def forward(self, X, *args):
        # X shape: (batch_size, num_steps)
        embs = self.embedding(X.t().type(torch.int64))
        # embs shape: (num_steps, batch_size, embed_size)
        outputs, state = self.rnn(embs)
        # outputs shape: (num_steps, batch_size, num_hiddens)
        # state shape: (num_layers, batch_size, num_hiddens)
        return outputs, state

vocab_size, embed_size, num_hiddens, num_layers = 10, 8, 16, 2
batch_size, num_steps = 4, 9
encoder = Seq2SeqEncoder(vocab_size, embed_size, num_hiddens, num_layers)
X = torch.zeros((batch_size, num_steps))
enc_outputs, enc_state = encoder(X)
d2l.check_shape(enc_outputs, (num_steps, batch_size, num_hiddens))
d2l.check_shape(enc_state, (num_layers, batch_size, num_hiddens))
print(enc_outputs.shape, enc_state.shape)
'''

ATTENTION = TEXT + '''
import math

def masked_softmax(X, valid_lens):
    """Perform softmax operation by masking elements on the last axis."""
    # X: 3D tensor, valid_lens: 1D or 2D tensor
    def _sequence_mask(X, valid_len, value=0):
        maxlen = X.size(1)
        mask = torch.arange((maxlen), dtype=torch.float32,
                            device=X.device)[None, :] < valid_len[:, None]
        X[~mask] = value
        return X

    if valid_lens is None:
        return nn.functional.softmax(X, dim=-1)
    else:
        shape = X.shape
        if valid_lens.dim() == 1:
            valid_lens = torch.repeat_interleave(valid_lens, shape[1])
        else:
            valid_lens = valid_lens.reshape(-1)
        # On the last axis, replace masked elements with a very large negative
        # value, whose exponentiation outputs 0
        X = _sequence_mask(X.reshape(-1, shape[-1]), valid_lens, value=-1e6)
        return nn.functional.softmax(X.reshape(shape), dim=-1)

m1 = masked_softmax(torch.rand(2, 2, 4), torch.tensor([2, 3]))
print(m1)
m2 = masked_softmax(torch.rand(2, 2, 4), torch.tensor([[1, 3], [2, 4]]))
print(m2)

Q = torch.ones((2, 3, 4))
K = torch.ones((2, 4, 6))
d2l.check_shape(torch.bmm(Q, K), (2, 3, 6))
print(torch.bmm(Q, K)[0, 0])

class DotProductAttention(nn.Module):
    """Scaled dot product attention."""
    def __init__(self, dropout):
        super().__init__()
        self.dropout = nn.Dropout(dropout)

    # Shape of queries: (batch_size, no. of queries, d)
    # Shape of keys: (batch_size, no. of key-value pairs, d)
    # Shape of values: (batch_size, no. of key-value pairs, value dimension)
    # Shape of valid_lens: (batch_size,) or (batch_size, no. of queries)
    def forward(self, queries, keys, values, valid_lens=None):
        d = queries.shape[-1]
        # Swap the last two dimensions of keys with keys.transpose(1, 2)
        scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(d)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)

queries = torch.normal(0, 1, (2, 1, 2))
keys = torch.normal(0, 1, (2, 10, 2))
values = torch.normal(0, 1, (2, 10, 4))
valid_lens = torch.tensor([2, 6])

attention = DotProductAttention(dropout=0.5)
attention.eval()
d2l.check_shape(attention(queries, keys, values, valid_lens), (2, 1, 4))
dot_weights = attention.attention_weights

class AdditiveAttention(nn.Module):
    """Additive attention."""
    def __init__(self, num_hiddens, dropout, **kwargs):
        super(AdditiveAttention, self).__init__(**kwargs)
        self.W_k = nn.LazyLinear(num_hiddens, bias=False)
        self.W_q = nn.LazyLinear(num_hiddens, bias=False)
        self.w_v = nn.LazyLinear(1, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens):
        queries, keys = self.W_q(queries), self.W_k(keys)
        # After dimension expansion, shape of queries: (batch_size, no. of
        # queries, 1, num_hiddens) and shape of keys: (batch_size, 1, no. of
        # key-value pairs, num_hiddens). Sum them up with broadcasting
        features = queries.unsqueeze(2) + keys.unsqueeze(1)
        features = torch.tanh(features)
        # There is only one output of self.w_v, so we remove the last
        # one-dimensional entry from the shape. Shape of scores: (batch_size,
        # no. of queries, no. of key-value pairs)
        scores = self.w_v(features).squeeze(-1)
        self.attention_weights = masked_softmax(scores, valid_lens)
        # Shape of values: (batch_size, no. of key-value pairs, value
        # dimension)
        return torch.bmm(self.dropout(self.attention_weights), values)

queries = torch.normal(0, 1, (2, 1, 20))

attention = AdditiveAttention(num_hiddens=8, dropout=0.1)
attention.eval()
d2l.check_shape(attention(queries, keys, values, valid_lens), (2, 1, 4))
additive_weights = attention.attention_weights
d2l.DotProductAttention = DotProductAttention

class MultiHeadAttention(d2l.Module):
    """Multi-head attention."""
    def __init__(self, num_hiddens, num_heads, dropout, bias=False, **kwargs):
        super().__init__()
        self.num_heads = num_heads
        self.attention = d2l.DotProductAttention(dropout)
        self.W_q = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_k = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_v = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_o = nn.LazyLinear(num_hiddens, bias=bias)

    def forward(self, queries, keys, values, valid_lens):
        # Shape of queries, keys, or values:
        # (batch_size, no. of queries or key-value pairs, num_hiddens)
        # Shape of valid_lens: (batch_size,) or (batch_size, no. of queries)
        # After transposing, shape of output queries, keys, or values:
        # (batch_size * num_heads, no. of queries or key-value pairs,
        # num_hiddens / num_heads)
        queries = self.transpose_qkv(self.W_q(queries))
        keys = self.transpose_qkv(self.W_k(keys))
        values = self.transpose_qkv(self.W_v(values))

        if valid_lens is not None:
            # On axis 0, copy the first item (scalar or vector) for num_heads
            # times, then copy the next item, and so on
            valid_lens = torch.repeat_interleave(
                valid_lens, repeats=self.num_heads, dim=0)

        # Shape of output: (batch_size * num_heads, no. of queries,
        # num_hiddens / num_heads)
        output = self.attention(queries, keys, values, valid_lens)
        # Shape of output_concat: (batch_size, no. of queries, num_hiddens)
        output_concat = self.transpose_output(output)
        return self.W_o(output_concat)

@d2l.add_to_class(MultiHeadAttention)
def transpose_qkv(self, X):
    """Transposition for parallel computation of multiple attention heads."""
    # Shape of input X: (batch_size, no. of queries or key-value pairs,
    # num_hiddens). Shape of output X: (batch_size, no. of queries or
    # key-value pairs, num_heads, num_hiddens / num_heads)
    X = X.reshape(X.shape[0], X.shape[1], self.num_heads, -1)
    # Shape of output X: (batch_size, num_heads, no. of queries or key-value
    # pairs, num_hiddens / num_heads)
    X = X.permute(0, 2, 1, 3)
    # Shape of output: (batch_size * num_heads, no. of queries or key-value
    # pairs, num_hiddens / num_heads)
    return X.reshape(-1, X.shape[2], X.shape[3])

@d2l.add_to_class(MultiHeadAttention)
def transpose_output(self, X):
    """Reverse the operation of transpose_qkv."""
    X = X.reshape(-1, self.num_heads, X.shape[1], X.shape[2])
    X = X.permute(0, 2, 1, 3)
    return X.reshape(X.shape[0], X.shape[1], -1)

num_hiddens, num_heads = 100, 5
attention = MultiHeadAttention(num_hiddens, num_heads, 0.5)
batch_size, num_queries, num_kvpairs = 2, 4, 6
valid_lens = torch.tensor([3, 2])
X = torch.ones((batch_size, num_queries, num_hiddens))
Y = torch.ones((batch_size, num_kvpairs, num_hiddens))
d2l.check_shape(attention(X, Y, Y, valid_lens),
                (batch_size, num_queries, num_hiddens))
mha_weights = attention.attention.attention_weights
print(mha_weights.shape)

class PositionalEncoding(nn.Module):
    """Positional encoding."""
    def __init__(self, num_hiddens, dropout, max_len=1000):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        # Create a long enough P
        self.P = torch.zeros((1, max_len, num_hiddens))
        X = torch.arange(max_len, dtype=torch.float32).reshape(
            -1, 1) / torch.pow(10000, torch.arange(
            0, num_hiddens, 2, dtype=torch.float32) / num_hiddens)
        self.P[:, :, 0::2] = torch.sin(X)
        self.P[:, :, 1::2] = torch.cos(X)

    def forward(self, X):
        X = X + self.P[:, :X.shape[1], :].to(X.device)
        return self.dropout(X)

encoding_dim, num_steps = 32, 60
pos_encoding = PositionalEncoding(encoding_dim, 0)
X = pos_encoding(torch.zeros((1, num_steps, encoding_dim)))
P = pos_encoding.P[:, :X.shape[1], :]
print(P[0, :3, :4])
for i in range(8):
    print(f'{i} in binary is {i:>03b}')
P = P[0, :, :].unsqueeze(0).unsqueeze(0)
print(P.shape)
'''


@pytest.mark.parametrize("src", [RNN_SCRATCH, LSTM_SCRATCH, ATTENTION],
                         ids=["rnn", "lstm_seq2seq", "attention"])
def test_prints_like_pytorch(src):
    pytest.importorskip("torch")
    _, ours = run_seeded(src)
    _, theirs = run_seeded(src, "torch")
    assert mask_numbers(ours) == mask_numbers(theirs)
    assert_prints_alike(ours, theirs, rtol=1e-5, atol=1e-6)  # same seed, same numbers


def test_rnn_language_models_train_on_ember():
    ns, out = run(RNN_SCRATCH)
    assert "tensor([[1, 0, 0, 0, 0],\n        [0, 0, 1, 0, 0]])" in out
    assert "25 [' ', '<unk>', 'a', 'b', 'c', 'd']" in out
    for name in ("scratch", "concise"):
        ppl = losses(ns[name].board, "train_ppl")
        assert np.isfinite(ppl).all() and ppl[-1] < 0.85 * ppl[0], name  # from ~vocab size
    for name in ("deep_gru", "lstm_model"):
        assert np.isfinite(losses(ns[name].board, "train_ppl")).all(), name
    assert "26 it has" in out and "\n26\n" in out
    assert "torch.Size([5, 3, 32]) torch.Size([2, 3, 16]) 32" in normalise(out)
    assert "GRU(25, 32, num_layers=2, dropout=0.1) LSTM(25, 32) GRU(8, 16, bidirectional=True)" \
        in out


def test_gradient_clipping_by_hand_matches_pytorch():
    """The book's clip_gradients (norm over all parameters, grads scaled in place) against
    PyTorch's on the same gradients."""
    torch = pytest.importorskip("torch")
    ns, _ = run(RNN_SCRATCH[:RNN_SCRATCH.index("rnn = RNNScratch(num_inputs=len")])
    lib = ns["torch"]
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s).astype(np.float32) for s in ((4, 3), (3,), (2, 2))]
    params = [lib.nn.Parameter(lib.zeros(*g.shape)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = lib.tensor(g)
    model = lib.nn.Module()
    for i, p in enumerate(params):
        model.register_parameter(f"p{i}", p)
    ns["d2l"].Trainer.clip_gradients(None, 1.0, model)
    tparams = [torch.nn.Parameter(torch.zeros(*g.shape)) for g in grads]
    for p, g in zip(tparams, grads):
        p.grad = torch.tensor(g)
    torch.nn.utils.clip_grad_norm_(tparams, 1.0)
    for p, t in zip(params, tparams):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_lstm_scratch_equals_nn_lstm():
    """The book's LSTM from scratch and nn.LSTM with the same weights give the same outputs
    (ember), and the same as PyTorch's nn.LSTM."""
    ns, _ = run(LSTM_SCRATCH)
    lib = ns["torch"]
    scratch = ns["LSTMScratch"](num_inputs=5, num_hiddens=4, sigma=0.3)
    lstm = lib.nn.LSTM(5, 4)
    # nn.LSTM packs gates as (input, forget, cell, output) rows of W_ih (4H, in)
    with lib.no_grad():
        for k, gate in enumerate("ifco"):
            lstm.weight_ih_l0[4 * k:4 * k + 4] = getattr(scratch, f"W_x{gate}").T
            lstm.weight_hh_l0[4 * k:4 * k + 4] = getattr(scratch, f"W_h{gate}").T
            lstm.bias_ih_l0[4 * k:4 * k + 4] = getattr(scratch, f"b_{gate}")
        lstm.bias_hh_l0.zero_()
    X = lib.randn(7, 3, 5)
    outs, (H, C) = scratch(X)
    ref, (h, c) = lstm(X)
    np.testing.assert_allclose(lib.stack(outs).detach().numpy(), ref.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(C.detach().numpy(), c[0].detach().numpy(), rtol=1e-5, atol=1e-6)
    torch = pytest.importorskip("torch")
    tl = torch.nn.LSTM(5, 4)
    tl.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in lstm.state_dict().items()})
    tref, _ = tl(torch.tensor(X.numpy()))
    np.testing.assert_allclose(ref.detach().numpy(), tref.detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_seq2seq_encoder_init():
    ns, out = run(LSTM_SCRATCH)
    assert "torch.Size([9, 4, 16]) torch.Size([2, 4, 16])" in normalise(out)
    gru = ns["encoder"].rnn.rnn
    # init_seq2seq's Xavier bounds on every GRU weight, biases left alone
    for name in gru._flat_weights_names:
        w = gru._parameters[name].detach().numpy()
        if "weight" in name:
            assert np.abs(w).max() <= (6 / sum(w.shape)) ** 0.5, name


def test_attention_on_ember():
    ns, out = run(ATTENTION)
    m1, m2 = ns["m1"].numpy(), ns["m2"].numpy()
    np.testing.assert_allclose(m1.sum(-1), 1, rtol=1e-6)
    assert (m1[0, :, 2:] == 0).all() and (m1[1, :, 3:] == 0).all()
    assert (m2[0, 0, 1:] == 0).all() and (m2[0, 1, 3:] == 0).all() and (m2[1, 0, 2:] == 0).all()
    assert "tensor([4., 4., 4., 4., 4., 4.])" in out
    for w in (ns["dot_weights"], ns["additive_weights"]):
        w = w.detach().numpy()
        assert w.shape == (2, 1, 10) and (w[0, 0, 2:] == 0).all() and (w[1, 0, 6:] == 0).all()
    # MHA: valid_lens repeated per head; keys and queries all ones, so uniform weights
    w = ns["mha_weights"].detach().numpy()
    assert w.shape == (10, 4, 6)
    np.testing.assert_allclose(w[:5, :, :3], 1 / 3, rtol=1e-5)
    np.testing.assert_allclose(w[5:, :, :2], 1 / 2, rtol=1e-5)
    assert "0 in binary is 000" in out and "7 in binary is 111" in out
    assert "torch.Size([1, 1, 60, 32])" in normalise(out)


def test_masked_softmax_and_positional_encoding_match_pytorch():
    torch = pytest.importorskip("torch")
    (e, _), (t, _) = run(ATTENTION), run(ATTENTION, "torch")
    rng = np.random.default_rng(0)
    X = rng.random((2, 3, 5)).astype(np.float32)
    for lens in ([2, 4], [[1, 2, 3], [5, 4, 0]]):
        a = e["masked_softmax"](e["torch"].tensor(X), e["torch"].tensor(lens)).numpy()
        b = t["masked_softmax"](torch.tensor(X), torch.tensor(lens)).numpy()
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(e["pos_encoding"].P.numpy(), t["pos_encoding"].P.numpy(),
                               rtol=1e-4, atol=2e-4)


TRANSFORMER = ATTENTION + '''
d2l.MultiHeadAttention, d2l.PositionalEncoding = MultiHeadAttention, PositionalEncoding

class Encoder(nn.Module):
    """The base encoder interface for the encoder--decoder architecture."""
    def __init__(self):
        super().__init__()

    def forward(self, X, *args):
        raise NotImplementedError

d2l.Encoder = Encoder

class PositionWiseFFN(nn.Module):
    """The positionwise feed-forward network."""
    def __init__(self, ffn_num_hiddens, ffn_num_outputs):
        super().__init__()
        self.dense1 = nn.LazyLinear(ffn_num_hiddens)
        self.relu = nn.ReLU()
        self.dense2 = nn.LazyLinear(ffn_num_outputs)

    def forward(self, X):
        return self.dense2(self.relu(self.dense1(X)))

ffn = PositionWiseFFN(4, 8)
ffn.eval()
print(ffn(torch.ones((2, 3, 4)))[0].shape)

ln = nn.LayerNorm(2)
bn = nn.LazyBatchNorm1d()
X = torch.tensor([[1, 2], [2, 3]], dtype=torch.float32)
# Compute mean and variance from X in the training mode
print('layer norm:', ln(X), '\\nbatch norm:', bn(X))

class AddNorm(nn.Module):
    """The residual connection followed by layer normalization."""
    def __init__(self, norm_shape, dropout):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.ln = nn.LayerNorm(norm_shape)

    def forward(self, X, Y):
        return self.ln(self.dropout(Y) + X)

add_norm = AddNorm(4, 0.5)
shape = (2, 3, 4)
d2l.check_shape(add_norm(torch.ones(shape), torch.ones(shape)), shape)

class TransformerEncoderBlock(nn.Module):
    """The Transformer encoder block."""
    def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout,
                 use_bias=False):
        super().__init__()
        self.attention = d2l.MultiHeadAttention(num_hiddens, num_heads,
                                                dropout, use_bias)
        self.addnorm1 = AddNorm(num_hiddens, dropout)
        self.ffn = PositionWiseFFN(ffn_num_hiddens, num_hiddens)
        self.addnorm2 = AddNorm(num_hiddens, dropout)

    def forward(self, X, valid_lens):
        Y = self.addnorm1(X, self.attention(X, X, X, valid_lens))
        return self.addnorm2(Y, self.ffn(Y))

X = torch.ones((2, 100, 24))
valid_lens = torch.tensor([3, 2])
encoder_blk = TransformerEncoderBlock(24, 48, 8, 0.5)
encoder_blk.eval()
d2l.check_shape(encoder_blk(X, valid_lens), X.shape)

class TransformerEncoder(d2l.Encoder):
    """The Transformer encoder."""
    def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens,
                 num_heads, num_blks, dropout, use_bias=False):
        super().__init__()
        self.num_hiddens = num_hiddens
        self.embedding = nn.Embedding(vocab_size, num_hiddens)
        self.pos_encoding = d2l.PositionalEncoding(num_hiddens, dropout)
        self.blks = nn.Sequential()
        for i in range(num_blks):
            self.blks.add_module("block"+str(i), TransformerEncoderBlock(
                num_hiddens, ffn_num_hiddens, num_heads, dropout, use_bias))

    def forward(self, X, valid_lens):
        # Since positional encoding values are between -1 and 1, the embedding
        # values are multiplied by the square root of the embedding dimension
        # to rescale before they are summed up
        X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens))
        self.attention_weights = [None] * len(self.blks)
        for i, blk in enumerate(self.blks):
            X = blk(X, valid_lens)
            self.attention_weights[
                i] = blk.attention.attention.attention_weights
        return X

encoder = TransformerEncoder(200, 24, 48, 8, 2, 0.5)
d2l.check_shape(encoder(torch.ones((2, 100), dtype=torch.long), valid_lens),
                (2, 100, 24))

class TransformerDecoderBlock(nn.Module):
    # The i-th block in the Transformer decoder
    def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout, i):
        super().__init__()
        self.i = i
        self.attention1 = d2l.MultiHeadAttention(num_hiddens, num_heads,
                                                 dropout)
        self.addnorm1 = AddNorm(num_hiddens, dropout)
        self.attention2 = d2l.MultiHeadAttention(num_hiddens, num_heads,
                                                 dropout)
        self.addnorm2 = AddNorm(num_hiddens, dropout)
        self.ffn = PositionWiseFFN(ffn_num_hiddens, num_hiddens)
        self.addnorm3 = AddNorm(num_hiddens, dropout)

    def forward(self, X, state):
        enc_outputs, enc_valid_lens = state[0], state[1]
        # During training, all the tokens of any output sequence are processed
        # at the same time, so state[2][self.i] is None as initialized. When
        # decoding any output sequence token by token during prediction,
        # state[2][self.i] contains representations of the decoded output at
        # the i-th block up to the current time step
        if state[2][self.i] is None:
            key_values = X
        else:
            key_values = torch.cat((state[2][self.i], X), dim=1)
        state[2][self.i] = key_values
        if self.training:
            batch_size, num_steps, _ = X.shape
            # Shape of dec_valid_lens: (batch_size, num_steps), where every
            # row is [1, 2, ..., num_steps]
            dec_valid_lens = torch.arange(
                1, num_steps + 1, device=X.device).repeat(batch_size, 1)
        else:
            dec_valid_lens = None
        # Self-attention
        X2 = self.attention1(X, key_values, key_values, dec_valid_lens)
        Y = self.addnorm1(X, X2)
        # Encoder-decoder attention. Shape of enc_outputs:
        # (batch_size, num_steps, num_hiddens)
        Y2 = self.attention2(Y, enc_outputs, enc_outputs, enc_valid_lens)
        Z = self.addnorm2(Y, Y2)
        return self.addnorm3(Z, self.ffn(Z)), state

decoder_blk = TransformerDecoderBlock(24, 48, 8, 0.5, 0)
X = torch.ones((2, 100, 24))
state = [encoder_blk(X, valid_lens), valid_lens, [None]]
d2l.check_shape(decoder_blk(X, state)[0], X.shape)
dec_weights = decoder_blk.attention1.attention.attention_weights
print(dec_weights.shape)
'''


def test_transformer_blocks_on_ember():
    ns, out = run(TRANSFORMER)
    assert "layer norm: tensor([[-1.0000,  1.0000],\n        [-1.0000,  1.0000]]," in out
    assert "batch norm: tensor([[-1.0000, -1.0000],\n        [ 1.0000,  1.0000]]," in out
    # decoder self-attention in training mode: step t sees keys 1..t only (causal mask)
    w = ns["dec_weights"].detach().numpy()
    assert w.shape == (16, 100, 100) and (np.triu(w[0], 1) == 0).all()
    np.testing.assert_allclose(w.sum(-1), 1, rtol=1e-5)
    assert [tuple(a.shape) for a in ns["encoder"].attention_weights] == [(16, 100, 100)] * 2


def test_transformer_encoder_matches_pytorch_from_same_weights():
    torch = pytest.importorskip("torch")
    (e, eo), (t, to) = run(TRANSFORMER), run(TRANSFORMER, "torch")
    assert mask_numbers(eo) == mask_numbers(to)
    enc_e, enc_t = e["encoder"], t["encoder"]
    enc_t.load_state_dict({k: torch.tensor(v.detach().numpy())
                           for k, v in enc_e.state_dict().items()})
    enc_e.eval()
    enc_t.eval()
    tokens = np.random.default_rng(0).integers(0, 200, (2, 12))
    lens = [5, 12]
    ye = enc_e(e["torch"].tensor(tokens), e["torch"].tensor(lens)).detach().numpy()
    yt = enc_t(torch.tensor(tokens), torch.tensor(lens)).detach().numpy()
    np.testing.assert_allclose(ye, yt, rtol=1e-4, atol=1e-5)
