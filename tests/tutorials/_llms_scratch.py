"""Stand-ins for what "Build a Large Language Model (From Scratch)" downloads or imports.

No network here: tiktoken's GPT-2 BPE files, the-verdict.txt, the SMS spam collection,
instruction-data.json and OpenAI's GPT-2 checkpoint cannot be fetched, and tiktoken, pandas
and tensorflow are not installed. This module makes small deterministic replacements:

* ``tiktoken_module()``: a module with ``get_encoding("gpt2")`` returning a tokenizer with
  tiktoken's interface (``encode(text, allowed_special=...)``, ``decode(ids)``, ``n_vocab``,
  ``eot_token``). Like GPT-2's BPE it splits text with GPT-2's pre-tokenizer pattern
  (ASCII classes), keeps the ids 0-255 for single bytes (the fallback for any piece it does
  not know, so every text round-trips), numbers known word pieces from 256 on, and uses
  50256 for ``<|endoftext|>`` in a 50257-id vocabulary. Ids it never assigned decode to a
  visible placeholder (a random model generates them).
* ``verdict_text()``, ``spam_tsv()``, ``instruction_data()``: generated stand-ins for the
  book's data files, with the words the book's code looks up.
* ``pandas_module()``: the part of pandas chapter 6 calls (read_csv, boolean masks, sample,
  concat, map, reset_index, row slices, to_csv, iloc).
* ``gpt2_params(...)``: random arrays shaped like OpenAI's GPT-2 checkpoint as
  ``load_gpt2_params_from_tf_ckpt`` returns them (for ``load_weights_into_gpt``).
"""
import csv
import importlib.machinery
import random
import re
import types

import numpy as np

EOT = "<|endoftext|>"
EOT_ID = 50256
N_VOCAB = 50257

_WORDS = """
I HAD always thought Jack Gisburn rather a cheap genius though good fellow enough so it was no
great surprise to me hear that in the height of his glory he had dropped painting married rich
widow and established himself villa on Riviera Mrs said with pardonable pride It s last painted
you know do like tea Is this test In sunlit terraces of Every effort moves one step your journey
starts I am Hello world palace every effort moves you toward forward closer inches pizza
Below is an instruction that describes task Write response appropriately completes request
Instruction Input Response Rewrite sentence using simile What capital France Paris Convert
active passive voice The cat chased mouse was by Give synonym for happy joyful Translate
into Spanish Thank very much Muchas gracias Name primary color Red Classify number even odd
Four Correct spelling definately definitely Summarize text short sun bright day warm
car fast lightning quick cold ice
Free entry win prize claim now call txt reply STOP cash award urgent mobile offer
ok see later lunch home are we still meeting tomorrow sorry can not talk right will call back
love thanks for dinner going movie tonight pick up at day holds
""".split()


def _pieces():
    seen, out = set(), []
    for w in _WORDS:
        for p in (w, " " + w, w.capitalize(), " " + w.capitalize()):
            if p not in seen:
                seen.add(p)
                out.append(p)
    for p in [",", ".", "?", "!", ";", ":", "--", '"', "'", " \"", " '", "\n", "\n\n", "###",
              " ###", "-", "(", ")"]:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


# GPT-2's pre-tokenizer with ASCII classes (re has no \p{L}): contractions, words, numbers,
# other symbols, each with an optional leading space; whitespace runs
_SPLIT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+"""
                    r"""|\s+(?!\S)|\s+""")


class Encoding:
    """tiktoken.Encoding's interface over a small word-piece vocabulary with byte fallback."""

    name = "gpt2"
    n_vocab = N_VOCAB
    eot_token = EOT_ID

    def __init__(self):
        self._ids = {p: 256 + i for i, p in enumerate(_pieces())}
        self._strs = {i: p.encode("utf-8") for p, i in self._ids.items()}
        self._strs.update({i: bytes([i]) for i in range(256)})
        self._strs[EOT_ID] = EOT.encode()

    def _encode_ordinary(self, text):
        ids = []
        for piece in _SPLIT.findall(text):
            i = self._ids.get(piece)
            if i is not None:
                ids.append(i)
            else:
                ids.extend(piece.encode("utf-8"))
        return ids

    def encode(self, text, *, allowed_special=frozenset(), disallowed_special="all"):
        if allowed_special == "all":
            allowed_special = {EOT}
        if disallowed_special == "all" and EOT not in allowed_special and EOT in text:
            raise ValueError(
                f"Encountered text corresponding to disallowed special token {EOT!r}.\n"
                "If you want this text to be encoded as a special token, pass it to "
                f"`allowed_special`, e.g. `allowed_special={{{EOT!r}, ...}}`.")
        if EOT not in allowed_special:
            return self._encode_ordinary(text)
        ids = []
        for k, part in enumerate(text.split(EOT)):
            if k:
                ids.append(EOT_ID)
            ids.extend(self._encode_ordinary(part))
        return ids

    def decode(self, tokens, errors="replace"):
        out = b"".join(self._strs.get(int(t)) or f" <{int(t)}>".encode() for t in tokens)
        return out.decode("utf-8", errors=errors)


