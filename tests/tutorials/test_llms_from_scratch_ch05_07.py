# ruff: noqa: E501, W291, W293
"""Sebastian Raschka's "Build a Large Language Model (From Scratch)" (rasbt/LLMs-from-scratch,
Apache-2.0), chapters 5-7, on ember with only the import lines rewritten.

* ch05 gpt_train.py as a script (calc_loss_batch/calc_loss_loader, evaluate_model,
  train_model_simple with AdamW, generate_and_print_sample, plot_losses, torch.save and
  torch.load of the state_dict), ch05.ipynb's sections 5.3-5.4 (temperature scaling,
  multinomial sampling, top-k with torch.where, `generate`, saving and restoring model and
  optimizer), and gpt_generate.py's `assign`/`load_weights_into_gpt`/`generate`, fed random
  arrays shaped like OpenAI's GPT-2 checkpoint (no TensorFlow, no download);
* ch06 gpt_class_finetune.py run as `python gpt_class_finetune.py --test_mode` (the repo's
  own small-model mode): SMS spam data balanced and split with pandas, SpamDataset, frozen
  parameters, a new out_head, train_classifier_simple, calc_accuracy_loader, plots;
* ch07 gpt_instruction_finetuning.py run with `--test_mode`: InstructionDataset,
  custom_collate_fn (padding, ignore_index=-100, allowed_max_length), training, response
  generation with eos_id, the json and .pth it writes.

Deviations: the stand-ins of _llms_scratch.py for tiktoken, pandas and the data files;
gpt_train.py's GPT_CONFIG_124M shrunk (2 layers, emb_dim 32, context 32) and 2 epochs;
gpt_instruction_finetuning.py 1 epoch instead of 2 and responses 8 tokens long instead of 256
(its data set: 20 generated entries). previous_chapters.py and gpt_download.py are assembled from the
chapters' code above (the download function stands in with random weights; test mode never
calls it). ember reproduces PyTorch's random streams, so gpt_train.py's seeded losses and
ch05's seeded samples agree with PyTorch's own run; the other runs are compared by printed
structure, and numbers from the same weights: the ember-trained models are loaded into
PyTorch's copies of the same classes (and checkpoints cross both ways), then losses,
accuracies, logits, gradients, optimizer steps and greedy token ids must agree.
"""
import contextlib
import importlib.metadata
import json
import re
import sys
import types

import numpy as np
import pytest
from _harness import assert_prints_alike, mask_numbers, normalise, run
from _llms_scratch import (
    fake_version,
    gpt2_params,
    instruction_data,
    pandas_module,
    spam_tsv,
    tiktoken_module,
    verdict_text,
)
from test_llms_from_scratch_ch02_04 import GPT_PY, load_from_torch, np_of, on_ember

GPT_TRAIN = r'''
# Copyright (c) Sebastian Raschka under Apache License 2.0 (see LICENSE.txt).
# Source for "Build a Large Language Model From Scratch"
#   - https://www.manning.com/books/build-a-large-language-model-from-scratch
# Code: https://github.com/rasbt/LLMs-from-scratch

import matplotlib.pyplot as plt
import os
import torch
import urllib.request
import tiktoken


# Import from local files
from previous_chapters import GPTModel, create_dataloader_v1, generate_text_simple


def text_to_token_ids(text, tokenizer):
    encoded = tokenizer.encode(text)
    encoded_tensor = torch.tensor(encoded).unsqueeze(0)  # add batch dimension
    return encoded_tensor


def token_ids_to_text(token_ids, tokenizer):
    flat = token_ids.squeeze(0)  # remove batch dimension
    return tokenizer.decode(flat.tolist())


def calc_loss_batch(input_batch, target_batch, model, device):
    input_batch, target_batch = input_batch.to(device), target_batch.to(device)
    logits = model(input_batch)
    loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), target_batch.flatten())
    return loss


def calc_loss_loader(data_loader, model, device, num_batches=None):
    total_loss = 0.
    if len(data_loader) == 0:
        return float("nan")
    elif num_batches is None:
        num_batches = len(data_loader)
    else:
        num_batches = min(num_batches, len(data_loader))
    for i, (input_batch, target_batch) in enumerate(data_loader):
        if i < num_batches:
            loss = calc_loss_batch(input_batch, target_batch, model, device)
            total_loss += loss.item()
        else:
            break
    return total_loss / num_batches


def evaluate_model(model, train_loader, val_loader, device, eval_iter):
    model.eval()
    with torch.no_grad():
        train_loss = calc_loss_loader(train_loader, model, device, num_batches=eval_iter)
        val_loss = calc_loss_loader(val_loader, model, device, num_batches=eval_iter)
    model.train()
    return train_loss, val_loss


def generate_and_print_sample(model, tokenizer, device, start_context):
    model.eval()
    context_size = model.pos_emb.weight.shape[0]
    encoded = text_to_token_ids(start_context, tokenizer).to(device)
    with torch.no_grad():
        token_ids = generate_text_simple(
            model=model, idx=encoded,
            max_new_tokens=50, context_size=context_size
        )
        decoded_text = token_ids_to_text(token_ids, tokenizer)
        print(decoded_text.replace("\n", " "))  # Compact print format
    model.train()


def train_model_simple(model, train_loader, val_loader, optimizer, device, num_epochs,
                       eval_freq, eval_iter, start_context, tokenizer):
    # Initialize lists to track losses and tokens seen
    train_losses, val_losses, track_tokens_seen = [], [], []
    tokens_seen = 0
    global_step = -1

    # Main training loop
    for epoch in range(num_epochs):
        model.train()  # Set model to training mode

        for input_batch, target_batch in train_loader:
            optimizer.zero_grad()  # Reset loss gradients from previous batch iteration
            loss = calc_loss_batch(input_batch, target_batch, model, device)
            loss.backward()  # Calculate loss gradients
            optimizer.step()  # Update model weights using loss gradients
            tokens_seen += input_batch.numel()
            global_step += 1

            # Optional evaluation step
            if global_step % eval_freq == 0:
                train_loss, val_loss = evaluate_model(
                    model, train_loader, val_loader, device, eval_iter)
                train_losses.append(train_loss)
                val_losses.append(val_loss)
                track_tokens_seen.append(tokens_seen)
                print(f"Ep {epoch+1} (Step {global_step:06d}): "
                      f"Train loss {train_loss:.3f}, Val loss {val_loss:.3f}")

        # Print a sample text after each epoch
        generate_and_print_sample(
            model, tokenizer, device, start_context
        )

    return train_losses, val_losses, track_tokens_seen


def plot_losses(epochs_seen, tokens_seen, train_losses, val_losses):
    fig, ax1 = plt.subplots()

    # Plot training and validation loss against epochs
    ax1.plot(epochs_seen, train_losses, label="Training loss")
    ax1.plot(epochs_seen, val_losses, linestyle="-.", label="Validation loss")
    ax1.set_xlabel("Epochs")
    ax1.set_ylabel("Loss")
    ax1.legend(loc="upper right")

    # Create a second x-axis for tokens seen
    ax2 = ax1.twiny()  # Create a second x-axis that shares the same y-axis
    ax2.plot(tokens_seen, train_losses, alpha=0)  # Invisible plot for aligning ticks
    ax2.set_xlabel("Tokens seen")

    fig.tight_layout()  # Adjust layout to make room
    # plt.show()


def main(gpt_config, settings):

    torch.manual_seed(123)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    ##############################
    # Download data if necessary
    ##############################

    file_path = "the-verdict.txt"
    url = "https://raw.githubusercontent.com/rasbt/LLMs-from-scratch/main/ch02/01_main-chapter-code/the-verdict.txt"

    if not os.path.exists(file_path):
        with urllib.request.urlopen(url) as response:
            text_data = response.read().decode('utf-8')
        with open(file_path, "w", encoding="utf-8") as file:
            file.write(text_data)
    else:
        with open(file_path, "r", encoding="utf-8") as file:
            text_data = file.read()

    ##############################
    # Initialize model
    ##############################

    model = GPTModel(gpt_config)
    model.to(device)  # no assignment model = model.to(device) necessary for nn.Module classes
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=settings["learning_rate"], weight_decay=settings["weight_decay"]
    )

    ##############################
    # Set up dataloaders
    ##############################

    # Train/validation ratio
    train_ratio = 0.90
    split_idx = int(train_ratio * len(text_data))

    train_loader = create_dataloader_v1(
        text_data[:split_idx],
        batch_size=settings["batch_size"],
        max_length=gpt_config["context_length"],
        stride=gpt_config["context_length"],
        drop_last=True,
        shuffle=True,
        num_workers=0
    )

    val_loader = create_dataloader_v1(
        text_data[split_idx:],
        batch_size=settings["batch_size"],
        max_length=gpt_config["context_length"],
        stride=gpt_config["context_length"],
        drop_last=False,
        shuffle=False,
        num_workers=0
    )

    ##############################
    # Train model
    ##############################

    tokenizer = tiktoken.get_encoding("gpt2")

    train_losses, val_losses, tokens_seen = train_model_simple(
        model, train_loader, val_loader, optimizer, device,
        num_epochs=settings["num_epochs"], eval_freq=5, eval_iter=1,
        start_context="Every effort moves you", tokenizer=tokenizer
    )

    return train_losses, val_losses, tokens_seen, model


if __name__ == "__main__":

    GPT_CONFIG_124M = {
        "vocab_size": 50257,    # Vocabulary size
        "context_length": 32,  # Shortened context length (orig: 1024)
        "emb_dim": 32,         # Embedding dimension
        "n_heads": 4,        # Number of attention heads
        "n_layers": 2,        # Number of layers
        "drop_rate": 0.1,       # Dropout rate
        "qkv_bias": False       # Query-key-value bias
    }

    OTHER_SETTINGS = {
        "learning_rate": 5e-4,
        "num_epochs": 2,
        "batch_size": 2,
        "weight_decay": 0.1
    }

    ###########################
    # Initiate training
    ###########################

    train_losses, val_losses, tokens_seen, model = main(GPT_CONFIG_124M, OTHER_SETTINGS)

    ###########################
    # After training
    ###########################

    # Plot results
    epochs_tensor = torch.linspace(0, OTHER_SETTINGS["num_epochs"], len(train_losses))
    plot_losses(epochs_tensor, tokens_seen, train_losses, val_losses)
    plt.savefig("loss.pdf")

    # Save and load model
    torch.save(model.state_dict(), "model.pth")
    model = GPTModel(GPT_CONFIG_124M)
    model.load_state_dict(torch.load("model.pth"))
'''

