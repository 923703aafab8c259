"""Dive into Deep Learning, chapters 15-16 (NLP pretraining and applications), PyTorch
edition, on ember with only the import lines rewritten: skip-gram with nn.Embedding and
torch.bmm, the masked SigmoidBCELoss (an int64 mask as BCE weight), similar tokens by cosine
and topk; BERT (encoder with a learned positional nn.Parameter, MaskLM gathering
``X[batch_idx, pred_positions]``, NextSentencePred, BERTModel); the sentiment BiRNN (bidirectional
LSTM, ``flatten_parameters``, Xavier on ``_flat_weights_names``), TextCNN (corr1d, Conv1d,
AdaptiveAvgPool1d, frozen constant embedding) and decomposable attention.

Deviations: no corpora or GloVe downloads (random token ids and embeddings); BERT at 64
hidden units and a vocabulary of 500 instead of 768 / 10000. Each model is built on ember and
on PyTorch, loaded with the same weights and compared in eval mode (outputs and a backward).
"""
import numpy as np
import pytest
from _harness import normalise, run

pytestmark = pytest.mark.usefixtures("one_torch_thread")

MODELS = '''
import math
import torch
from torch import nn
from torch.nn import functional as F
import types

d2l = types.SimpleNamespace()

# 15.4 word2vec (skip-gram with negative sampling)
embed = nn.Embedding(num_embeddings=20, embedding_dim=4)
print(f'Parameter embedding_weight ({embed.weight.shape}, '
      f'dtype={embed.weight.dtype})')
x = torch.tensor([[1, 2, 3], [4, 5, 6]])
print(embed(x).shape)

def skip_gram(center, contexts_and_negatives, embed_v, embed_u):
    v = embed_v(center)
    u = embed_u(contexts_and_negatives)
    pred = torch.bmm(v, u.permute(0, 2, 1))
    return pred

print(skip_gram(torch.ones((2, 1), dtype=torch.long),
                torch.ones((2, 4), dtype=torch.long), embed, embed).shape)

class SigmoidBCELoss(nn.Module):
    # Binary cross-entropy loss with masking
    def __init__(self):
        super().__init__()

    def forward(self, inputs, target, mask=None):
        out = nn.functional.binary_cross_entropy_with_logits(
            inputs, target, weight=mask, reduction="none")
        return out.mean(dim=1)

loss = SigmoidBCELoss()
pred = torch.tensor([[1.1, -2.2, 3.3, -4.4]] * 2)
label = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])
mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])
print(loss(pred, label, mask) * mask.shape[1] / mask.sum(axis=1))

def sigmd(x):
    return -math.log(1 / (1 + math.exp(-x)))

print(f'{(sigmd(1.1) + sigmd(2.2) + sigmd(-3.3) + sigmd(4.4)) / 4:.4f}')
print(f'{(sigmd(-1.1) + sigmd(-2.2)) / 2:.4f}')

# 16.3 TextCNN
def corr1d(X, K):
    w = K.shape[0]
    Y = torch.zeros((X.shape[0] - w + 1))
    for i in range(Y.shape[0]):
        Y[i] = (X[i: i + w] * K).sum()
    return Y

X, K = torch.tensor([0, 1, 2, 3, 4, 5, 6]), torch.tensor([1, 2])
print(corr1d(X, K))

def corr1d_multi_in(X, K):
    # First, iterate through the 0th dimension (channel dimension) of `X` and
    # `K`. Then, add them together
    return sum(corr1d(x, k) for x, k in zip(X, K))

X = torch.tensor([[0, 1, 2, 3, 4, 5, 6],
              [1, 2, 3, 4, 5, 6, 7],
              [2, 3, 4, 5, 6, 7, 8]])
K = torch.tensor([[1, 2], [3, 4], [-1, -3]])
print(corr1d_multi_in(X, K))

class TextCNN(nn.Module):
    def __init__(self, vocab_size, embed_size, kernel_sizes, num_channels,
                 **kwargs):
        super(TextCNN, self).__init__(**kwargs)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        # The embedding layer not to be trained
        self.constant_embedding = nn.Embedding(vocab_size, embed_size)
        self.dropout = nn.Dropout(0.5)
        self.decoder = nn.Linear(sum(num_channels), 2)
        # The adaptive average pooling layer has no parameters
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.relu = nn.ReLU()
        # Create multiple one-dimensional convolutional layers
        self.convs = nn.ModuleList()
        for c, k in zip(num_channels, kernel_sizes):
            self.convs.append(nn.Conv1d(2 * embed_size, c, k))

    def forward(self, inputs):
        # Concatenate two embedding layer outputs with shape (batch size, no.
        # of tokens, token vector dimension) along vectors
        embeddings = torch.cat((
            self.embedding(inputs), self.constant_embedding(inputs)), dim=2)
        # Per the input format of one-dimensional convolutional layers,
        # rearrange the tensor so that the second dimension stores channels
        embeddings = embeddings.permute(0, 2, 1)
        # For each one-dimensional convolutional layer, after max-over-time
        # pooling, a tensor of shape (batch size, no. of channels, 1) is
        # obtained. Remove the last dimension and concatenate along channels
        encoding = torch.cat([
            torch.squeeze(self.relu(self.pool(conv(embeddings))), dim=-1)
            for conv in self.convs], dim=1)
        outputs = self.decoder(self.dropout(encoding))
        return outputs

vocab_size = 500
embed_size, kernel_sizes, nums_channels = 100, [3, 4, 5], [100, 100, 100]
textcnn = TextCNN(vocab_size, embed_size, kernel_sizes, nums_channels)

def init_weights(module):
    if type(module) in (nn.Linear, nn.Conv1d):
        nn.init.xavier_uniform_(module.weight)

textcnn.apply(init_weights)
embeds = torch.randn(vocab_size, embed_size)  # the book loads GloVe vectors
textcnn.embedding.weight.data.copy_(embeds)
textcnn.constant_embedding.weight.data.copy_(embeds)
textcnn.constant_embedding.weight.requires_grad = False
print(textcnn)

# 16.2 sentiment analysis with a bidirectional RNN
class BiRNN(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens,
                 num_layers, **kwargs):
        super(BiRNN, self).__init__(**kwargs)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        # Set `bidirectional` to True to get a bidirectional RNN
        self.encoder = nn.LSTM(embed_size, num_hiddens, num_layers=num_layers,
                                bidirectional=True)
        self.decoder = nn.Linear(4 * num_hiddens, 2)

    def forward(self, inputs):
        # The shape of `inputs` is (batch size, no. of time steps). Because
        # LSTM requires its input's first dimension to be the temporal
        # dimension, the input is transposed before obtaining token
        # representations. The output shape is (no. of time steps, batch size,
        # word vector dimension)
        embeddings = self.embedding(inputs.T)
        self.encoder.flatten_parameters()
        # Returns hidden states of the last hidden layer at different time
        # steps. The shape of `outputs` is (no. of time steps, batch size,
        # 2 * no. of hidden units)
        outputs, _ = self.encoder(embeddings)
        # Concatenate the hidden states at the initial and final time steps as
        # the input of the fully connected layer. Its shape is (batch size,
        # 4 * no. of hidden units)
        encoding = torch.cat((outputs[0], outputs[-1]), dim=1)
        outs = self.decoder(encoding)
        return outs

embed_size, num_hiddens, num_layers = 100, 100, 2
birnn = BiRNN(vocab_size, embed_size, num_hiddens, num_layers)

def init_weights(module):
    if type(module) == nn.Linear:
        nn.init.xavier_uniform_(module.weight)
    if type(module) == nn.LSTM:
        for param in module._flat_weights_names:
            if "weight" in param:
                nn.init.xavier_uniform_(module._parameters[param])

birnn.apply(init_weights)
print(birnn)

# 16.5 decomposable attention
def mlp(num_inputs, num_hiddens, flatten):
    net = []
    net.append(nn.Dropout(0.2))
    net.append(nn.Linear(num_inputs, num_hiddens))
    net.append(nn.ReLU())
    if flatten:
        net.append(nn.Flatten(start_dim=1))
    net.append(nn.Dropout(0.2))
    net.append(nn.Linear(num_hiddens, num_hiddens))
    net.append(nn.ReLU())
    if flatten:
        net.append(nn.Flatten(start_dim=1))
    return nn.Sequential(*net)

class Attend(nn.Module):
    def __init__(self, num_inputs, num_hiddens, **kwargs):
        super(Attend, self).__init__(**kwargs)
        self.f = mlp(num_inputs, num_hiddens, flatten=False)

    def forward(self, A, B):
        # Shape of `A`/`B`: (`batch_size`, no. of tokens in sequence A/B,
        # `embed_size`)
        # Shape of `f_A`/`f_B`: (`batch_size`, no. of tokens in sequence A/B,
        # `num_hiddens`)
        f_A = self.f(A)
        f_B = self.f(B)
        # Shape of `e`: (`batch_size`, no. of tokens in sequence A,
        # no. of tokens in sequence B)
        e = torch.bmm(f_A, f_B.permute(0, 2, 1))
        # Shape of `beta`: (`batch_size`, no. of tokens in sequence A,
        # `embed_size`), where sequence B is softly aligned with each token
        # (axis 1 of `beta`) in sequence A
        beta = torch.bmm(F.softmax(e, dim=-1), B)
        # Shape of `alpha`: (`batch_size`, no. of tokens in sequence B,
        # `embed_size`), where sequence A is softly aligned with each token
        # (axis 1 of `alpha`) in sequence B
        alpha = torch.bmm(F.softmax(e.permute(0, 2, 1), dim=-1), A)
        return beta, alpha

class Compare(nn.Module):
    def __init__(self, num_inputs, num_hiddens, **kwargs):
        super(Compare, self).__init__(**kwargs)
        self.g = mlp(num_inputs, num_hiddens, flatten=False)

    def forward(self, A, B, beta, alpha):
        V_A = self.g(torch.cat([A, beta], dim=2))
        V_B = self.g(torch.cat([B, alpha], dim=2))
        return V_A, V_B

class Aggregate(nn.Module):
    def __init__(self, num_inputs, num_hiddens, num_outputs, **kwargs):
        super(Aggregate, self).__init__(**kwargs)
        self.h = mlp(num_inputs, num_hiddens, flatten=True)
        self.linear = nn.Linear(num_hiddens, num_outputs)

    def forward(self, V_A, V_B):
        # Sum up both sets of comparison vectors
        V_A = V_A.sum(dim=1)
        V_B = V_B.sum(dim=1)
        # Feed the concatenation of both summarization results into an MLP
        Y_hat = self.linear(self.h(torch.cat([V_A, V_B], dim=1)))
        return Y_hat

class DecomposableAttention(nn.Module):
    def __init__(self, vocab, embed_size, num_hiddens, num_inputs_attend=100,
                 num_inputs_compare=200, num_inputs_agg=400, **kwargs):
        super(DecomposableAttention, self).__init__(**kwargs)
        self.embedding = nn.Embedding(len(vocab), embed_size)
        self.attend = Attend(num_inputs_attend, num_hiddens)
        self.compare = Compare(num_inputs_compare, num_hiddens)
        # There are 3 possible outputs: entailment, contradiction, and neutral
        self.aggregate = Aggregate(num_inputs_agg, num_hiddens, num_outputs=3)

    def forward(self, X):
        premises, hypotheses = X
        A = self.embedding(premises)
        B = self.embedding(hypotheses)
        beta, alpha = self.attend(A, B)
        V_A, V_B = self.compare(A, B, beta, alpha)
        Y_hat = self.aggregate(V_A, V_B)
        return Y_hat

decomp = DecomposableAttention(list(range(vocab_size)), 100, 200)
print(decomp)
'''

