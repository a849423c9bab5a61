"""A fifth census of public PyTorch scripts, ported by one import switch (seq2seq, custom autograd, small
pytorch/examples): each test makes the calls one script makes, in the way it makes them, under torch and under
minitorch_cnn from the same initial weights, and holds the results equal (float64: 1e-10 relative unless a bound
says why).

Scripts: the "NLP From Scratch: Translation with a Sequence to Sequence Network and Attention" tutorial (GRU
encoder, Bahdanau-attention decoder, teacher forcing, greedy decoding); the chatbot tutorial's core (packed
sequences through a bidirectional GRU, Luong attention in its three scores, maskNLLLoss, gradient clipping, a
greedy search decoder); the "Double Backward with Custom Functions" and "Fusing Convolution and Batch Norm using
Custom Function" tutorials; the "Extending PyTorch" docs examples; pytorch/examples mnist_forward_forward,
regression and reinforcement_learning/reinforce.py; the autograd-mechanics idioms (leaves, retain_grad, hooks,
detach_). The scripts' own code is not copied; data are tiny synthetic word pairs and sentences written here, the
shared MNIST, and a small CartPole-like environment written here. Dropout is set to p=0 (the two libraries draw
different masks); random draws the script makes come from one NumPy or Python generator seeded alike in both runs.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
from _dual import Lib, assert_same, dual

# --- "NLP From Scratch: Translation with a Sequence to Sequence Network and Attention" ----------------------------

PAIRS = [
    ("je suis grand .", "i am tall ."),
    ("je suis froid .", "i am cold ."),
    ("il est petit .", "he is small ."),
    ("elle est grande .", "she is tall ."),
    ("nous sommes froids .", "we are cold ."),
    ("il est froid .", "he is cold ."),
    ("je suis petit .", "i am small ."),
    ("elle est froide .", "she is cold ."),
]
SOS_token, EOS_token, MAX_LENGTH = 0, 1, 6


class Lang:
    def __init__(self, name: str) -> None:
        self.name = name
        self.word2index: dict = {}
        self.index2word = {0: "SOS", 1: "EOS"}
        self.n_words = 2

    def add_sentence(self, sentence: str) -> None:
        for word in sentence.split(" "):
            if word not in self.word2index:
                self.word2index[word] = self.n_words
                self.index2word[self.n_words] = word
                self.n_words += 1


def _langs() -> tuple[Lang, Lang]:
    src, tgt = Lang("fra"), Lang("eng")
    for a, b in PAIRS:
        src.add_sentence(a)
        tgt.add_sentence(b)
    return src, tgt


def _seq2seq(lib: Lib) -> dict:
    L, nn, F, optim = lib.lib, lib.nn, lib.F, lib.optim
    TensorDataset, DataLoader, RandomSampler = lib.data.TensorDataset, lib.data.DataLoader, lib.data.RandomSampler
    input_lang, output_lang = _langs()
    hidden_size, batch_size = 16, 4

    class EncoderRNN(nn.Module):
        def __init__(self, input_size: int, hidden_size: int, dropout_p: float = 0.0) -> None:
            super().__init__()
            self.hidden_size = hidden_size
            self.embedding = nn.Embedding(input_size, hidden_size)
            self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
            self.dropout = nn.Dropout(dropout_p)

        def forward(self, input: Any) -> Any:  # noqa: A002 - the tutorial's names
            embedded = self.dropout(self.embedding(input))
            output, hidden = self.gru(embedded)
            return output, hidden

    class BahdanauAttention(nn.Module):
        def __init__(self, hidden_size: int) -> None:
            super().__init__()
            self.Wa = nn.Linear(hidden_size, hidden_size)
            self.Ua = nn.Linear(hidden_size, hidden_size)
            self.Va = nn.Linear(hidden_size, 1)

        def forward(self, query: Any, keys: Any) -> Any:
            scores = self.Va(L.tanh(self.Wa(query) + self.Ua(keys)))
            scores = scores.squeeze(2).unsqueeze(1)
            weights = F.softmax(scores, dim=-1)
            context = L.bmm(weights, keys)
            return context, weights

    class AttnDecoderRNN(nn.Module):
        def __init__(self, hidden_size: int, output_size: int, dropout_p: float = 0.0) -> None:
            super().__init__()
            self.embedding = nn.Embedding(output_size, hidden_size)
            self.attention = BahdanauAttention(hidden_size)
            self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
            self.out = nn.Linear(hidden_size, output_size)
            self.dropout = nn.Dropout(dropout_p)

        def forward(self, encoder_outputs: Any, encoder_hidden: Any, target_tensor: Any = None) -> tuple:
            batch_size = encoder_outputs.size(0)
            decoder_input = L.empty(batch_size, 1, dtype=L.long).fill_(SOS_token)
            decoder_hidden = encoder_hidden
            decoder_outputs, attentions = [], []
            for i in range(MAX_LENGTH):
                decoder_output, decoder_hidden, attn_weights = self.forward_step(
                    decoder_input, decoder_hidden, encoder_outputs)
                decoder_outputs.append(decoder_output)
                attentions.append(attn_weights)
                if target_tensor is not None:
                    decoder_input = target_tensor[:, i].unsqueeze(1)  # teacher forcing
                else:
                    _, topi = decoder_output.topk(1)
                    decoder_input = topi.squeeze(-1).detach()
            decoder_outputs = L.cat(decoder_outputs, dim=1)
            decoder_outputs = F.log_softmax(decoder_outputs, dim=-1)
            attentions = L.cat(attentions, dim=1)
            return decoder_outputs, decoder_hidden, attentions

        def forward_step(self, input: Any, hidden: Any, encoder_outputs: Any) -> tuple:  # noqa: A002
            embedded = self.dropout(self.embedding(input))
            query = hidden.permute(1, 0, 2)
            context, attn_weights = self.attention(query, encoder_outputs)
            input_gru = L.cat((embedded, context), dim=2)
            output, hidden = self.gru(input_gru, hidden)
            output = self.out(output)
            return output, hidden, attn_weights

    def indexesFromSentence(lang: Lang, sentence: str) -> list:
        return [lang.word2index[word] for word in sentence.split(" ")]

    def tensorFromSentence(lang: Lang, sentence: str) -> Any:
        indexes = indexesFromSentence(lang, sentence)
        indexes.append(EOS_token)
        return L.tensor(indexes, dtype=L.long).view(1, -1)

    n = len(PAIRS)
    input_ids = np.zeros((n, MAX_LENGTH), dtype=np.int32)
    target_ids = np.zeros((n, MAX_LENGTH), dtype=np.int32)
    for idx, (inp, tgt) in enumerate(PAIRS):
        inp_ids = indexesFromSentence(input_lang, inp) + [EOS_token]
        tgt_ids = indexesFromSentence(output_lang, tgt) + [EOS_token]
        input_ids[idx, :len(inp_ids)] = inp_ids
        target_ids[idx, :len(tgt_ids)] = tgt_ids
    train_data = TensorDataset(L.LongTensor(input_ids), L.LongTensor(target_ids))
    gen = L.Generator().manual_seed(3)
    train_dataloader = DataLoader(train_data, sampler=RandomSampler(train_data, generator=gen),
                                  batch_size=batch_size)

    encoder = lib.same_weights(EncoderRNN(input_lang.n_words, hidden_size).double())
    decoder = lib.same_weights(AttnDecoderRNN(hidden_size, output_lang.n_words).double())
    encoder_optimizer = optim.Adam(encoder.parameters(), lr=0.01)
    decoder_optimizer = optim.Adam(decoder.parameters(), lr=0.01)
    criterion = nn.NLLLoss()
    losses = []
    for _epoch in range(3):
        total_loss = 0.0
        for input_tensor, target_tensor in train_dataloader:
            encoder_optimizer.zero_grad()
            decoder_optimizer.zero_grad()
            encoder_outputs, encoder_hidden = encoder(input_tensor)
            decoder_outputs, _, _ = decoder(encoder_outputs, encoder_hidden, target_tensor)
            loss = criterion(decoder_outputs.view(-1, decoder_outputs.size(-1)), target_tensor.view(-1))
            loss.backward()
            encoder_optimizer.step()
            decoder_optimizer.step()
            total_loss += loss.item()
        losses.append(total_loss / len(train_dataloader))

    def evaluate(sentence: str) -> tuple:
        with L.no_grad():
            input_tensor = tensorFromSentence(input_lang, sentence)
            encoder_outputs, encoder_hidden = encoder(input_tensor)
            decoder_outputs, decoder_hidden, decoder_attn = decoder(encoder_outputs, encoder_hidden)
            _, topi = decoder_outputs.topk(1)
            decoded_ids = topi.squeeze()
            decoded_words = []
            for idx in decoded_ids:
                if idx.item() == EOS_token:
                    decoded_words.append("<EOS>")
                    break
                decoded_words.append(output_lang.index2word[idx.item()])
        return decoded_words, decoder_attn, decoder_outputs

    out: dict = {"losses": losses}
    for k, (src, _) in enumerate(PAIRS[:3]):
        words, attn, logp = evaluate(src)
        out.update({f"words{k}": " ".join(words), f"attn{k}": attn, f"logp{k}": logp})

    # the tutorial's first (one-sentence-at-a-time) version: encoder_outputs filled row by row, teacher forcing
    # drawn with random.random(), the loss summed per step and divided by the target length
    class AttnDecoderV1(nn.Module):
        def __init__(self, hidden_size: int, output_size: int, max_length: int = MAX_LENGTH) -> None:
            super().__init__()
            self.hidden_size, self.max_length = hidden_size, max_length
            self.embedding = nn.Embedding(output_size, hidden_size)
            self.attn = nn.Linear(hidden_size * 2, max_length)
            self.attn_combine = nn.Linear(hidden_size * 2, hidden_size)
            self.gru = nn.GRU(hidden_size, hidden_size)
            self.out = nn.Linear(hidden_size, output_size)

        def forward(self, input: Any, hidden: Any, encoder_outputs: Any) -> tuple:  # noqa: A002
            embedded = self.embedding(input).view(1, 1, -1)
            attn_weights = F.softmax(self.attn(L.cat((embedded[0], hidden[0]), 1)), dim=1)
            attn_applied = L.bmm(attn_weights.unsqueeze(0), encoder_outputs.unsqueeze(0))
            output = L.cat((embedded[0], attn_applied[0]), 1)
            output = F.relu(self.attn_combine(output).unsqueeze(0))
            output, hidden = self.gru(output, hidden)
            output = F.log_softmax(self.out(output[0]), dim=1)
            return output, hidden, attn_weights

    class EncoderV1(nn.Module):
        def __init__(self, input_size: int, hidden_size: int) -> None:
            super().__init__()
            self.hidden_size = hidden_size
            self.embedding = nn.Embedding(input_size, hidden_size)
            self.gru = nn.GRU(hidden_size, hidden_size)

        def forward(self, input: Any, hidden: Any) -> tuple:  # noqa: A002
            output = self.embedding(input).view(1, 1, -1)
            return self.gru(output, hidden)

        def initHidden(self) -> Any:
            return L.zeros(1, 1, self.hidden_size)

    enc1 = lib.same_weights(EncoderV1(input_lang.n_words, hidden_size).double())
    dec1 = lib.same_weights(AttnDecoderV1(hidden_size, output_lang.n_words).double())
    enc_opt, dec_opt = optim.SGD(enc1.parameters(), lr=0.05), optim.SGD(dec1.parameters(), lr=0.05)
    rng = random.Random(5)
    v1_losses = []
    for it in range(6):
        src, tgt = PAIRS[it % len(PAIRS)]
        input_tensor = L.tensor(indexesFromSentence(input_lang, src) + [EOS_token], dtype=L.long).view(-1, 1)
        target_tensor = L.tensor(indexesFromSentence(output_lang, tgt) + [EOS_token], dtype=L.long).view(-1, 1)
        encoder_hidden = enc1.initHidden()
        enc_opt.zero_grad()
        dec_opt.zero_grad()
        input_length, target_length = input_tensor.size(0), target_tensor.size(0)
        encoder_outputs = L.zeros(MAX_LENGTH, enc1.hidden_size)
        loss = 0
        for ei in range(input_length):
            encoder_output, encoder_hidden = enc1(input_tensor[ei], encoder_hidden)
            encoder_outputs[ei] = encoder_output[0, 0]
        decoder_input = L.tensor([[SOS_token]])
        decoder_hidden = encoder_hidden
        use_teacher_forcing = rng.random() < 0.5
        for di in range(target_length):
            decoder_output, decoder_hidden, decoder_attention = dec1(decoder_input, decoder_hidden, encoder_outputs)
            loss += criterion(decoder_output, target_tensor[di])
            if use_teacher_forcing:
                decoder_input = target_tensor[di]
            else:
                topv, topi = decoder_output.topk(1)
                decoder_input = topi.squeeze().detach()
                if decoder_input.item() == EOS_token:
                    break
        loss.backward()
        enc_opt.step()
        dec_opt.step()
        v1_losses.append(loss.item() / target_length)
    out["v1_losses"] = v1_losses
    out["v1_attn"] = decoder_attention
    out.update({f"dec1.{k}": v for k, v in dec1.state_dict().items()})
    return out


def test_seq2seq_translation() -> None:
    theirs, ours = dual(_seq2seq, float64=True)
    assert_same(theirs, ours, tol=1e-9)