# gpt_generate.py's functions past its TensorFlow checkpoint reader (no TensorFlow here)
GPT_GENERATE = r'''
import numpy as np
import torch


def assign(left, right):
    if left.shape != right.shape:
        raise ValueError(f"Shape mismatch. Left: {left.shape}, Right: {right.shape}")
    return torch.nn.Parameter(torch.tensor(right))


def load_weights_into_gpt(gpt, params):
    gpt.pos_emb.weight = assign(gpt.pos_emb.weight, params['wpe'])
    gpt.tok_emb.weight = assign(gpt.tok_emb.weight, params['wte'])

    for b in range(len(params["blocks"])):
        q_w, k_w, v_w = np.split(
            (params["blocks"][b]["attn"]["c_attn"])["w"], 3, axis=-1)
        gpt.trf_blocks[b].att.W_query.weight = assign(
            gpt.trf_blocks[b].att.W_query.weight, q_w.T)
        gpt.trf_blocks[b].att.W_key.weight = assign(
            gpt.trf_blocks[b].att.W_key.weight, k_w.T)
        gpt.trf_blocks[b].att.W_value.weight = assign(
            gpt.trf_blocks[b].att.W_value.weight, v_w.T)

        q_b, k_b, v_b = np.split(
            (params["blocks"][b]["attn"]["c_attn"])["b"], 3, axis=-1)
        gpt.trf_blocks[b].att.W_query.bias = assign(
            gpt.trf_blocks[b].att.W_query.bias, q_b)
        gpt.trf_blocks[b].att.W_key.bias = assign(
            gpt.trf_blocks[b].att.W_key.bias, k_b)
        gpt.trf_blocks[b].att.W_value.bias = assign(
            gpt.trf_blocks[b].att.W_value.bias, v_b)

        gpt.trf_blocks[b].att.out_proj.weight = assign(
            gpt.trf_blocks[b].att.out_proj.weight,
            params["blocks"][b]["attn"]["c_proj"]["w"].T)
        gpt.trf_blocks[b].att.out_proj.bias = assign(
            gpt.trf_blocks[b].att.out_proj.bias,
            params["blocks"][b]["attn"]["c_proj"]["b"])

        gpt.trf_blocks[b].ff.layers[0].weight = assign(
            gpt.trf_blocks[b].ff.layers[0].weight,
            params["blocks"][b]["mlp"]["c_fc"]["w"].T)
        gpt.trf_blocks[b].ff.layers[0].bias = assign(
            gpt.trf_blocks[b].ff.layers[0].bias,
            params["blocks"][b]["mlp"]["c_fc"]["b"])
        gpt.trf_blocks[b].ff.layers[2].weight = assign(
            gpt.trf_blocks[b].ff.layers[2].weight,
            params["blocks"][b]["mlp"]["c_proj"]["w"].T)
        gpt.trf_blocks[b].ff.layers[2].bias = assign(
            gpt.trf_blocks[b].ff.layers[2].bias,
            params["blocks"][b]["mlp"]["c_proj"]["b"])

        gpt.trf_blocks[b].norm1.scale = assign(
            gpt.trf_blocks[b].norm1.scale,
            params["blocks"][b]["ln_1"]["g"])
        gpt.trf_blocks[b].norm1.shift = assign(
            gpt.trf_blocks[b].norm1.shift,
            params["blocks"][b]["ln_1"]["b"])
        gpt.trf_blocks[b].norm2.scale = assign(
            gpt.trf_blocks[b].norm2.scale,
            params["blocks"][b]["ln_2"]["g"])
        gpt.trf_blocks[b].norm2.shift = assign(
            gpt.trf_blocks[b].norm2.shift,
            params["blocks"][b]["ln_2"]["b"])

    gpt.final_norm.scale = assign(gpt.final_norm.scale, params["g"])
    gpt.final_norm.shift = assign(gpt.final_norm.shift, params["b"])
    gpt.out_head.weight = assign(gpt.out_head.weight, params["wte"])


def generate(model, idx, max_new_tokens, context_size, temperature=0.0, top_k=None, eos_id=None):

    # For-loop is the same as before: Get logits, and only focus on last time step
    for _ in range(max_new_tokens):
        idx_cond = idx[:, -context_size:]
        with torch.no_grad():
            logits = model(idx_cond)
        logits = logits[:, -1, :]

        # New: Filter logits with top_k sampling
        if top_k is not None:
            # Keep only top_k values
            top_logits, _ = torch.topk(logits, top_k)
            min_val = top_logits[:, -1]
            logits = torch.where(logits < min_val, torch.tensor(float('-inf')).to(logits.device), logits)

        # New: Apply temperature scaling
        if temperature > 0.0:
            logits = logits / temperature

            # Apply softmax to get probabilities
            probs = torch.softmax(logits, dim=-1)  # (batch_size, context_len)

            # Sample from the distribution
            idx_next = torch.multinomial(probs, num_samples=1)  # (batch_size, 1)

        # Otherwise same as before: get idx of the vocab entry with the highest logits value
        else:
            idx_next = torch.argmax(logits, dim=-1, keepdim=True)  # (batch_size, 1)

        if idx_next == eos_id:  # Stop generating early if end-of-sequence token is encountered and eos_id is specified
            break

        # Same as before: append sampled index to the running sequence
        idx = torch.cat((idx, idx_next), dim=1)  # (batch_size, num_tokens+1)

    return idx
'''

# ch05.ipynb, sections 5.3 and 5.4 (after the training cells: `model`, `optimizer`,
# `GPT_CONFIG_124M`, `text_to_token_ids`... are the notebook's globals by then)
CH05_DECODING = r'''
model.to("cpu")
model.eval()

tokenizer = tiktoken.get_encoding("gpt2")

token_ids = generate_text_simple(
    model=model,
    idx=text_to_token_ids("Every effort moves you", tokenizer),
    max_new_tokens=25,
    context_size=GPT_CONFIG_124M["context_length"]
)

print("Output text:\n", token_ids_to_text(token_ids, tokenizer))

vocab = { 
    "closer": 0,
    "every": 1, 
    "effort": 2, 
    "forward": 3,
    "inches": 4,
    "moves": 5, 
    "pizza": 6,
    "toward": 7,
    "you": 8,
} 

inverse_vocab = {v: k for k, v in vocab.items()}

# Suppose input is "every effort moves you", and the LLM
# returns the following logits for the next token:
next_token_logits = torch.tensor(
    [4.51, 0.89, -1.90, 6.75, 1.63, -1.62, -1.89, 6.28, 1.79]
)

probas = torch.softmax(next_token_logits, dim=0)
next_token_id = torch.argmax(probas).item()

# The next generated token is then as follows:
print(inverse_vocab[next_token_id])

torch.manual_seed(123)
next_token_id = torch.multinomial(probas, num_samples=1).item()
print(inverse_vocab[next_token_id])

def print_sampled_tokens(probas):
    torch.manual_seed(123) # Manual seed for reproducibility
    sample = [torch.multinomial(probas, num_samples=1).item() for i in range(1_000)]
    sampled_ids = torch.bincount(torch.tensor(sample))
    for i, freq in enumerate(sampled_ids):
        print(f"{freq} x {inverse_vocab[i]}")

print_sampled_tokens(probas)

def softmax_with_temperature(logits, temperature):
    scaled_logits = logits / temperature
    return torch.softmax(scaled_logits, dim=0)

# Temperature values
temperatures = [1, 0.1, 5]  # Original, higher confidence, and lower confidence

# Calculate scaled probabilities
scaled_probas = [softmax_with_temperature(next_token_logits, T) for T in temperatures]

# Plotting
x = torch.arange(len(vocab))
bar_width = 0.15

fig, ax = plt.subplots(figsize=(5, 3))
for i, T in enumerate(temperatures):
    rects = ax.bar(x + i * bar_width, scaled_probas[i], bar_width, label=f'Temperature = {T}')

ax.set_ylabel('Probability')
ax.set_xticks(x)
ax.set_xticklabels(vocab.keys(), rotation=90)
ax.legend()

plt.tight_layout()
plt.savefig("temperature-plot.pdf")
plt.show()

print_sampled_tokens(scaled_probas[1])

print_sampled_tokens(scaled_probas[2])

top_k = 3
top_logits, top_pos = torch.topk(next_token_logits, top_k)

print("Top logits:", top_logits)
print("Top positions:", top_pos)

new_logits = torch.where(
    condition=next_token_logits < top_logits[-1],
    input=torch.tensor(float('-inf')), 
    other=next_token_logits
)

print(new_logits)

topk_probas = torch.softmax(new_logits, dim=0)
print(topk_probas)

''' + "def generate(" + GPT_GENERATE.split("def generate(")[1] + r'''
torch.manual_seed(123)

token_ids = generate(
    model=model,
    idx=text_to_token_ids("Every effort moves you", tokenizer),
    max_new_tokens=15,
    context_size=GPT_CONFIG_124M["context_length"],
    top_k=25,
    temperature=1.4
)

print("Output text:\n", token_ids_to_text(token_ids, tokenizer))

torch.save(model.state_dict(), "model.pth")

model = GPTModel(GPT_CONFIG_124M)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model.load_state_dict(torch.load("model.pth", map_location=device))
model.eval();

torch.save({
    "model_state_dict": model.state_dict(),
    "optimizer_state_dict": optimizer.state_dict(),
    }, 
    "model_and_optimizer.pth"
)

checkpoint = torch.load("model_and_optimizer.pth")

model = GPTModel(GPT_CONFIG_124M)
model.load_state_dict(checkpoint["model_state_dict"])

optimizer = torch.optim.AdamW(model.parameters(), lr=0.0005, weight_decay=0.1)
optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
model.train();
'''