BERT = '''
import torch
from torch import nn
import types

d2l = types.SimpleNamespace()

class MultiHeadAttention(nn.Module):
    """Multi-head attention (11.5, scaled dot product, no mask: valid_lens is None here)."""
    def __init__(self, num_hiddens, num_heads, dropout, bias=False, **kwargs):
        super().__init__()
        self.num_heads = num_heads
        self.dropout = nn.Dropout(dropout)
        self.W_q = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_k = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_v = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_o = nn.LazyLinear(num_hiddens, bias=bias)

    def transpose_qkv(self, X):
        X = X.reshape(X.shape[0], X.shape[1], self.num_heads, -1)
        X = X.permute(0, 2, 1, 3)
        return X.reshape(-1, X.shape[2], X.shape[3])

    def transpose_output(self, X):
        X = X.reshape(-1, self.num_heads, X.shape[1], X.shape[2])
        X = X.permute(0, 2, 1, 3)
        return X.reshape(X.shape[0], X.shape[1], -1)

    def forward(self, queries, keys, values, valid_lens):
        queries = self.transpose_qkv(self.W_q(queries))
        keys = self.transpose_qkv(self.W_k(keys))
        values = self.transpose_qkv(self.W_v(values))
        d = queries.shape[-1]
        scores = torch.bmm(queries, keys.transpose(1, 2)) / d ** 0.5
        self.attention_weights = nn.functional.softmax(scores, dim=-1)
        output = torch.bmm(self.dropout(self.attention_weights), values)
        return self.W_o(self.transpose_output(output))

class AddNorm(nn.Module):
    def __init__(self, norm_shape, dropout):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.ln = nn.LayerNorm(norm_shape)

    def forward(self, X, Y):
        return self.ln(self.dropout(Y) + X)

class PositionWiseFFN(nn.Module):
    def __init__(self, ffn_num_hiddens, ffn_num_outputs):
        super().__init__()
        self.dense1 = nn.LazyLinear(ffn_num_hiddens)
        self.relu = nn.ReLU()
        self.dense2 = nn.LazyLinear(ffn_num_outputs)

    def forward(self, X):
        return self.dense2(self.relu(self.dense1(X)))

class TransformerEncoderBlock(nn.Module):
    def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout,
                 use_bias=False):
        super().__init__()
        self.attention = MultiHeadAttention(num_hiddens, num_heads, dropout, use_bias)
        self.addnorm1 = AddNorm(num_hiddens, dropout)
        self.ffn = PositionWiseFFN(ffn_num_hiddens, num_hiddens)
        self.addnorm2 = AddNorm(num_hiddens, dropout)

    def forward(self, X, valid_lens):
        Y = self.addnorm1(X, self.attention(X, X, X, valid_lens))
        return self.addnorm2(Y, self.ffn(Y))

d2l.TransformerEncoderBlock = TransformerEncoderBlock

def get_tokens_and_segments(tokens_a, tokens_b=None):
    """Get tokens of the BERT input sequence and their segment IDs."""
    tokens = ['<cls>'] + tokens_a + ['<sep>']
    # 0 and 1 are marking segment A and B, respectively
    segments = [0] * (len(tokens_a) + 2)
    if tokens_b is not None:
        tokens += tokens_b + ['<sep>']
        segments += [1] * (len(tokens_b) + 1)
    return tokens, segments

print(get_tokens_and_segments(['a', 'b'], ['c']))

class BERTEncoder(nn.Module):
    """BERT encoder."""
    def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads,
                 num_blks, dropout, max_len=1000, **kwargs):
        super(BERTEncoder, self).__init__(**kwargs)
        self.token_embedding = nn.Embedding(vocab_size, num_hiddens)
        self.segment_embedding = nn.Embedding(2, num_hiddens)
        self.blks = nn.Sequential()
        for i in range(num_blks):
            self.blks.add_module(f"{i}", d2l.TransformerEncoderBlock(
                num_hiddens, ffn_num_hiddens, num_heads, dropout, True))
        # In BERT, positional embeddings are learnable, thus we create a
        # parameter of positional embeddings that are long enough
        self.pos_embedding = nn.Parameter(torch.randn(1, max_len,
                                                      num_hiddens))

    def forward(self, tokens, segments, valid_lens):
        # Shape of `X` remains unchanged in the following code snippet:
        # (batch size, max sequence length, `num_hiddens`)
        X = self.token_embedding(tokens) + self.segment_embedding(segments)
        X = X + self.pos_embedding[:, :X.shape[1], :]
        for blk in self.blks:
            X = blk(X, valid_lens)
        return X

vocab_size, num_hiddens, ffn_num_hiddens, num_heads = 500, 64, 128, 4
ffn_num_input, num_blks, dropout = 64, 2, 0.2
encoder = BERTEncoder(vocab_size, num_hiddens, ffn_num_hiddens, num_heads,
                      num_blks, dropout)

tokens = torch.randint(0, vocab_size, (2, 8))
segments = torch.tensor([[0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1, 1, 1]])
encoded_X = encoder(tokens, segments, None)
print(encoded_X.shape)

class MaskLM(nn.Module):
    """The masked language model task of BERT."""
    def __init__(self, vocab_size, num_hiddens, **kwargs):
        super(MaskLM, self).__init__(**kwargs)
        self.mlp = nn.Sequential(nn.LazyLinear(num_hiddens),
                                 nn.ReLU(),
                                 nn.LayerNorm(num_hiddens),
                                 nn.LazyLinear(vocab_size))

    def forward(self, X, pred_positions):
        num_pred_positions = pred_positions.shape[1]
        pred_positions = pred_positions.reshape(-1)
        batch_size = X.shape[0]
        batch_idx = torch.arange(0, batch_size)
        # Suppose that `batch_size` = 2, `num_pred_positions` = 3, then
        # `batch_idx` is `torch.tensor([0, 0, 0, 1, 1, 1])`
        batch_idx = torch.repeat_interleave(batch_idx, num_pred_positions)
        masked_X = X[batch_idx, pred_positions]
        masked_X = masked_X.reshape((batch_size, num_pred_positions, -1))
        mlm_Y_hat = self.mlp(masked_X)
        return mlm_Y_hat

mlm = MaskLM(vocab_size, num_hiddens)
mlm_positions = torch.tensor([[1, 5, 2], [6, 1, 5]])
mlm_Y_hat = mlm(encoded_X, mlm_positions)
print(mlm_Y_hat.shape)

mlm_Y = torch.tensor([[7, 8, 9], [10, 20, 30]])
loss = nn.CrossEntropyLoss(reduction='none')
mlm_l = loss(mlm_Y_hat.reshape((-1, vocab_size)), mlm_Y.reshape(-1))
print(mlm_l.shape)

class NextSentencePred(nn.Module):
    """The next sentence prediction task of BERT."""
    def __init__(self, **kwargs):
        super(NextSentencePred, self).__init__(**kwargs)
        self.output = nn.LazyLinear(2)

    def forward(self, X):
        # `X` shape: (batch size, `num_hiddens`)
        return self.output(X)

encoded_X = torch.flatten(encoded_X, start_dim=1)
# input_shape for NSP: (batch size, `num_hiddens`)
nsp = NextSentencePred()
nsp_Y_hat = nsp(encoded_X)
print(nsp_Y_hat.shape)

nsp_y = torch.tensor([0, 1])
nsp_l = loss(nsp_Y_hat, nsp_y)
print(nsp_l.shape)

class BERTModel(nn.Module):
    """The BERT model."""
    def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens,
                 num_heads, num_blks, dropout, max_len=1000):
        super(BERTModel, self).__init__()
        self.encoder = BERTEncoder(vocab_size, num_hiddens, ffn_num_hiddens,
                                   num_heads, num_blks, dropout,
                                   max_len=max_len)
        self.hidden = nn.Sequential(nn.LazyLinear(num_hiddens),
                                    nn.Tanh())
        self.mlm = MaskLM(vocab_size, num_hiddens)
        self.nsp = NextSentencePred()

    def forward(self, tokens, segments, valid_lens=None, pred_positions=None):
        encoded_X = self.encoder(tokens, segments, valid_lens)
        if pred_positions is not None:
            mlm_Y_hat = self.mlm(encoded_X, pred_positions)
        else:
            mlm_Y_hat = None
        # The hidden layer of the MLP classifier for next sentence prediction.
        # 0 is the index of the '<cls>' token
        nsp_Y_hat = self.nsp(self.hidden(encoded_X[:, 0, :]))
        return encoded_X, mlm_Y_hat, nsp_Y_hat

bert = BERTModel(vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout,
                 max_len=64)
outs = bert(tokens, segments, None, mlm_positions)
print([o.shape for o in outs])
'''