def tiktoken_module():
    mod = types.ModuleType("tiktoken")
    mod.__spec__ = importlib.machinery.ModuleSpec("tiktoken", None)  # (PyTorch probes modules)
    enc = Encoding()
    mod.Encoding = Encoding
    mod.__version__ = "0.7.0"

    def get_encoding(name):
        if name != "gpt2":
            raise ValueError(f"Unknown encoding {name}")
        return enc

    mod.get_encoding = get_encoding
    return mod


def verdict_text(n_sentences=60, seed=0):
    """A the-verdict.txt stand-in: the story's opening words, then generated sentences that use
    the words chapter 2's examples look up ("It's the last he painted, you know," ...)."""
    rnd = random.Random(seed)
    words = ("the he his glory painting Riviera villa widow rich great surprise always thought "
             "good fellow enough cheap genius rather it was no hear that in had dropped "
             "married established himself with pride you know last painted do like tea of "
             "sunlit terraces one step every effort moves toward forward closer").split()
    out = ["I HAD always thought Jack Gisburn rather a cheap genius--though a good fellow "
           "enough--so it was no great surprise to me to hear that, in the height of his "
           "glory, he had dropped his painting, married a rich widow, and established himself "
           "in a villa on the Riviera.",
           "\"It's the last he painted, you know,\" Mrs. Gisburn said with pardonable pride.",
           "Is this a test? In the sunlit terraces of the villa, do you like tea?"]
    for _ in range(n_sentences):
        s = " ".join(rnd.choice(words) for _ in range(rnd.randint(5, 11)))
        if rnd.random() < 0.2:
            s += "--" + " ".join(rnd.choice(words) for _ in range(3))
        out.append(s[0].upper() + s[1:] + rnd.choice([".", ".", ",", "?", "!", ";"]))
    return " ".join(out) + "\n"


def spam_tsv(n_ham=48, n_spam=14, seed=0):
    """SMSSpamCollection lines: 'ham' or 'spam', a tab, the message."""
    rnd = random.Random(seed)
    ham = "ok see you later lunch home are we still meeting tomorrow sorry can not talk right " \
          "now will call back love thanks for dinner going to movie tonight pick up at".split()
    spam = "Free entry win a prize claim now call txt reply STOP cash award urgent mobile " \
           "offer to you".split()
    rows = [("ham", ham, rnd.randint(4, 12)) for _ in range(n_ham)] + \
        [("spam", spam, rnd.randint(8, 16)) for _ in range(n_spam)]
    rnd.shuffle(rows)
    lines = []
    for label, vocab, n in rows:
        msg = " ".join(rnd.choice(vocab) for _ in range(n))
        lines.append(f"{label}\t{msg[0].upper() + msg[1:]}{rnd.choice(['.', '!', '?'])}")
    return "\n".join(lines) + "\n"


def instruction_data(n=20):
    """instruction-data.json entries: instruction, input (sometimes empty), output."""
    base = [
        {"instruction": "Rewrite the sentence using a simile.",
         "input": "The car is very fast.", "output": "The car is as fast as lightning."},
        {"instruction": "What is the capital of France?", "input": "",
         "output": "The capital of France is Paris."},
        {"instruction": "Convert the active sentence to passive voice.",
         "input": "The cat chased the mouse.", "output": "The mouse was chased by the cat."},
        {"instruction": "Give a synonym for happy.", "input": "", "output": "joyful"},
        {"instruction": "Translate the sentence into Spanish.", "input": "Thank you very much.",
         "output": "Muchas gracias."},
        {"instruction": "Name a primary color.", "input": "", "output": "Red."},
        {"instruction": "Classify the number as even or odd.", "input": "Four",
         "output": "even"},
        {"instruction": "Correct the spelling.", "input": "definately",
         "output": "definitely"},
        {"instruction": "Summarize the text.", "input": "The sun is bright. The day is warm.",
         "output": "It is a warm, bright day."},
        {"instruction": "Rewrite the sentence using a simile.", "input": "It is cold.",
         "output": "It is as cold as ice."},
    ]
    return [dict(base[i % len(base)]) for i in range(n)]