CLASS_FINETUNE = r'''
# Copyright (c) Sebastian Raschka under Apache License 2.0 (see LICENSE.txt).
# Source for "Build a Large Language Model From Scratch"
#   - https://www.manning.com/books/build-a-large-language-model-from-scratch
# Code: https://github.com/rasbt/LLMs-from-scratch

# This is a summary file containing the main takeaways from chapter 6.

import urllib.request
import zipfile
import os
from pathlib import Path
import time

import matplotlib.pyplot as plt
import pandas as pd
import tiktoken
import torch
from torch.utils.data import Dataset, DataLoader

from gpt_download import download_and_load_gpt2
from previous_chapters import GPTModel, load_weights_into_gpt


def download_and_unzip_spam_data(url, zip_path, extracted_path, data_file_path, test_mode=False):
    if data_file_path.exists():
        print(f"{data_file_path} already exists. Skipping download and extraction.")
        return

    if test_mode:  # Try multiple times since CI sometimes has connectivity issues
        max_retries = 5
        delay = 5  # delay between retries in seconds
        for attempt in range(max_retries):
            try:
                # Downloading the file
                with urllib.request.urlopen(url, timeout=10) as response:
                    with open(zip_path, "wb") as out_file:
                        out_file.write(response.read())
                break  # if download is successful, break out of the loop
            except urllib.error.URLError as e:
                print(f"Attempt {attempt + 1} failed: {e}")
                if attempt < max_retries - 1:
                    time.sleep(delay)  # wait before retrying
                else:
                    print("Failed to download file after several attempts.")
                    return  # exit if all retries fail

    else:  # Code as it appears in the chapter
        # Downloading the file
        with urllib.request.urlopen(url) as response:
            with open(zip_path, "wb") as out_file:
                out_file.write(response.read())

    # Unzipping the file
    with zipfile.ZipFile(zip_path, "r") as zip_ref:
        zip_ref.extractall(extracted_path)

    # Add .tsv file extension
    original_file_path = Path(extracted_path) / "SMSSpamCollection"
    os.rename(original_file_path, data_file_path)
    print(f"File downloaded and saved as {data_file_path}")


def create_balanced_dataset(df):
    # Count the instances of "spam"
    num_spam = df[df["Label"] == "spam"].shape[0]

    # Randomly sample "ham" instances to match the number of "spam" instances
    ham_subset = df[df["Label"] == "ham"].sample(num_spam, random_state=123)

    # Combine ham "subset" with "spam"
    balanced_df = pd.concat([ham_subset, df[df["Label"] == "spam"]])

    return balanced_df


def random_split(df, train_frac, validation_frac):
    # Shuffle the entire DataFrame
    df = df.sample(frac=1, random_state=123).reset_index(drop=True)

    # Calculate split indices
    train_end = int(len(df) * train_frac)
    validation_end = train_end + int(len(df) * validation_frac)

    # Split the DataFrame
    train_df = df[:train_end]
    validation_df = df[train_end:validation_end]
    test_df = df[validation_end:]

    return train_df, validation_df, test_df


class SpamDataset(Dataset):
    def __init__(self, csv_file, tokenizer, max_length=None, pad_token_id=50256):
        self.data = pd.read_csv(csv_file)

        # Pre-tokenize texts
        self.encoded_texts = [
            tokenizer.encode(text) for text in self.data["Text"]
        ]

        if max_length is None:
            self.max_length = self._longest_encoded_length()
        else:
            self.max_length = max_length
            # Truncate sequences if they are longer than max_length
            self.encoded_texts = [
                encoded_text[:self.max_length]
                for encoded_text in self.encoded_texts
            ]

        # Pad sequences to the longest sequence
        self.encoded_texts = [
            encoded_text + [pad_token_id] * (self.max_length - len(encoded_text))
            for encoded_text in self.encoded_texts
        ]

    def __getitem__(self, index):
        encoded = self.encoded_texts[index]
        label = self.data.iloc[index]["Label"]
        return (
            torch.tensor(encoded, dtype=torch.long),
            torch.tensor(label, dtype=torch.long)
        )

    def __len__(self):
        return len(self.data)

    def _longest_encoded_length(self):
        max_length = 0
        for encoded_text in self.encoded_texts:
            encoded_length = len(encoded_text)
            if encoded_length > max_length:
                max_length = encoded_length
        return max_length


def calc_accuracy_loader(data_loader, model, device, num_batches=None):
    model.eval()
    correct_predictions, num_examples = 0, 0

    if num_batches is None:
        num_batches = len(data_loader)
    else:
        num_batches = min(num_batches, len(data_loader))
    for i, (input_batch, target_batch) in enumerate(data_loader):
        if i < num_batches:
            input_batch, target_batch = input_batch.to(device), target_batch.to(device)

            with torch.no_grad():
                logits = model(input_batch)[:, -1, :]  # Logits of last output token
            predicted_labels = torch.argmax(logits, dim=-1)

            num_examples += predicted_labels.shape[0]
            correct_predictions += (predicted_labels == target_batch).sum().item()
        else:
            break
    return correct_predictions / num_examples


def calc_loss_batch(input_batch, target_batch, model, device):
    input_batch, target_batch = input_batch.to(device), target_batch.to(device)
    logits = model(input_batch)[:, -1, :]  # Logits of last output token
    loss = torch.nn.functional.cross_entropy(logits, target_batch)
    return loss


def calc_loss_loader(data_loader, model, device, num_batches=None):
    total_loss = 0.
    if len(data_loader) == 0:
        return float("nan")
    elif num_batches is None:
        num_batches = len(data_loader)
    else:
        num_batches = min(num_batches, len(data_loader))
    for i, (input_batch, target_batch) in enumerate(data_loader):
        if i < num_batches:
            loss = calc_loss_batch(input_batch, target_batch, model, device)
            total_loss += loss.item()
        else:
            break
    return total_loss / num_batches


def evaluate_model(model, train_loader, val_loader, device, eval_iter):
    model.eval()
    with torch.no_grad():
        train_loss = calc_loss_loader(train_loader, model, device, num_batches=eval_iter)
        val_loss = calc_loss_loader(val_loader, model, device, num_batches=eval_iter)
    model.train()
    return train_loss, val_loss


def train_classifier_simple(model, train_loader, val_loader, optimizer, device, num_epochs,
                            eval_freq, eval_iter, tokenizer):
    # Initialize lists to track losses and tokens seen
    train_losses, val_losses, train_accs, val_accs = [], [], [], []
    examples_seen, global_step = 0, -1

    # Main training loop
    for epoch in range(num_epochs):
        model.train()  # Set model to training mode

        for input_batch, target_batch in train_loader:
            optimizer.zero_grad()  # Reset loss gradients from previous batch iteration
            loss = calc_loss_batch(input_batch, target_batch, model, device)
            loss.backward()  # Calculate loss gradients
            optimizer.step()  # Update model weights using loss gradients
            examples_seen += input_batch.shape[0]  # New: track examples instead of tokens
            global_step += 1

            # Optional evaluation step
            if global_step % eval_freq == 0:
                train_loss, val_loss = evaluate_model(
                    model, train_loader, val_loader, device, eval_iter)
                train_losses.append(train_loss)
                val_losses.append(val_loss)
                print(f"Ep {epoch+1} (Step {global_step:06d}): "
                      f"Train loss {train_loss:.3f}, Val loss {val_loss:.3f}")

        # Calculate accuracy after each epoch
        train_accuracy = calc_accuracy_loader(train_loader, model, device, num_batches=eval_iter)
        val_accuracy = calc_accuracy_loader(val_loader, model, device, num_batches=eval_iter)
        print(f"Training accuracy: {train_accuracy*100:.2f}% | ", end="")
        print(f"Validation accuracy: {val_accuracy*100:.2f}%")
        train_accs.append(train_accuracy)
        val_accs.append(val_accuracy)

    return train_losses, val_losses, train_accs, val_accs, examples_seen


def plot_values(epochs_seen, examples_seen, train_values, val_values, label="loss"):
    fig, ax1 = plt.subplots(figsize=(5, 3))

    # Plot training and validation loss against epochs
    ax1.plot(epochs_seen, train_values, label=f"Training {label}")
    ax1.plot(epochs_seen, val_values, linestyle="-.", label=f"Validation {label}")
    ax1.set_xlabel("Epochs")
    ax1.set_ylabel(label.capitalize())
    ax1.legend()

    # Create a second x-axis for tokens seen
    ax2 = ax1.twiny()  # Create a second x-axis that shares the same y-axis
    ax2.plot(examples_seen, train_values, alpha=0)  # Invisible plot for aligning ticks
    ax2.set_xlabel("Examples seen")

    fig.tight_layout()  # Adjust layout to make room
    plt.savefig(f"{label}-plot.pdf")
    # plt.show()


if __name__ == "__main__":

    import argparse

    parser = argparse.ArgumentParser(
        description="Finetune a GPT model for classification"
    )
    parser.add_argument(
        "--test_mode",
        default=False,
        action="store_true",
        help=("This flag runs the model in test mode for internal testing purposes. "
              "Otherwise, it runs the model as it is used in the chapter (recommended).")
    )
    args = parser.parse_args()

    ########################################
    # Download and prepare dataset
    ########################################

    url = "https://archive.ics.uci.edu/static/public/228/sms+spam+collection.zip"
    zip_path = "sms_spam_collection.zip"
    extracted_path = "sms_spam_collection"
    data_file_path = Path(extracted_path) / "SMSSpamCollection.tsv"

    download_and_unzip_spam_data(url, zip_path, extracted_path, data_file_path, test_mode=args.test_mode)
    df = pd.read_csv(data_file_path, sep="\t", header=None, names=["Label", "Text"])
    balanced_df = create_balanced_dataset(df)
    balanced_df["Label"] = balanced_df["Label"].map({"ham": 0, "spam": 1})

    train_df, validation_df, test_df = random_split(balanced_df, 0.7, 0.1)
    train_df.to_csv("train.csv", index=None)
    validation_df.to_csv("validation.csv", index=None)
    test_df.to_csv("test.csv", index=None)

    ########################################
    # Create data loaders
    ########################################
    tokenizer = tiktoken.get_encoding("gpt2")

    train_dataset = SpamDataset(
        csv_file="train.csv",
        max_length=None,
        tokenizer=tokenizer
    )

    val_dataset = SpamDataset(
        csv_file="validation.csv",
        max_length=train_dataset.max_length,
        tokenizer=tokenizer
    )

    test_dataset = SpamDataset(
        csv_file="test.csv",
        max_length=train_dataset.max_length,
        tokenizer=tokenizer
    )

    num_workers = 0
    batch_size = 8

    torch.manual_seed(123)

    train_loader = DataLoader(
        dataset=train_dataset,
        batch_size=batch_size,
        shuffle=True,
        num_workers=num_workers,
        drop_last=True,
    )

    val_loader = DataLoader(
        dataset=val_dataset,
        batch_size=batch_size,
        num_workers=num_workers,
        drop_last=False,
    )

    test_loader = DataLoader(
        dataset=test_dataset,
        batch_size=batch_size,
        num_workers=num_workers,
        drop_last=False,
    )

    ########################################
    # Load pretrained model
    ########################################

    # Small GPT model for testing purposes
    if args.test_mode:
        BASE_CONFIG = {
            "vocab_size": 50257,
            "context_length": 120,
            "drop_rate": 0.0,
            "qkv_bias": False,
            "emb_dim": 12,
            "n_layers": 1,
            "n_heads": 2
        }
        model = GPTModel(BASE_CONFIG)
        model.eval()
        device = "cpu"

    # Code as it is used in the main chapter
    else:
        CHOOSE_MODEL = "gpt2-small (124M)"
        INPUT_PROMPT = "Every effort moves"

        BASE_CONFIG = {
            "vocab_size": 50257,     # Vocabulary size
            "context_length": 1024,  # Context length
            "drop_rate": 0.0,        # Dropout rate
            "qkv_bias": True         # Query-key-value bias
        }

        model_configs = {
            "gpt2-small (124M)": {"emb_dim": 768, "n_layers": 12, "n_heads": 12},
            "gpt2-medium (355M)": {"emb_dim": 1024, "n_layers": 24, "n_heads": 16},
            "gpt2-large (774M)": {"emb_dim": 1280, "n_layers": 36, "n_heads": 20},
            "gpt2-xl (1558M)": {"emb_dim": 1600, "n_layers": 48, "n_heads": 25},
        }

        BASE_CONFIG.update(model_configs[CHOOSE_MODEL])

        assert train_dataset.max_length <= BASE_CONFIG["context_length"], (
            f"Dataset length {train_dataset.max_length} exceeds model's context "
            f"length {BASE_CONFIG['context_length']}. Reinitialize data sets with "
            f"`max_length={BASE_CONFIG['context_length']}`"
        )

        model_size = CHOOSE_MODEL.split(" ")[-1].lstrip("(").rstrip(")")
        settings, params = download_and_load_gpt2(model_size=model_size, models_dir="gpt2")

        model = GPTModel(BASE_CONFIG)
        load_weights_into_gpt(model, params)
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    ########################################
    # Modify and pretrained model
    ########################################

    for param in model.parameters():
        param.requires_grad = False

    torch.manual_seed(123)

    num_classes = 2
    model.out_head = torch.nn.Linear(in_features=BASE_CONFIG["emb_dim"], out_features=num_classes)
    model.to(device)

    for param in model.trf_blocks[-1].parameters():
        param.requires_grad = True

    for param in model.final_norm.parameters():
        param.requires_grad = True

    ########################################
    # Finetune modified model
    ########################################

    start_time = time.time()
    torch.manual_seed(123)

    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.1)

    num_epochs = 5
    train_losses, val_losses, train_accs, val_accs, examples_seen = train_classifier_simple(
        model, train_loader, val_loader, optimizer, device,
        num_epochs=num_epochs, eval_freq=50, eval_iter=5,
        tokenizer=tokenizer
    )

    end_time = time.time()
    execution_time_minutes = (end_time - start_time) / 60
    print(f"Training completed in {execution_time_minutes:.2f} minutes.")

    ########################################
    # Plot results
    ########################################

    # loss plot
    epochs_tensor = torch.linspace(0, num_epochs, len(train_losses))
    examples_seen_tensor = torch.linspace(0, examples_seen, len(train_losses))
    plot_values(epochs_tensor, examples_seen_tensor, train_losses, val_losses)

    # accuracy plot
    epochs_tensor = torch.linspace(0, num_epochs, len(train_accs))
    examples_seen_tensor = torch.linspace(0, examples_seen, len(train_accs))
    plot_values(epochs_tensor, examples_seen_tensor, train_accs, val_accs, label="accuracy")
'''