def test_nlp_models_print_like_pytorch():
    pytest.importorskip("torch")
    _, ours = run(MODELS)
    _, theirs = run(MODELS, "torch")
    assert normalise(ours) == normalise(theirs)


def test_nlp_models_on_ember():
    ns, out = run(MODELS)
    text = normalise(out)
    assert "Parameter embedding_weight (torch.Size([20, 4]), dtype=torch.float32)" in text
    assert "torch.Size([2, 3, 4])\ntorch.Size([2, 1, 4])" in text
    assert "tensor([0.9352, 1.8462])\n0.9352\n1.8462" in out
    assert "tensor([ 2.,  5.,  8., 11., 14., 17.])" in out
    assert "tensor([ 2.,  8., 14., 20., 26., 32.])" in out
    textcnn = ns["textcnn"]
    assert not textcnn.constant_embedding.weight.requires_grad
    assert sum(p.requires_grad for p in textcnn.parameters()) == 9


def _same_weights(e_model, t_model, torch):
    t_model.load_state_dict({k: torch.tensor(v.detach().numpy())
                             for k, v in e_model.state_dict().items()})
    e_model.eval()
    t_model.eval()


def _compare(e_out, t_out, e_params, t_params):
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-4,
                               atol=1e-5)
    for (name, a), (_, b) in zip(e_params, t_params):
        if b.grad is None:
            assert a.grad is None, name
            continue
        scale = max(1.0, float(b.grad.abs().max()))
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-3,
                                   atol=1e-5 * scale, err_msg=name)