# -- pandas: the part chapter 6 uses ------------------------------------------------------------
class _Series:
    def __init__(self, values):
        self.values = list(values)

    def __iter__(self):
        return iter(self.values)

    def __len__(self):
        return len(self.values)

    def __eq__(self, other):
        return _Series(v == other for v in self.values)

    def __getitem__(self, i):
        return self.values[i]

    def map(self, mapping):
        return _Series(mapping[v] for v in self.values)


class _Row(dict):
    pass


class DataFrame:
    def __init__(self, columns, rows):
        self.columns = list(columns)
        self._rows = [list(r) for r in rows]
        self.iloc = _ILoc(self)

    @property
    def shape(self):
        return (len(self._rows), len(self.columns))

    def __len__(self):
        return len(self._rows)

    def __getitem__(self, key):
        if isinstance(key, str):
            j = self.columns.index(key)
            return _Series(r[j] for r in self._rows)
        if isinstance(key, _Series):
            return DataFrame(self.columns, [r for r, m in zip(self._rows, key) if m])
        if isinstance(key, slice):
            return DataFrame(self.columns, self._rows[key])
        raise KeyError(key)

    def __setitem__(self, key, series):
        j = self.columns.index(key)
        for r, v in zip(self._rows, series):
            r[j] = v

    def sample(self, n=None, frac=None, random_state=None):
        rows = list(self._rows)
        random.Random(random_state).shuffle(rows)
        n = len(rows) if n is None and frac is not None else n
        return DataFrame(self.columns, rows[:n] if frac is None else rows[:int(frac * len(rows))])

    def reset_index(self, drop=False):
        return DataFrame(self.columns, self._rows)

    def to_csv(self, path, index=None):
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(self.columns)
            w.writerows(self._rows)


class _ILoc:
    def __init__(self, df):
        self.df = df

    def __getitem__(self, i):
        return _Row(zip(self.df.columns, self.df._rows[i]))


def _parse(v):
    try:
        return int(v)
    except ValueError:
        return v


def read_csv(path, sep=",", header="infer", names=None):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter=sep))
    if header is None:
        columns = names
    else:
        columns, rows = rows[0], rows[1:]
    return DataFrame(columns, [[_parse(v) for v in r] for r in rows])


def concat(frames):
    return DataFrame(frames[0].columns, [r for f in frames for r in f._rows])


def pandas_module():
    mod = types.ModuleType("pandas")
    mod.__spec__ = importlib.machinery.ModuleSpec("pandas", None)
    mod.read_csv, mod.concat, mod.DataFrame = read_csv, concat, DataFrame
    return mod


# -- OpenAI's GPT-2 checkpoint, as load_gpt2_params_from_tf_ckpt returns it --------------------
def gpt2_params(n_layer, n_embd, n_vocab=N_VOCAB, n_ctx=1024, seed=0):
    rng = np.random.default_rng(seed)

    def r(*shape):
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    blocks = [{"attn": {"c_attn": {"w": r(n_embd, 3 * n_embd), "b": r(3 * n_embd)},
                        "c_proj": {"w": r(n_embd, n_embd), "b": r(n_embd)}},
               "mlp": {"c_fc": {"w": r(n_embd, 4 * n_embd), "b": r(4 * n_embd)},
                       "c_proj": {"w": r(4 * n_embd, n_embd), "b": r(n_embd)}},
               "ln_1": {"g": 1 + r(n_embd), "b": r(n_embd)},
               "ln_2": {"g": 1 + r(n_embd), "b": r(n_embd)}} for _ in range(n_layer)]
    settings = {"n_vocab": n_vocab, "n_ctx": n_ctx, "n_embd": n_embd, "n_head": 2,
                "n_layer": n_layer}
    params = {"blocks": blocks, "wte": r(n_vocab, n_embd), "wpe": r(n_ctx, n_embd),
              "g": 1 + r(n_embd), "b": r(n_embd)}
    return settings, params


def fake_version(real_version):
    """importlib.metadata.version that answers for the packages stood in for here."""
    def version(name):
        if name in ("tiktoken", "tensorflow", "pandas"):
            return {"tiktoken": "0.7.0", "tensorflow": "2.15.0", "pandas": "2.2.1"}[name]
        return real_version(name)
    return version