INSTRUCTION_FINETUNE = r'''
# Copyright (c) Sebastian Raschka under Apache License 2.0 (see LICENSE.txt).
# Source for "Build a Large Language Model From Scratch"
#   - https://www.manning.com/books/build-a-large-language-model-from-scratch
# Code: https://github.com/rasbt/LLMs-from-scratch
#
# A minimal instruction finetuning file based on the code in chapter 7

from functools import partial
from importlib.metadata import version
import json
import os
import re
import time
import urllib

import matplotlib.pyplot as plt
import tiktoken
import torch
from torch.utils.data import Dataset, DataLoader
from tqdm import tqdm

# Import from local files in this folder
from gpt_download import download_and_load_gpt2
from previous_chapters import (
    calc_loss_loader,
    generate,
    GPTModel,
    load_weights_into_gpt,
    text_to_token_ids,
    train_model_simple,
    token_ids_to_text
)


class InstructionDataset(Dataset):
    def __init__(self, data, tokenizer):
        self.data = data

        # Pre-tokenize texts
        self.encoded_texts = []
        for entry in data:
            instruction_plus_input = format_input(entry)
            response_text = f"\n\n### Response:\n{entry['output']}"
            full_text = instruction_plus_input + response_text
            self.encoded_texts.append(
                tokenizer.encode(full_text)
            )

    def __getitem__(self, index):
        return self.encoded_texts[index]

    def __len__(self):
        return len(self.data)


def custom_collate_fn(
    batch,
    pad_token_id=50256,
    ignore_index=-100,
    allowed_max_length=None,
    device="cpu"
):
    # Find the longest sequence in the batch
    batch_max_length = max(len(item)+1 for item in batch)

    # Pad and prepare inputs and targets
    inputs_lst, targets_lst = [], []

    for item in batch:
        new_item = item.copy()
        # Add an <|endoftext|> token
        new_item += [pad_token_id]
        # Pad sequences to max_length
        padded = new_item + [pad_token_id] * (batch_max_length - len(new_item))
        inputs = torch.tensor(padded[:-1])  # Truncate the last token for inputs
        targets = torch.tensor(padded[1:])  # Shift +1 to the right for targets

        # New: Replace all but the first padding tokens in targets by ignore_index
        mask = targets == pad_token_id
        indices = torch.nonzero(mask).squeeze()
        if indices.numel() > 1:
            targets[indices[1:]] = ignore_index

        # New: Optionally truncate to maximum sequence length
        if allowed_max_length is not None:
            inputs = inputs[:allowed_max_length]
            targets = targets[:allowed_max_length]

        inputs_lst.append(inputs)
        targets_lst.append(targets)

    # Convert list of inputs and targets to tensors and transfer to target device
    inputs_tensor = torch.stack(inputs_lst).to(device)
    targets_tensor = torch.stack(targets_lst).to(device)

    return inputs_tensor, targets_tensor


def download_and_load_file(file_path, url):

    if not os.path.exists(file_path):
        with urllib.request.urlopen(url) as response:
            text_data = response.read().decode("utf-8")
        with open(file_path, "w", encoding="utf-8") as file:
            file.write(text_data)
    else:
        with open(file_path, "r", encoding="utf-8") as file:
            text_data = file.read()

    with open(file_path, "r") as file:
        data = json.load(file)

    return data


def format_input(entry):
    instruction_text = (
        f"Below is an instruction that describes a task. "
        f"Write a response that appropriately completes the request."
        f"\n\n### Instruction:\n{entry['instruction']}"
    )

    input_text = f"\n\n### Input:\n{entry['input']}" if entry["input"] else ""

    return instruction_text + input_text


def plot_losses(epochs_seen, tokens_seen, train_losses, val_losses):
    fig, ax1 = plt.subplots(figsize=(12, 6))

    # Plot training and validation loss against epochs
    ax1.plot(epochs_seen, train_losses, label="Training loss")
    ax1.plot(epochs_seen, val_losses, linestyle="-.", label="Validation loss")
    ax1.set_xlabel("Epochs")
    ax1.set_ylabel("Loss")
    ax1.legend(loc="upper right")

    # Create a second x-axis for tokens seen
    ax2 = ax1.twiny()  # Create a second x-axis that shares the same y-axis
    ax2.plot(tokens_seen, train_losses, alpha=0)  # Invisible plot for aligning ticks
    ax2.set_xlabel("Tokens seen")

    fig.tight_layout()  # Adjust layout to make room
    plot_name = "loss-plot-standalone.pdf"
    print(f"Plot saved as {plot_name}")
    plt.savefig(plot_name)
    # plt.show()


def main(test_mode=False):
    #######################################
    # Print package versions
    #######################################
    print()
    pkgs = [
        "matplotlib",  # Plotting library
        "tiktoken",    # Tokenizer
        "torch",       # Deep learning library
        "tqdm",        # Progress bar
        "tensorflow",  # For OpenAI's pretrained weights
    ]
    for p in pkgs:
        print(f"{p} version: {version(p)}")
    print(50*"-")

    #######################################
    # Download and prepare dataset
    #######################################
    file_path = "instruction-data.json"
    url = "https://raw.githubusercontent.com/rasbt/LLMs-from-scratch/main/ch07/01_main-chapter-code/instruction-data.json"
    data = download_and_load_file(file_path, url)

    train_portion = int(len(data) * 0.85)  # 85% for training
    test_portion = int(len(data) * 0.1)    # 10% for testing

    train_data = data[:train_portion]
    test_data = data[train_portion:train_portion + test_portion]
    val_data = data[train_portion + test_portion:]

    # Use very small subset for testing purposes
    if args.test_mode:
        train_data = train_data[:10]
        val_data = val_data[:10]
        test_data = test_data[:10]

    print("Training set length:", len(train_data))
    print("Validation set length:", len(val_data))
    print("Test set length:", len(test_data))
    print(50*"-")

    tokenizer = tiktoken.get_encoding("gpt2")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print("Device:", device)
    print(50*"-")

    customized_collate_fn = partial(custom_collate_fn, device=device, allowed_max_length=1024)

    num_workers = 0
    batch_size = 8

    torch.manual_seed(123)

    train_dataset = InstructionDataset(train_data, tokenizer)
    train_loader = DataLoader(
        train_dataset,
        batch_size=batch_size,
        collate_fn=customized_collate_fn,
        shuffle=True,
        drop_last=True,
        num_workers=num_workers
    )

    val_dataset = InstructionDataset(val_data, tokenizer)
    val_loader = DataLoader(
        val_dataset,
        batch_size=batch_size,
        collate_fn=customized_collate_fn,
        shuffle=False,
        drop_last=False,
        num_workers=num_workers
    )

    #######################################
    # Load pretrained model
    #######################################

    # Small GPT model for testing purposes
    if args.test_mode:
        BASE_CONFIG = {
            "vocab_size": 50257,
            "context_length": 120,
            "drop_rate": 0.0,
            "qkv_bias": False,
            "emb_dim": 12,
            "n_layers": 1,
            "n_heads": 2
        }
        model = GPTModel(BASE_CONFIG)
        model.eval()
        device = "cpu"
        CHOOSE_MODEL = "Small test model"

    # Code as it is used in the main chapter
    else:
        BASE_CONFIG = {
            "vocab_size": 50257,     # Vocabulary size
            "context_length": 1024,  # Context length
            "drop_rate": 0.0,        # Dropout rate
            "qkv_bias": True         # Query-key-value bias
        }

        model_configs = {
            "gpt2-small (124M)": {"emb_dim": 768, "n_layers": 12, "n_heads": 12},
            "gpt2-medium (355M)": {"emb_dim": 1024, "n_layers": 24, "n_heads": 16},
            "gpt2-large (774M)": {"emb_dim": 1280, "n_layers": 36, "n_heads": 20},
            "gpt2-xl (1558M)": {"emb_dim": 1600, "n_layers": 48, "n_heads": 25},
        }

        CHOOSE_MODEL = "gpt2-medium (355M)"

        BASE_CONFIG.update(model_configs[CHOOSE_MODEL])

        model_size = CHOOSE_MODEL.split(" ")[-1].lstrip("(").rstrip(")")
        settings, params = download_and_load_gpt2(model_size=model_size, models_dir="gpt2")

        model = GPTModel(BASE_CONFIG)
        load_weights_into_gpt(model, params)
        model.eval()
        model.to(device)

    print("Loaded model:", CHOOSE_MODEL)
    print(50*"-")

    #######################################
    # Finetuning the model
    #######################################
    print("Initial losses")
    with torch.no_grad():
        train_loss = calc_loss_loader(train_loader, model, device, num_batches=5)
        val_loss = calc_loss_loader(val_loader, model, device, num_batches=5)

    print("   Training loss:", train_loss)
    print("   Validation loss:", val_loss)

    start_time = time.time()
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.00005, weight_decay=0.1)

    num_epochs = 1

    torch.manual_seed(123)
    train_losses, val_losses, tokens_seen = train_model_simple(
        model, train_loader, val_loader, optimizer, device,
        num_epochs=num_epochs, eval_freq=5, eval_iter=5,
        start_context=format_input(val_data[0]), tokenizer=tokenizer
    )

    end_time = time.time()
    execution_time_minutes = (end_time - start_time) / 60
    print(f"Training completed in {execution_time_minutes:.2f} minutes.")

    epochs_tensor = torch.linspace(0, num_epochs, len(train_losses))
    plot_losses(epochs_tensor, tokens_seen, train_losses, val_losses)
    print(50*"-")

    #######################################
    # Saving results
    #######################################
    print("Generating responses")
    for i, entry in tqdm(enumerate(test_data), total=len(test_data)):

        input_text = format_input(entry)

        token_ids = generate(
            model=model,
            idx=text_to_token_ids(input_text, tokenizer).to(device),
            max_new_tokens=8,
            context_size=BASE_CONFIG["context_length"],
            eos_id=50256
        )
        generated_text = token_ids_to_text(token_ids, tokenizer)
        response_text = generated_text[len(input_text):].replace("### Response:", "").strip()

        test_data[i]["model_response"] = response_text

    test_data_path = "instruction-data-with-response-standalone.json"
    with open(test_data_path, "w") as file:
        json.dump(test_data, file, indent=4)  # "indent" for pretty-printing
    print(f"Responses saved as {test_data_path}")

    file_name = f"{re.sub(r'[ ()]', '', CHOOSE_MODEL) }-sft-standalone.pth"
    torch.save(model.state_dict(), file_name)
    print(f"Model saved as {file_name}")


if __name__ == "__main__":

    import argparse

    parser = argparse.ArgumentParser(
        description="Finetune a GPT model for classification"
    )
    parser.add_argument(
        "--test_mode",
        default=False,
        action="store_true",
        help=("This flag runs the model in test mode for internal testing purposes. "
              "Otherwise, it runs the model as it is used in the chapter (recommended).")
    )
    args = parser.parse_args()

    main(args.test_mode)
'''