@pytest.mark.parametrize("name", ["textcnn", "birnn", "decomp"])
def test_nlp_models_match_pytorch_from_same_weights(name):
    torch = pytest.importorskip("torch")
    (e, _), (t, _) = run(MODELS), run(MODELS, "torch")
    em, tm = e[name], t[name]
    _same_weights(em, tm, torch)
    rng = np.random.default_rng(0)
    if name == "decomp":
        tokens = (rng.integers(0, 500, (3, 7)), rng.integers(0, 500, (3, 5)))
        ye = em(tuple(e["torch"].tensor(a) for a in tokens))
        yt = tm(tuple(torch.tensor(a) for a in tokens))
    else:
        tokens = rng.integers(0, 500, (3, 9))
        ye, yt = em(e["torch"].tensor(tokens)), tm(torch.tensor(tokens))
    labels = rng.integers(0, ye.shape[1], 3)
    e["torch"].nn.functional.cross_entropy(ye, e["torch"].tensor(labels)).backward()
    torch.nn.functional.cross_entropy(yt, torch.tensor(labels)).backward()
    _compare(ye, yt, list(em.named_parameters()), list(tm.named_parameters()))


def test_skip_gram_loss_matches_pytorch():
    """skip_gram + the masked SigmoidBCELoss as the book's training loop computes it."""
    torch = pytest.importorskip("torch")
    (e, _), (t, _) = run(MODELS), run(MODELS, "torch")
    rng = np.random.default_rng(0)
    W = rng.standard_normal((2, 30, 8)).astype(np.float32) * 0.3
    center = rng.integers(0, 30, (4, 1))
    ctx = rng.integers(0, 30, (4, 6))
    mask = np.array([[1] * 6, [1] * 4 + [0] * 2, [1] * 5 + [0], [1] * 6])
    label = np.array([[1, 1, 0, 0, 0, 0]] * 4, np.float32)
    res = []
    for ns, lib in ((e, e["torch"]), (t, torch)):
        net = lib.nn.Sequential(lib.nn.Embedding(30, 8), lib.nn.Embedding(30, 8))
        with lib.no_grad():
            net[0].weight.copy_(lib.tensor(W[0]))
            net[1].weight.copy_(lib.tensor(W[1]))
        m = lib.tensor(mask)
        pred = ns["skip_gram"](lib.tensor(center), lib.tensor(ctx), net[0], net[1])
        lab = lib.tensor(label)
        l = (ns["loss"](pred.reshape(lab.shape).float(), lab.float(), m)
             / m.sum(axis=1) * m.shape[1])
        l.sum().backward()
        res.append((l.detach().numpy(), net[0].weight.grad.numpy(), net[1].weight.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_bert_on_ember_and_like_pytorch():
    ns, out = run(BERT)
    text = normalise(out)
    assert "(['<cls>', 'a', 'b', '<sep>', 'c', '<sep>'], [0, 0, 0, 0, 1, 1])" in out
    assert "torch.Size([2, 8, 64])\ntorch.Size([2, 3, 500])\ntorch.Size([6])" in text
    assert "torch.Size([2, 2])\ntorch.Size([2])" in text
    assert "[torch.Size([2, 8, 64]), torch.Size([2, 3, 500]), torch.Size([2, 2])]" in text
    torch = pytest.importorskip("torch")
    t, t_out = run(BERT, "torch")
    assert normalise(t_out) == text
    em, tm = ns["bert"], t["bert"]
    _same_weights(em, tm, torch)
    rng = np.random.default_rng(1)
    tokens, segments = rng.integers(0, 500, (2, 10)), (np.arange(10) >= 5).astype(np.int64)
    segments = np.stack([segments, segments])
    pos = np.array([[1, 5, 2], [6, 1, 9]])
    oe = em(*(ns["torch"].tensor(a) for a in (tokens, segments)), None, ns["torch"].tensor(pos))
    ot = tm(*(torch.tensor(a) for a in (tokens, segments)), None, torch.tensor(pos))
    (oe[1].sum() + oe[2].sum()).backward()
    (ot[1].sum() + ot[2].sum()).backward()
    for a, b in zip(oe, ot):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4,
                                   atol=1e-4)
    _compare(oe[2], ot[2], list(em.named_parameters()), list(tm.named_parameters()))