# PyTorch's Tensor.__array_wrap__ lacks NumPy 2's arguments (matplotlib's bar() on a tensor)
pytestmark = pytest.mark.filterwarnings("ignore:__array_wrap__ must accept")

SMALL = {"vocab_size": 50257, "context_length": 120, "drop_rate": 0.0, "qkv_bias": False,
         "emb_dim": 12, "n_layers": 1, "n_heads": 2}


def _module(name, ns):
    mod = types.ModuleType(name)
    mod.__dict__.update({k: v for k, v in ns.items() if not k.startswith("__")})
    return mod


def chapter_modules(backend):
    """previous_chapters (gpt.py + gpt_train.py + gpt_generate.py's functions) and a
    gpt_download whose download_and_load_gpt2 returns random GPT-2-shaped weights."""
    ns, _ = run(GPT_PY, backend)
    prev = _module("previous_chapters", ns)
    sys.modules["previous_chapters"] = prev
    ns, _ = run(GPT_TRAIN, backend)
    prev.__dict__.update({k: v for k, v in ns.items() if not k.startswith("__")})
    ns, _ = run(GPT_GENERATE, backend)
    prev.__dict__.update({k: v for k, v in ns.items() if not k.startswith("__")})
    dl = types.ModuleType("gpt_download")

    def download_and_load_gpt2(model_size, models_dir):
        return gpt2_params(n_layer=12, n_embd=768)

    dl.download_and_load_gpt2 = download_and_load_gpt2
    return prev, dl


def write_book(path):
    """The chapters' folder: the stand-in data files."""
    (path / "the-verdict.txt").write_text(verdict_text(40), encoding="utf-8")
    (path / "sms_spam_collection").mkdir()
    (path / "sms_spam_collection" / "SMSSpamCollection.tsv").write_text(spam_tsv())
    (path / "instruction-data.json").write_text(json.dumps(instruction_data(), indent=4))


@contextlib.contextmanager
def book_env(path, backend):
    """Run in `path` as `script.py --test_mode`, with the stand-in modules importable."""
    mp = pytest.MonkeyPatch()
    try:
        mp.chdir(path)
        mp.setitem(sys.modules, "tiktoken", tiktoken_module())
        mp.setattr(importlib.metadata, "version", fake_version(importlib.metadata.version))
        mp.setattr(sys, "argv", ["script.py", "--test_mode"])
        mp.setitem(sys.modules, "previous_chapters", None)  # (restored to these by undo)
        mp.setitem(sys.modules, "gpt_download", None)
        yield use(backend)
    finally:
        mp.undo()


@contextlib.contextmanager
def pandas_env():
    """pandas, or the stand-in while chapter 6 runs (only then: PyTorch probes for pandas)."""
    try:
        import pandas  # noqa: F401
    except ImportError:
        mp = pytest.MonkeyPatch()
        mp.setitem(sys.modules, "pandas", pandas_module())
        try:
            yield
        finally:
            mp.undo()
    else:
        yield


def use(backend):
    """(inside book_env) the chapter modules of `backend`."""
    prev, dl = chapter_modules(backend)
    sys.modules["previous_chapters"], sys.modules["gpt_download"] = prev, dl
    return prev


OPTIMIZER_GLUE = r'''
from previous_chapters import *
optimizer = torch.optim.AdamW(model.parameters(), lr=0.0004, weight_decay=0.1)
for input_batch, target_batch in create_dataloader_v1(open("the-verdict.txt").read(), batch_size=2, max_length=32, stride=32):
    optimizer.zero_grad()
    calc_loss_batch(input_batch, target_batch, model, "cpu").backward()
    optimizer.step()
    break
'''


def _script_runs(path, backend):
    """Each script once per backend, in its own folder: {name: (namespace, output)}."""
    write_book(path)
    out = {}
    with book_env(path, backend):
        out["train"] = run(GPT_TRAIN, backend, as_main=True)
        ns, _ = run(OPTIMIZER_GLUE, backend, ns=dict(out["train"][0]))
        out["decoding"] = run(CH05_DECODING, backend, ns=ns)
        with pandas_env():
            out["classify"] = run(CLASS_FINETUNE, backend, as_main=True)
        out["instruct"] = run(INSTRUCTION_FINETUNE, backend, as_main=True)
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    cache = {}

    def get(backend="ember"):
        if backend == "torch":
            pytest.importorskip("torch")
        if backend not in cache:
            path = tmp_path_factory.mktemp(backend)
            cache[backend] = path, _script_runs(path, backend)
        return cache[backend]
    return get


@pytest.fixture
def book(tmp_path):
    write_book(tmp_path)
    with book_env(tmp_path, "ember"):
        yield tmp_path


# -- chapter 5 -----------------------------------------------------------------------------------
def test_ch05_gpt_train_script(runs):
    book, r = runs()
    ns, out = r["train"]
    on_ember(ns)
    steps = re.findall(r"^Ep (\d) \(Step (\d{6})\): Train loss (\d+\.\d{3}), Val loss (\d+\.\d{3})$",
                       out, re.M)
    assert [s[1] for s in steps] == ["000000", "000005", "000010", "000015"][:len(steps)]
    assert len(steps) >= 3
    losses = ns["train_losses"]
    assert losses[0] > 10.0 and all(np.isfinite(losses))  # from about ln(50257) = 10.8
    # it learned: the trained model beats its initial weights (main() seeds 123 first)
    e = ns["torch"]
    e.manual_seed(123)
    initial = ns["GPTModel"](ns["GPT_CONFIG_124M"])
    loader = ns["create_dataloader_v1"](verdict_text(40)[:2000], batch_size=2, max_length=32,
                                        stride=32, shuffle=False)
    trained = r["decoding"][0]["model"]
    initial.eval()
    trained.eval()
    with e.no_grad():
        assert ns["calc_loss_loader"](loader, trained, "cpu") < \
            ns["calc_loss_loader"](loader, initial, "cpu") - 0.05
    assert out.count("Every effort moves you") == 2  # a sample after each epoch
    assert (book / "loss.pdf").stat().st_size > 1000
    assert ns["tokens_seen"][0] == 64 and ns["epochs_tensor"].shape == (len(losses),)
    # the reloaded state_dict is the trained one
    e = ns["torch"]
    sd = e.load(book / "model.pth", weights_only=True)
    assert set(sd) == set(ns["model"].state_dict())
    assert "trf_blocks.0.att.mask" in sd and sd["tok_emb.weight"].shape == (50257, 32)


def test_ch05_gpt_train_matches_pytorch(runs):
    real = pytest.importorskip("torch")
    book, r = runs()
    ns_e, out_e = r["train"]
    ns_t, out_t = runs("torch")[1]["train"]
    # the same printed structure, and from the same seed (PyTorch's streams: init, shuffling)
    # the same losses, float32 rounding aside
    assert [re.sub(r"\d", "#", ln) for ln in out_e.splitlines() if ln.startswith("Ep")] == \
        [re.sub(r"\d", "#", ln) for ln in out_t.splitlines() if ln.startswith("Ep")]
    assert_prints_alike("\n".join(ln for ln in out_e.splitlines() if ln.startswith("Ep")),
                        "\n".join(ln for ln in out_t.splitlines() if ln.startswith("Ep")),
                        rtol=0, atol=2e-3)
    # PyTorch reads ember's model.pth and computes the same losses on the same batches
    mt = ns_t["GPTModel"](ns_t["GPT_CONFIG_124M"])
    mt.load_state_dict(real.load(book / "model.pth", weights_only=True))
    me = r["decoding"][0]["model"]  # (model.pth: the trained model after one more step)
    me.eval()
    mt.eval()
    text = verdict_text(40)
    le = ns_e["create_dataloader_v1"](text, batch_size=2, max_length=32, stride=32, shuffle=False)
    lt = ns_t["create_dataloader_v1"](text, batch_size=2, max_length=32, stride=32, shuffle=False)
    calc_e, calc_t = ns_e["calc_loss_loader"], ns_t["calc_loss_loader"]
    assert calc_e(le, me, "cpu", 4) == pytest.approx(calc_t(lt, mt, "cpu", 4), rel=1e-5)
    # and the same gradients and AdamW step from the same weights
    opt_e = ns_e["torch"].optim.AdamW(me.parameters(), lr=5e-4, weight_decay=0.1)
    opt_t = real.optim.AdamW(mt.parameters(), lr=5e-4, weight_decay=0.1)
    (xe, ye), (xt, yt) = next(iter(le)), next(iter(lt))
    for opt, m, x, y, calc in ((opt_e, me, xe, ye, ns_e), (opt_t, mt, xt, yt, ns_t)):
        opt.zero_grad()
        calc["calc_loss_batch"](x, y, m, "cpu").backward()
        opt.step()
    for (k, pe), (_, pt) in zip(me.named_parameters(), mt.named_parameters()):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=1e-3, atol=1e-6,
                                   err_msg=k)
        np.testing.assert_allclose(np_of(pe), np_of(pt), rtol=1e-5, atol=1e-6, err_msg=k)
    ge = ns_e["generate_text_simple"](me, xe[:1, :5], 10, 32)
    gt = ns_t["generate_text_simple"](mt, xt[:1, :5], 10, 32)
    assert ge.tolist() == gt.tolist()


def test_ch05_decoding_strategies_and_checkpoints(runs):
    book, r = runs()
    ns, out = r["decoding"]
    on_ember(ns)
    e = ns["torch"]
    lines = out.splitlines()
    assert lines[0] == "Output text:" and lines[1].startswith(" Every effort moves you")
    assert lines[2] == "forward"  # argmax
    assert lines[3] in ("forward", "toward", "closer")  # a sample (the book's seed: forward)
    counts = [int(ln.split(" x ")[0]) for ln in lines if " x " in ln]
    assert sum(counts) == 3000  # 1,000 samples from each of three distributions
    assert "Top logits: tensor([6.7500, 6.2800, 4.5100])" in out
    assert "Top positions: tensor([3, 7, 0])" in out
    assert "tensor([4.5100,   -inf,   -inf, 6.7500,   -inf,   -inf,   -inf, 6.2800,   -inf])" in out
    assert "tensor([0.0615, 0.0000, 0.0000, 0.5775, 0.0000, 0.0000, 0.0000, 0.3610, 0.0000])" in out
    assert (book / "temperature-plot.pdf").stat().st_size > 1000
    assert ns["token_ids"].shape == (1, 4 + 15)
    # the restored optimizer carries AdamW's moments of the step taken before saving
    state = ns["optimizer"].state_dict()["state"]
    assert state and all(float(s["step"]) == 1.0 for s in state.values())
    assert set(ns["checkpoint"]) == {"model_state_dict", "optimizer_state_dict"}
    assert isinstance(next(iter(state.values()))["exp_avg"], e.Tensor)


def test_ch05_decoding_matches_pytorch(runs):
    real = pytest.importorskip("torch")
    book, r = runs()
    _, out_e = r["decoding"]
    ns_t, out_t = runs("torch")[1]["decoding"]

    def fixed(out):  # without the sampled words, their counts and the generated texts
        return [mask_numbers(ln) for ln in out.splitlines()
                if " x " not in ln and not ln.startswith(" Every") and ln not in inverse_vocab]
    inverse_vocab = {"closer", "every", "effort", "forward", "inches", "moves", "pizza", "toward", "you"}
    assert fixed(out_e) == fixed(out_t)
    # the lines without random values: argmax, top-k logits/positions, masked logits, probas
    keep = [ln for ln in out_t.splitlines() if ln.startswith(("Top", "tensor"))]
    assert keep == [ln for ln in normalise(out_e).splitlines() if ln.startswith(("Top", "tensor"))]
    assert len(keep) == 4 and out_e.splitlines()[2] == out_t.splitlines()[2] == "forward"
    # sampling frequencies
    def freqs(out):  # {(which of the three samplings, word): count}
        table, k = {}, -1
        for ln in out.splitlines():
            if " x " in ln:
                n, word = ln.split(" x ")
                k += word == "closer"
                table[k, word] = int(n)
        return table
    fe, ft = freqs(out_e), freqs(out_t)
    assert fe == ft  # the book's torch.manual_seed(123): the very same samples
    # PyTorch reads ember's model_and_optimizer.pth and resumes with the same AdamW state
    ck = real.load(book / "model_and_optimizer.pth", weights_only=True)
    mt = ns_t["GPTModel"](ns_t["GPT_CONFIG_124M"])
    mt.load_state_dict(ck["model_state_dict"])
    opt = real.optim.AdamW(mt.parameters(), lr=0.0005, weight_decay=0.1)
    opt.load_state_dict(ck["optimizer_state_dict"])
    assert {float(s["step"]) for s in opt.state_dict()["state"].values()} == {1.0}


def test_load_weights_into_gpt_and_generate_match_pytorch(book):
    real = pytest.importorskip("torch")
    cfg = {"vocab_size": 50257, "context_length": 64, "drop_rate": 0.0, "qkv_bias": True,
           "emb_dim": 32, "n_layers": 2, "n_heads": 4}
    _, params = gpt2_params(n_layer=2, n_embd=32, n_ctx=64)
    models, gens = [], []
    for backend in ("ember", "torch"):
        prev = use(backend)
        gpt = prev.GPTModel(cfg)
        prev.load_weights_into_gpt(gpt, params)
        gpt.eval()
        m = real if backend == "torch" else prev.torch
        idx = prev.text_to_token_ids("Every effort moves you", prev.tiktoken.get_encoding("gpt2"))
        greedy = prev.generate(gpt, idx, 12, cfg["context_length"])
        m.manual_seed(123)
        sampled = prev.generate(gpt, idx, 12, cfg["context_length"], temperature=1.0, top_k=50)
        models.append((gpt, idx))
        gens.append((greedy.tolist(), sampled))
    (ge, ie), (gt, it) = models
    assert isinstance(ge.trf_blocks[0].att.W_query.weight, type(ge.tok_emb.weight))
    np.testing.assert_array_equal(ge.out_head.weight.detach().numpy(), params["wte"])
    np.testing.assert_allclose(np_of(ge(ie)), np_of(gt(it)), rtol=1e-4, atol=1e-5)
    assert gens[0][0] == gens[1][0]  # greedy decoding picks the same tokens
    # top-k sampling only ever picks among the 50 most likely next tokens
    s = gens[0][1]
    logits = gt(real.tensor(s[:, :-1].numpy()))[0, -1]
    assert int(s[0, -1]) in real.topk(logits, 50).indices.tolist()
    with pytest.raises(ValueError, match="Shape mismatch"):
        use("ember").assign(ge.pos_emb.weight, params["wte"])


# -- chapter 6 -----------------------------------------------------------------------------------
def test_ch06_class_finetune_script(runs):
    book, r = runs()
    ns, out = r["classify"]
    on_ember(ns)
    e = ns["torch"]
    assert out.startswith("sms_spam_collection/SMSSpamCollection.tsv already exists. "
                          "Skipping download and extraction.\n")
    assert len(re.findall(r"^Training accuracy: \d+\.\d\d% \| Validation accuracy: \d+\.\d\d%$",
                          out, re.M)) == 5
    assert re.search(r"^Ep 1 \(Step 000000\): Train loss \d\.\d{3}, Val loss \d\.\d{3}$", out, re.M)
    assert re.search(r"^Training completed in \d+\.\d\d minutes\.$", out, re.M)
    # balanced classes, 70/10/20 split, padded to the longest training message
    tr, va, te = ns["train_dataset"], ns["val_dataset"], ns["test_dataset"]
    assert len(tr) + len(va) + len(te) == 28 and len(tr) == 19
    x, y = tr[0]
    assert x.dtype == e.int64 and x.shape == (tr.max_length,) and y.dtype == e.int64
    assert all(len(t) == tr.max_length for t in va.encoded_texts)
    # the new 2-class head and the frozen body: only the last block, final norm and head train
    model = ns["model"]
    assert model.out_head.weight.shape == (2, 12) and model.out_head.bias is not None
    trainable = {k for k, p in model.named_parameters() if p.requires_grad}
    assert trainable == {k for k, _ in model.named_parameters()
                         if k.startswith(("trf_blocks.0.", "final_norm.", "out_head."))}
    assert not model.tok_emb.weight.requires_grad and model.tok_emb.weight.grad is None
    assert ns["examples_seen"] == 5 * 2 * 8
    for name in ("loss-plot.pdf", "accuracy-plot.pdf", "train.csv", "validation.csv", "test.csv"):
        assert (book / name).exists()


def test_ch06_matches_pytorch_from_same_weights(runs):
    real = pytest.importorskip("torch")
    ns_e, out_e = runs()[1]["classify"]
    ns_t, out_t = runs("torch")[1]["classify"]
    assert mask_numbers(out_e) == mask_numbers(out_t)
    me, mt = ns_e["model"], ns_t["model"]
    load_from_torch(me, mt)  # PyTorch's fine-tuned classifier, in ember
    for loader in ("val_loader", "test_loader"):  # (the train loader shuffles)
        for fn in ("calc_accuracy_loader", "calc_loss_loader"):
            a = ns_e[fn](ns_e[loader], me, "cpu")
            b = ns_t[fn](ns_t[loader], mt, "cpu")
            assert a == pytest.approx(b, rel=1e-5), (fn, loader)
    # one more fine-tuning step on the same batch: same gradients of the trainable parameters
    xb, yb = next(iter(ns_e["test_loader"]))
    opts = [ns_e["torch"].optim.AdamW(me.parameters(), lr=5e-5, weight_decay=0.1),
            real.optim.AdamW(mt.parameters(), lr=5e-5, weight_decay=0.1)]
    for opt, m, ns, conv in zip(opts, (me, mt), (ns_e, ns_t), (lambda t: t, lambda t: real.tensor(t.numpy()))):
        m.train()
        opt.zero_grad()
        ns["calc_loss_batch"](conv(xb), conv(yb), m, "cpu").backward()
        opt.step()
    for (k, pe), (_, pt) in zip(me.named_parameters(), mt.named_parameters()):
        assert (pe.grad is None) == (pt.grad is None), k
        if pe.grad is not None:
            np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=1e-3, atol=1e-6,
                                       err_msg=k)
        np.testing.assert_allclose(np_of(pe), np_of(pt), rtol=1e-5, atol=1e-6, err_msg=k)


# -- chapter 7 -----------------------------------------------------------------------------------
def test_ch07_instruction_finetune_script(runs):
    book, r = runs()
    ns, out = r["instruct"]
    on_ember(ns)
    e = ns["torch"]
    assert "Training set length: 10\nValidation set length: 1\nTest set length: 2\n" in out
    assert "Device: cpu\n" in out and "Loaded model: Small test model\n" in out
    assert re.search(r"^   Training loss: \d+\.\d+$", out, re.M)
    assert re.search(r"^Ep 1 \(Step 000000\): Train loss \d+\.\d{3}, Val loss \d+\.\d{3}$", out, re.M)
    assert "Responses saved as instruction-data-with-response-standalone.json" in out
    assert "Model saved as Smalltestmodel-sft-standalone.pth" in out
    saved = json.loads((book / "instruction-data-with-response-standalone.json").read_text())
    assert len(saved) == 2 and all("model_response" in d for d in saved)
    # custom_collate_fn: one <|endoftext|> kept as target, the rest of the padding ignored
    collate = ns["custom_collate_fn"]
    x, y = collate([[1, 2, 3, 4, 5], [6, 7]])
    assert x.tolist() == [[1, 2, 3, 4, 5], [6, 7, 50256, 50256, 50256]]
    assert y.tolist() == [[2, 3, 4, 5, 50256], [7, 50256, -100, -100, -100]]
    assert x.dtype == e.int64
    x, y = collate([[1, 2, 3, 4, 5], [6, 7]], allowed_max_length=3)
    assert x.shape == y.shape == (2, 3)
    assert ns["format_input"]({"instruction": "Do.", "input": ""}).endswith("### Instruction:\nDo.")


def test_ch07_matches_pytorch_from_same_weights(runs):
    real = pytest.importorskip("torch")
    book, r = runs()
    ns_e, out_e = r["instruct"]
    ns_t, out_t = runs("torch")[1]["instruct"]
    drop = ("torch version", "Training completed", "Below is an instruction")  # (+ samples)
    assert [mask_numbers(ln) for ln in out_e.splitlines() if not ln.startswith(drop)] == \
        [mask_numbers(ln) for ln in out_t.splitlines() if not ln.startswith(drop)]
    # PyTorch loads the checkpoint ember's script saved ...
    mt = ns_t["GPTModel"](SMALL)
    mt.load_state_dict(real.load(book / "Smalltestmodel-sft-standalone.pth", weights_only=True))
    me = ns_e["GPTModel"](SMALL)
    me.load_state_dict(ns_e["torch"].load(book / "Smalltestmodel-sft-standalone.pth", weights_only=True))
    me.eval()
    mt.eval()
    # ... and with it computes the same masked loss (ignore_index=-100) on the same batches
    data = instruction_data()
    tok = ns_e["tiktoken"].get_encoding("gpt2")
    batches = []
    for ns in (ns_e, ns_t):
        ds = ns["InstructionDataset"](data[:6], tok)
        loader = ns["DataLoader"](ds, batch_size=3, collate_fn=ns["custom_collate_fn"])
        batches.append(loader)
        assert ns["calc_loss_loader"](loader, me if ns is ns_e else mt, "cpu") > 0
    le = ns_e["calc_loss_loader"](batches[0], me, "cpu")
    lt = ns_t["calc_loss_loader"](batches[1], mt, "cpu")
    assert le == pytest.approx(lt, rel=1e-5)
    (xe, ye), (xt, yt) = next(iter(batches[0])), next(iter(batches[1]))
    assert xe.tolist() == xt.tolist() and ye.tolist() == yt.tolist()
    assert (ye == -100).any()
    loss_e = ns_e["calc_loss_loader"].__globals__["calc_loss_batch"](xe, ye, me, "cpu")
    loss_t = ns_t["calc_loss_loader"].__globals__["calc_loss_batch"](xt, yt, mt, "cpu")
    loss_e.backward()
    loss_t.backward()
    for (k, pe), (_, pt) in zip(me.named_parameters(), mt.named_parameters()):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=1e-3, atol=1e-7,
                                   err_msg=k)
    # greedy responses with eos_id: the same tokens
    prompt = ns_e["format_input"](data[1])
    ge = ns_e["generate"](me, ns_e["text_to_token_ids"](prompt, tok), 6, 120, eos_id=50256)
    gt = ns_t["generate"](mt, ns_t["text_to_token_ids"](prompt, tok), 6, 120, eos_id=50256)
    assert ge.tolist() == gt.tolist()


# ch07.ipynb, section 7.3 (batching: padding, targets, ignore_index) as written
CH07_BATCHING = r'''
import tiktoken
tokenizer = tiktoken.get_encoding("gpt2")

print(tokenizer.encode("<|endoftext|>", allowed_special={"<|endoftext|>"}))

import torch

def custom_collate_draft_1(
    batch,
    pad_token_id=50256,
    device="cpu"
):
    # Find the longest sequence in the batch
    # and increase the max length by +1, which will add one extra
    # padding token below
    batch_max_length = max(len(item)+1 for item in batch)

    # Pad and prepare inputs
    inputs_lst = []

    for item in batch:
        new_item = item.copy()
        # Add an <|endoftext|> token
        new_item += [pad_token_id]
        # Pad sequences to batch_max_length
        padded = (
            new_item + [pad_token_id] *
            (batch_max_length - len(new_item))
        )
        # Via padded[:-1], we remove the extra padded token
        # that has been added via the +1 setting in batch_max_length
        # (the extra padding token will be relevant in later codes)
        inputs = torch.tensor(padded[:-1])
        inputs_lst.append(inputs)

    # Convert list of inputs to tensor and transfer to target device
    inputs_tensor = torch.stack(inputs_lst).to(device)
    return inputs_tensor

inputs_1 = [0, 1, 2, 3, 4]
inputs_2 = [5, 6]
inputs_3 = [7, 8, 9]

batch = (
    inputs_1,
    inputs_2,
    inputs_3
)

print(custom_collate_draft_1(batch))

def custom_collate_draft_2(
    batch,
    pad_token_id=50256,
    device="cpu"
):
    # Find the longest sequence in the batch
    batch_max_length = max(len(item)+1 for item in batch)

    # Pad and prepare inputs
    inputs_lst, targets_lst = [], []

    for item in batch:
        new_item = item.copy()
        # Add an <|endoftext|> token
        new_item += [pad_token_id]
        # Pad sequences to max_length
        padded = (
            new_item + [pad_token_id] *
            (batch_max_length - len(new_item))
        )
        inputs = torch.tensor(padded[:-1])  # Truncate the last token for inputs
        targets = torch.tensor(padded[1:])  # Shift +1 to the right for targets
        inputs_lst.append(inputs)
        targets_lst.append(targets)

    # Convert list of inputs to tensor and transfer to target device
    inputs_tensor = torch.stack(inputs_lst).to(device)
    targets_tensor = torch.stack(targets_lst).to(device)
    return inputs_tensor, targets_tensor

inputs, targets = custom_collate_draft_2(batch)
print(inputs)
print(targets)

def custom_collate_fn(
    batch,
    pad_token_id=50256,
    ignore_index=-100,
    allowed_max_length=None,
    device="cpu"
):
    # Find the longest sequence in the batch
    batch_max_length = max(len(item)+1 for item in batch)

    # Pad and prepare inputs and targets
    inputs_lst, targets_lst = [], []

    for item in batch:
        new_item = item.copy()
        # Add an <|endoftext|> token
        new_item += [pad_token_id]
        # Pad sequences to max_length
        padded = (
            new_item + [pad_token_id] *
            (batch_max_length - len(new_item))
        )
        inputs = torch.tensor(padded[:-1])  # Truncate the last token for inputs
        targets = torch.tensor(padded[1:])  # Shift +1 to the right for targets

        # New: Replace all but the first padding tokens in targets by ignore_index
        mask = targets == pad_token_id
        indices = torch.nonzero(mask).squeeze()
        if indices.numel() > 1:
            targets[indices[1:]] = ignore_index

        # New: Optionally truncate to maximum sequence length
        if allowed_max_length is not None:
            inputs = inputs[:allowed_max_length]
            targets = targets[:allowed_max_length]

        inputs_lst.append(inputs)
        targets_lst.append(targets)

    # Convert list of inputs and targets to tensors and transfer to target device
    inputs_tensor = torch.stack(inputs_lst).to(device)
    targets_tensor = torch.stack(targets_lst).to(device)

    return inputs_tensor, targets_tensor

inputs, targets = custom_collate_fn(batch)
print(inputs)
print(targets)

logits_1 = torch.tensor(
    [[-1.0, 1.0],  # 1st training example
     [-0.5, 1.5]]  # 2nd training example
)
targets_1 = torch.tensor([0, 1])


loss_1 = torch.nn.functional.cross_entropy(logits_1, targets_1)
print(loss_1)

logits_2 = torch.tensor(
    [[-1.0, 1.0],
     [-0.5, 1.5],
     [-0.5, 1.5]]  # New 3rd training example
)
targets_2 = torch.tensor([0, 1, 1])

loss_2 = torch.nn.functional.cross_entropy(logits_2, targets_2)
print(loss_2)

targets_3 = torch.tensor([0, 1, -100])

loss_3 = torch.nn.functional.cross_entropy(logits_2, targets_3)
print(loss_3)
print("loss_1 == loss_3:", loss_1 == loss_3)
'''

# what the notebook prints (its saved outputs)
CH07_BATCHING_BOOK = """[50256]
tensor([[    0,     1,     2,     3,     4],
        [    5,     6, 50256, 50256, 50256],
        [    7,     8,     9, 50256, 50256]])
tensor([[    0,     1,     2,     3,     4],
        [    5,     6, 50256, 50256, 50256],
        [    7,     8,     9, 50256, 50256]])
tensor([[    1,     2,     3,     4, 50256],
        [    6, 50256, 50256, 50256, 50256],
        [    8,     9, 50256, 50256, 50256]])
tensor([[    0,     1,     2,     3,     4],
        [    5,     6, 50256, 50256, 50256],
        [    7,     8,     9, 50256, 50256]])
tensor([[    1,     2,     3,     4, 50256],
        [    6, 50256,  -100,  -100,  -100],
        [    8,     9, 50256,  -100,  -100]])
tensor(1.1269)
tensor(0.7936)
tensor(1.1269)
loss_1 == loss_3: tensor(True)
"""


def test_ch07_batching_prints_what_the_book_shows(book):
    ns, out = run(CH07_BATCHING)
    on_ember(ns)
    assert out == CH07_BATCHING_BOOK
    pytest.importorskip("torch")
    _, out_t = run(CH07_BATCHING, "torch")
    assert out_t == out
    # the ignored target gets no gradient, as in PyTorch
    e = ns["torch"]
    logits = e.tensor([[-1.0, 1.0], [-0.5, 1.5], [-0.5, 1.5]], requires_grad=True)
    e.nn.functional.cross_entropy(logits, ns["targets_3"]).backward()
    assert logits.grad[2].tolist() == [0.0, 0.0] and logits.grad[:2].abs().sum() > 0


# ch05.ipynb, section 5.1.2 (the loss by hand: probabilities of the targets, log, mean,
# cross_entropy, perplexity), run on the model the training script left
CH05_LOSS = r'''
inputs = torch.tensor([[16833, 3626, 6100],   # ["every effort moves",
                       [40,    1107, 588]])   #  "I really like"]

targets = torch.tensor([[3626, 6100, 345  ],  # [" effort moves you",
                        [1107,  588, 11311]]) #  " really like chocolate"]

with torch.no_grad():
    logits = model(inputs)

probas = torch.softmax(logits, dim=-1) # Probability of each token in vocabulary
print(probas.shape) # Shape: (batch_size, num_tokens, vocab_size)

token_ids = torch.argmax(probas, dim=-1, keepdim=True)
print("Token IDs:\n", token_ids)

print(f"Targets batch 1: {token_ids_to_text(targets[0], tokenizer)}")
print(f"Outputs batch 1: {token_ids_to_text(token_ids[0].flatten(), tokenizer)}")

text_idx = 0
target_probas_1 = probas[text_idx, [0, 1, 2], targets[text_idx]]
print("Text 1:", target_probas_1)

text_idx = 1
target_probas_2 = probas[text_idx, [0, 1, 2], targets[text_idx]]
print("Text 2:", target_probas_2)

# Compute logarithm of all token probabilities
log_probas = torch.log(torch.cat((target_probas_1, target_probas_2)))
print(log_probas)

# Calculate the average probability for each token
avg_log_probas = torch.mean(log_probas)
print(avg_log_probas)

neg_avg_log_probas = avg_log_probas * -1
print(neg_avg_log_probas)

# Logits have shape (batch_size, num_tokens, vocab_size)
print("Logits shape:", logits.shape)

# Targets have shape (batch_size, num_tokens)
print("Targets shape:", targets.shape)

logits_flat = logits.flatten(0, 1)
targets_flat = targets.flatten()

print("Flattened logits:", logits_flat.shape)
print("Flattened targets:", targets_flat.shape)

loss = torch.nn.functional.cross_entropy(logits_flat, targets_flat)
print(loss)

perplexity = torch.exp(loss)
print(perplexity)
'''


def test_ch05_loss_by_hand_matches_pytorch_from_same_weights(runs):
    real = pytest.importorskip("torch")
    ns_e = runs()[1]["train"][0]
    ns_t = runs("torch")[1]["train"][0]
    me = ns_e["model"]
    mt = ns_t["GPTModel"](ns_t["GPT_CONFIG_124M"])
    mt.load_state_dict({k: real.tensor(np_of(v)) for k, v in me.state_dict().items()})
    me.eval()
    mt.eval()
    tok = ns_e["tiktoken"].get_encoding("gpt2")
    outs = []
    for ns, m in ((ns_e, me), (ns_t, mt)):
        glb = {"model": m, "tokenizer": tok, "token_ids_to_text": ns["token_ids_to_text"]}
        ns_run, out = run("import torch\n" + CH05_LOSS, "ember" if ns is ns_e else "torch",
                          ns=glb)
        outs.append((ns_run, out))
    (ne, oe), (nt, ot) = outs
    on_ember(ne)
    assert "Token IDs:\n tensor([[[" in oe and "Flattened logits: ember.Size([6, 50257])" in oe
    # the same numbers (float32 rounding of exp/log aside) and the same argmax tokens
    assert_prints_alike(oe, ot, rtol=2e-5)
    assert ne["token_ids"].tolist() == nt["token_ids"].tolist()
    # the hand-computed loss is cross_entropy's
    assert ne["neg_avg_log_probas"].item() == pytest.approx(ne["loss"].item(), rel=1e-5)
