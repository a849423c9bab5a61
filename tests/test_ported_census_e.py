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
import pytest
from _dual import Lib, assert_same, dual
from _parity import assert_f32_close

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


# --- the chatbot tutorial's core: packed bidirectional GRU encoder, Luong attention, maskNLLLoss, greedy search ----

DIALOG = [
    ("hi .", "hello ."),
    ("how are you ?", "i am fine thanks ."),
    ("what is your name ?", "my name is bot ."),
    ("are you cold ?", "no ."),
    ("where are you from ?", "i am from here ."),
    ("good night .", "good night to you ."),
    ("who are you ?", "a bot ."),
    ("thanks .", "you are welcome ."),
]
PAD_token = 0


class Voc:
    def __init__(self) -> None:
        self.word2index: dict = {}
        self.index2word = {PAD_token: "PAD", 1: "SOS", 2: "EOS"}
        self.num_words = 3

    def addSentence(self, sentence: str) -> None:
        for word in sentence.split(" "):
            if word not in self.word2index:
                self.word2index[word] = self.num_words
                self.index2word[self.num_words] = word
                self.num_words += 1


def _chatbot(lib: Lib, attn_model: str) -> dict:
    import itertools

    L, nn, F, optim = lib.lib, lib.nn, lib.F, lib.optim
    SOS, EOS = 1, 2
    voc = Voc()
    for a, b in DIALOG:
        voc.addSentence(a)
        voc.addSentence(b)

    def indexesFromSentence(voc: Voc, sentence: str) -> list:
        return [voc.word2index[word] for word in sentence.split(" ")] + [EOS]

    def zeroPadding(rows: list, fillvalue: int = PAD_token) -> list:
        return list(itertools.zip_longest(*rows, fillvalue=fillvalue))

    def binaryMatrix(rows: list) -> list:
        return [[0 if token == PAD_token else 1 for token in seq] for seq in rows]

    def inputVar(lines: list, voc: Voc) -> tuple:
        indexes_batch = [indexesFromSentence(voc, sentence) for sentence in lines]
        lengths = L.tensor([len(indexes) for indexes in indexes_batch])
        return L.LongTensor(zeroPadding(indexes_batch)), lengths

    def outputVar(lines: list, voc: Voc) -> tuple:
        indexes_batch = [indexesFromSentence(voc, sentence) for sentence in lines]
        max_target_len = max(len(indexes) for indexes in indexes_batch)
        padList = zeroPadding(indexes_batch)
        mask = L.BoolTensor(binaryMatrix(padList))
        return L.LongTensor(padList), mask, max_target_len

    def batch2TrainData(voc: Voc, pair_batch: list) -> tuple:
        pair_batch.sort(key=lambda x: len(x[0].split(" ")), reverse=True)
        input_batch, output_batch = zip(*pair_batch)
        inp, lengths = inputVar(input_batch, voc)
        output, mask, max_target_len = outputVar(output_batch, voc)
        return inp, lengths, output, mask, max_target_len

    class EncoderRNN(nn.Module):
        def __init__(self, hidden_size: int, embedding: Any, n_layers: int = 1, dropout: float = 0.0) -> None:
            super().__init__()
            self.n_layers, self.hidden_size, self.embedding = n_layers, hidden_size, embedding
            self.gru = nn.GRU(hidden_size, hidden_size, n_layers, dropout=(0 if n_layers == 1 else dropout),
                              bidirectional=True)

        def forward(self, input_seq: Any, input_lengths: Any, hidden: Any = None) -> tuple:
            embedded = self.embedding(input_seq)
            packed = nn.utils.rnn.pack_padded_sequence(embedded, input_lengths)
            outputs, hidden = self.gru(packed, hidden)
            outputs, _ = nn.utils.rnn.pad_packed_sequence(outputs)
            outputs = outputs[:, :, :self.hidden_size] + outputs[:, :, self.hidden_size:]
            return outputs, hidden

    class Attn(nn.Module):
        def __init__(self, method: str, hidden_size: int) -> None:
            super().__init__()
            self.method, self.hidden_size = method, hidden_size
            if self.method not in ["dot", "general", "concat"]:
                raise ValueError(self.method, "is not an appropriate attention method.")
            if self.method == "general":
                self.attn = nn.Linear(self.hidden_size, hidden_size)
            elif self.method == "concat":
                self.attn = nn.Linear(self.hidden_size * 2, hidden_size)
                self.v = nn.Parameter(L.FloatTensor(hidden_size))

        def dot_score(self, hidden: Any, encoder_output: Any) -> Any:
            return L.sum(hidden * encoder_output, dim=2)

        def general_score(self, hidden: Any, encoder_output: Any) -> Any:
            energy = self.attn(encoder_output)
            return L.sum(hidden * energy, dim=2)

        def concat_score(self, hidden: Any, encoder_output: Any) -> Any:
            energy = self.attn(L.cat((hidden.expand(encoder_output.size(0), -1, -1), encoder_output), 2)).tanh()
            return L.sum(self.v * energy, dim=2)

        def forward(self, hidden: Any, encoder_outputs: Any) -> Any:
            if self.method == "general":
                attn_energies = self.general_score(hidden, encoder_outputs)
            elif self.method == "concat":
                attn_energies = self.concat_score(hidden, encoder_outputs)
            else:
                attn_energies = self.dot_score(hidden, encoder_outputs)
            attn_energies = attn_energies.t()
            return F.softmax(attn_energies, dim=1).unsqueeze(1)

    class LuongAttnDecoderRNN(nn.Module):
        def __init__(self, attn_model: str, embedding: Any, hidden_size: int, output_size: int, n_layers: int = 1,
                     dropout: float = 0.0) -> None:
            super().__init__()
            self.attn_model, self.hidden_size, self.output_size = attn_model, hidden_size, output_size
            self.n_layers, self.dropout = n_layers, dropout
            self.embedding = embedding
            self.embedding_dropout = nn.Dropout(dropout)
            self.gru = nn.GRU(hidden_size, hidden_size, n_layers, dropout=(0 if n_layers == 1 else dropout))
            self.concat = nn.Linear(hidden_size * 2, hidden_size)
            self.out = nn.Linear(hidden_size, output_size)
            self.attn = Attn(attn_model, hidden_size)

        def forward(self, input_step: Any, last_hidden: Any, encoder_outputs: Any) -> tuple:
            embedded = self.embedding_dropout(self.embedding(input_step))
            rnn_output, hidden = self.gru(embedded, last_hidden)
            attn_weights = self.attn(rnn_output, encoder_outputs)
            context = attn_weights.bmm(encoder_outputs.transpose(0, 1))
            rnn_output = rnn_output.squeeze(0)
            context = context.squeeze(1)
            concat_input = L.cat((rnn_output, context), 1)
            concat_output = L.tanh(self.concat(concat_input))
            output = F.softmax(self.out(concat_output), dim=1)
            return output, hidden

    def maskNLLLoss(inp: Any, target: Any, mask: Any) -> tuple:
        nTotal = mask.sum()
        crossEntropy = -L.log(L.gather(inp, 1, target.view(-1, 1)).squeeze(1))
        loss = crossEntropy.masked_select(mask).mean()
        loss = loss.to("cpu")
        return loss, nTotal.item()

    hidden_size, n_layers, batch_size, clip = 12, 2, 4, 50.0
    embedding = nn.Embedding(voc.num_words, hidden_size)
    encoder = EncoderRNN(hidden_size, embedding, n_layers, dropout=0.0).double()
    decoder = LuongAttnDecoderRNN(attn_model, embedding, hidden_size, voc.num_words, n_layers, 0.0).double()
    if attn_model == "concat":  # the script's FloatTensor(n) is uninitialised memory: a fixed fill, alike in both
        with L.no_grad():
            decoder.attn.v.copy_(L.linspace(-1, 1, hidden_size))
    lib.same_weights(encoder)
    lib.same_weights(decoder)
    encoder.train()
    decoder.train()
    encoder_optimizer = optim.Adam(encoder.parameters(), lr=0.01)
    decoder_optimizer = optim.Adam(decoder.parameters(), lr=0.01 * 5.0)
    rng = random.Random(11)
    out: dict = {"losses": [], "norms": []}
    for _iteration in range(4):
        training_batch = batch2TrainData(voc, [rng.choice(DIALOG) for _ in range(batch_size)])
        input_variable, lengths, target_variable, mask, max_target_len = training_batch
        encoder_optimizer.zero_grad()
        decoder_optimizer.zero_grad()
        lengths = lengths.to("cpu")
        loss = 0
        print_losses, n_totals = [], 0
        encoder_outputs, encoder_hidden = encoder(input_variable, lengths)
        decoder_input = L.LongTensor([[SOS for _ in range(batch_size)]])
        decoder_hidden = encoder_hidden[:decoder.n_layers]
        use_teacher_forcing = rng.random() < 0.5
        for t in range(max_target_len):
            decoder_output, decoder_hidden = decoder(decoder_input, decoder_hidden, encoder_outputs)
            if use_teacher_forcing:
                decoder_input = target_variable[t].view(1, -1)
            else:
                _, topi = decoder_output.topk(1)
                decoder_input = L.LongTensor([[topi[i][0] for i in range(batch_size)]])
            mask_loss, nTotal = maskNLLLoss(decoder_output, target_variable[t], mask[t])
            loss += mask_loss
            print_losses.append(mask_loss.item() * nTotal)
            n_totals += nTotal
        loss.backward()
        out["norms"].append(nn.utils.clip_grad_norm_(encoder.parameters(), clip))
        out["norms"].append(nn.utils.clip_grad_norm_(decoder.parameters(), 0.5))
        encoder_optimizer.step()
        decoder_optimizer.step()
        out["losses"].append(sum(print_losses) / n_totals)

    class GreedySearchDecoder(nn.Module):
        def __init__(self, encoder: Any, decoder: Any) -> None:
            super().__init__()
            self.encoder, self.decoder = encoder, decoder

        def forward(self, input_seq: Any, input_length: Any, max_length: int) -> tuple:
            encoder_outputs, encoder_hidden = self.encoder(input_seq, input_length)
            decoder_hidden = encoder_hidden[:decoder.n_layers]
            decoder_input = L.ones(1, 1, dtype=L.long) * SOS
            all_tokens = L.zeros([0], dtype=L.long)
            all_scores = L.zeros([0])
            for _ in range(max_length):
                decoder_output, decoder_hidden = self.decoder(decoder_input, decoder_hidden, encoder_outputs)
                decoder_scores, decoder_input = L.max(decoder_output, dim=1)
                all_tokens = L.cat((all_tokens, decoder_input), dim=0)
                all_scores = L.cat((all_scores, decoder_scores), dim=0)
                decoder_input = L.unsqueeze(decoder_input, 0)
            return all_tokens, all_scores

    encoder.eval()
    decoder.eval()
    searcher = GreedySearchDecoder(encoder, decoder)
    for k, (sentence, _) in enumerate(DIALOG[:3]):
        indexes_batch = [indexesFromSentence(voc, sentence)]
        lengths = L.tensor([len(indexes) for indexes in indexes_batch])
        input_batch = L.LongTensor(indexes_batch).transpose(0, 1)
        with L.no_grad():
            tokens, scores = searcher(input_batch, lengths, 5)
        out[f"reply{k}"] = " ".join(voc.index2word[token.item()] for token in tokens)
        out[f"scores{k}"] = scores
    out.update({f"dec.{k}": v for k, v in decoder.state_dict().items()})
    return out


@pytest.mark.parametrize("attn_model", ["dot", "general", "concat"])
def test_chatbot_core(attn_model: str) -> None:
    theirs, ours = dual(_chatbot, attn_model, float64=True)
    assert_same(theirs, ours, tol=1e-9)


# --- "Double Backward with Custom Functions" tutorial ---------------------------------------------------------------


def _double_backward(lib: Lib) -> dict:
    L = lib.lib
    rng = np.random.default_rng(2)

    class Square(L.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        def backward(ctx: Any, grad_out: Any) -> Any:
            x, = ctx.saved_tensors
            return grad_out * 2 * x

    class Exp(L.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            result = L.exp(x)
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx: Any, grad_out: Any) -> Any:
            result, = ctx.saved_tensors
            return result * grad_out

    class Sinh(L.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> tuple:
            expx = L.exp(x)
            expnegx = L.exp(-x)
            ctx.save_for_backward(expx, expnegx)
            return (expx - expnegx) / 2, expx, expnegx

        @staticmethod
        def backward(ctx: Any, grad_out: Any, _grad_out_exp: Any, _grad_out_negexp: Any) -> Any:
            expx, expnegx = ctx.saved_tensors
            grad_input = grad_out * (expx + expnegx) / 2
            grad_input += _grad_out_exp * expx
            grad_input -= _grad_out_negexp * expnegx
            return grad_input

    def sinh(x: Any) -> Any:
        return Sinh.apply(x)[0]

    def cube_forward(x: Any) -> Any:
        return x ** 3

    def cube_backward(grad_out: Any, x: Any) -> Any:
        return grad_out * 3 * x ** 2

    def cube_backward_backward(grad_out: Any, sav_grad_out: Any, x: Any) -> Any:
        return grad_out * sav_grad_out * 6 * x

    def cube_backward_backward_grad_out(grad_out: Any, x: Any) -> Any:
        return grad_out * 3 * x ** 2

    class Cube(L.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return cube_forward(x)

        @staticmethod
        def backward(ctx: Any, grad_out: Any) -> Any:
            x, = ctx.saved_tensors
            return CubeBackward.apply(grad_out, x)

    class CubeBackward(L.autograd.Function):
        @staticmethod
        def forward(ctx: Any, grad_out: Any, x: Any) -> Any:
            ctx.save_for_backward(x, grad_out)
            return cube_backward(grad_out, x)

        @staticmethod
        def backward(ctx: Any, grad_out: Any) -> tuple:
            x, sav_grad_out = ctx.saved_tensors
            dx = cube_backward_backward(grad_out, sav_grad_out, x)
            dgrad_out = cube_backward_backward_grad_out(grad_out, x)
            return dgrad_out, dx

    out: dict = {}
    x = L.tensor(rng.random((3, 3)), requires_grad=True, dtype=L.double)
    for name, fn in (("square", Square.apply), ("exp", Exp.apply), ("sinh", sinh)):
        out[f"{name}_gradcheck"] = L.autograd.gradcheck(fn, x)
        out[f"{name}_gradgradcheck"] = L.autograd.gradgradcheck(fn, x)
        y = fn(x)
        g = L.tensor(rng.standard_normal((3, 3)))
        (dx,) = L.autograd.grad(y, x, g, create_graph=True)
        (ddx,) = L.autograd.grad(dx, x, L.ones_like(dx))
        out.update({f"{name}_y": y, f"{name}_dx": dx, f"{name}_ddx": ddx, f"{name}_node": y.grad_fn.name()})
    c = L.tensor(2., requires_grad=True, dtype=L.double)
    out["cube_gradcheck"] = L.autograd.gradcheck(Cube.apply, c)
    out["cube_gradgradcheck"] = L.autograd.gradgradcheck(Cube.apply, c)
    (dc,) = L.autograd.grad(Cube.apply(c), c, create_graph=True)
    out["cube_dc_node"] = dc.grad_fn.name()
    out["cube_ddc"] = L.autograd.grad(dc, c)[0]
    return out


def test_double_backward_custom_functions() -> None:
    theirs, ours = dual(_double_backward, float64=True)
    assert_same(theirs, ours)


# --- "Fusing Convolution and Batch Norm using Custom Function" tutorial --------------------------------------------


def _fuse_conv_bn(lib: Lib, mnist: tuple) -> dict:
    import math

    L, nn, F, optim = lib.lib, lib.nn, lib.F, lib.optim
    rng = np.random.default_rng(4)

    def convolution_backward(grad_out: Any, X: Any, weight: Any) -> tuple:
        grad_input = F.conv2d(X.transpose(0, 1), grad_out.transpose(0, 1)).transpose(0, 1)
        grad_X = F.conv_transpose2d(grad_out, weight)
        return grad_X, grad_input

    class Conv2D(L.autograd.Function):
        @staticmethod
        def forward(ctx: Any, X: Any, weight: Any) -> Any:
            ctx.save_for_backward(X, weight)
            return F.conv2d(X, weight)

        @staticmethod
        def backward(ctx: Any, grad_out: Any) -> tuple:
            X, weight = ctx.saved_tensors
            return convolution_backward(grad_out, X, weight)

    out: dict = {}
    weight = L.tensor(rng.random((5, 3, 3, 3)), requires_grad=True, dtype=L.double)  # the tutorial: X (10, 3, 7, 7)
    X = L.tensor(rng.random((2, 3, 5, 5)), requires_grad=True, dtype=L.double)
    out["conv_gradcheck"] = L.autograd.gradcheck(Conv2D.apply, (X, weight))
    g = L.tensor(rng.standard_normal((2, 5, 3, 3)))
    # the backward written with torch.nn.grad, as the tutorial's readers check it
    out["conv2d_input"] = L.nn.grad.conv2d_input(X.shape, weight, g)
    out["conv2d_weight"] = L.nn.grad.conv2d_weight(X, weight.shape, g)
    out["conv_backward"] = list(convolution_backward(g, X, weight))

    def unsqueeze_all(t: Any) -> Any:
        return t[None, :, None, None]

    def batch_norm_backward(grad_out: Any, X: Any, sum: Any, sqrt_var: Any, N: float, eps: float) -> Any:  # noqa: A002
        tmp = ((X - unsqueeze_all(sum) / N) * grad_out).sum(dim=(0, 2, 3))
        tmp *= -1
        d_denom = tmp / (sqrt_var + eps) ** 2
        d_var = d_denom / (2 * sqrt_var)
        d_mean_dx = grad_out / unsqueeze_all(sqrt_var + eps)
        d_mean_dx = unsqueeze_all(-d_mean_dx.sum(dim=(0, 2, 3)) / N)
        grad_input = X * unsqueeze_all(d_var * N)
        grad_input += unsqueeze_all(-d_var * sum)
        grad_input *= 2 / ((N - 1) * N)
        grad_input += d_mean_dx
        grad_input *= unsqueeze_all(sqrt_var + eps)
        grad_input += grad_out
        grad_input /= unsqueeze_all(sqrt_var + eps)
        return grad_input

    class BatchNorm(L.autograd.Function):
        @staticmethod
        def forward(ctx: Any, X: Any, eps: float = 1e-3) -> Any:
            sum = X.sum(dim=(0, 2, 3))  # noqa: A001
            var = X.var(unbiased=True, dim=(0, 2, 3))
            N = X.numel() / X.size(1)
            sqrt_var = L.sqrt(var)
            ctx.save_for_backward(X)
            ctx.eps, ctx.sum, ctx.N, ctx.sqrt_var = eps, sum, N, sqrt_var
            mean = sum / N
            denom = sqrt_var + eps
            out = X - unsqueeze_all(mean)
            out /= unsqueeze_all(denom)
            return out

        @staticmethod
        def backward(ctx: Any, grad_out: Any) -> tuple:
            X, = ctx.saved_tensors
            return batch_norm_backward(grad_out, X, ctx.sum, ctx.sqrt_var, ctx.N, ctx.eps), None

    a = L.tensor(rng.random((1, 2, 3, 4)), requires_grad=True, dtype=L.double)
    out["bn_gradcheck"] = L.autograd.gradcheck(BatchNorm.apply, (a,), fast_mode=False)

    class FusedConvBN2DFunction(L.autograd.Function):
        @staticmethod
        def forward(ctx: Any, X: Any, conv_weight: Any, eps: float = 1e-3) -> Any:
            assert X.ndim == 4
            ctx.save_for_backward(X, conv_weight)
            X = F.conv2d(X, conv_weight)
            sum = X.sum(dim=(0, 2, 3))  # noqa: A001
            var = X.var(unbiased=True, dim=(0, 2, 3))
            N = X.numel() / X.size(1)
            sqrt_var = L.sqrt(var)
            ctx.eps, ctx.sum, ctx.N, ctx.sqrt_var = eps, sum, N, sqrt_var
            mean = sum / N
            denom = sqrt_var + eps
            out = X - unsqueeze_all(mean)
            out /= unsqueeze_all(denom)
            return out

        @staticmethod
        def backward(ctx: Any, grad_out: Any) -> tuple:
            X, conv_weight, = ctx.saved_tensors
            X_conv_out = F.conv2d(X, conv_weight)
            grad_out = batch_norm_backward(grad_out, X_conv_out, ctx.sum, ctx.sqrt_var, ctx.N, ctx.eps)
            grad_X, grad_input = convolution_backward(grad_out, X, conv_weight)
            return grad_X, grad_input, None, None, None, None, None

    w = L.tensor(rng.random((2, 2, 2, 2)), requires_grad=True, dtype=L.double)
    xx = L.tensor(rng.random((2, 2, 4, 4)), requires_grad=True, dtype=L.double)
    out["fused_gradcheck"] = L.autograd.gradcheck(FusedConvBN2DFunction.apply, (xx, w))

    class FusedConvBN(nn.Module):
        def __init__(self, in_channels: int, out_channels: int, kernel_size: int, exp_avg_factor: float = 0.1,
                     eps: float = 1e-3, device: Any = None, dtype: Any = None) -> None:
            super().__init__()
            factory_kwargs = {"device": device, "dtype": dtype}
            weight_shape = (out_channels, in_channels, kernel_size, kernel_size)
            self.conv_weight = nn.Parameter(L.empty(*weight_shape, **factory_kwargs))
            self.eps = eps
            self.reset_parameters()

        def forward(self, X: Any) -> Any:
            return FusedConvBN2DFunction.apply(X, self.conv_weight, self.eps)

        def reset_parameters(self) -> None:
            nn.init.kaiming_uniform_(self.conv_weight, a=math.sqrt(5))

    class Net(nn.Module):
        def __init__(self, fused: bool = True) -> None:
            super().__init__()
            self.fused = fused
            if fused:
                self.convbn1 = FusedConvBN(1, 8, 3)
                self.convbn2 = FusedConvBN(8, 8, 3)
            else:
                self.conv1 = nn.Conv2d(1, 8, 3, 1, bias=False)
                self.bn1 = nn.BatchNorm2d(8, affine=False, track_running_stats=False)
                self.conv2 = nn.Conv2d(8, 8, 3, 1, bias=False)
                self.bn2 = nn.BatchNorm2d(8, affine=False, track_running_stats=False)
            self.fc1 = nn.Linear(8 * 12 * 12, 32)
            self.dropout = nn.Dropout(0.0)
            self.fc2 = nn.Linear(32, 10)

        def forward(self, x: Any) -> Any:
            if self.fused:
                x = self.convbn1(x)
            else:
                x = self.bn1(self.conv1(x))
            F.relu_(x)
            x = self.convbn2(x) if self.fused else self.bn2(self.conv2(x))
            F.relu_(x)
            x = F.max_pool2d(x, 2)
            F.relu_(x)
            x = x.flatten(1)
            x = self.fc1(x)
            x = self.dropout(x)
            F.relu_(x)
            x = self.fc2(x)
            return F.log_softmax(x, dim=1)

    images, labels = mnist
    data, target = L.tensor(images), L.tensor(labels)
    for fused in (True, False):
        model = lib.same_weights(Net(fused=fused).double())
        optimizer = optim.Adadelta(model.parameters(), lr=1.0)
        losses = []
        for i in range(2):
            optimizer.zero_grad()
            output = model(data[i * 8:(i + 1) * 8])
            loss = F.nll_loss(output, target[i * 8:(i + 1) * 8])
            loss.backward()
            optimizer.step()
            losses.append(loss)
        out[f"losses_fused{fused}"] = losses
        out.update({f"net{fused}.{k}": v for k, v in model.state_dict().items()})
    return out


@pytest.fixture(scope="module")
def mnist16() -> tuple:
    """The first 16 training images of the packaged MNIST sample, normalised as pytorch/examples does."""
    import gzip

    from minitorch_cnn.vision.datasets import sample_root

    raw = sample_root() / "MNIST" / "raw"
    with gzip.open(raw / "train-images-idx3-ubyte.gz", "rb") as f:
        img = np.frombuffer(f.read(16 + 16 * 784), np.uint8, offset=16).reshape(16, 1, 28, 28)
    with gzip.open(raw / "train-labels-idx1-ubyte.gz", "rb") as f:
        lab = np.frombuffer(f.read(8 + 16), np.uint8, offset=8).astype(np.int64)
    return (img / 255.0 - 0.1307) / 0.3081, lab


def test_fusing_conv_bn(mnist16: tuple) -> None:
    theirs, ours = dual(_fuse_conv_bn, mnist16, float64=True)
    assert_same(theirs, ours, tol=1e-9)


# --- "Extending PyTorch" docs: LinearFunction, MulConstant, MyCube (setup_context), Sort, SimpleFunc, a Module ----


def _extending(lib: Lib) -> dict:
    L, nn = lib.lib, lib.nn
    Function = L.autograd.Function
    once_differentiable = L.autograd.function.once_differentiable
    rng = np.random.default_rng(6)

    class LinearFunction(Function):
        @staticmethod
        def forward(input: Any, weight: Any, bias: Any = None) -> Any:  # noqa: A002
            output = input.mm(weight.t())
            if bias is not None:
                output += bias.unsqueeze(0).expand_as(output)
            return output

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple, output: Any) -> None:
            input, weight, bias = inputs  # noqa: A001
            ctx.save_for_backward(input, weight, bias)

        @staticmethod
        def backward(ctx: Any, grad_output: Any) -> tuple:
            input, weight, bias = ctx.saved_tensors  # noqa: A001
            grad_input = grad_weight = grad_bias = None
            if ctx.needs_input_grad[0]:
                grad_input = grad_output.mm(weight)
            if ctx.needs_input_grad[1]:
                grad_weight = grad_output.t().mm(input)
            if bias is not None and ctx.needs_input_grad[2]:
                grad_bias = grad_output.sum(0)
            return grad_input, grad_weight, grad_bias

    class LinearFunctionCtx(Function):  # the same in the older combined style
        @staticmethod
        def forward(ctx: Any, input: Any, weight: Any, bias: Any = None) -> Any:  # noqa: A002
            ctx.save_for_backward(input, weight, bias)
            output = input.mm(weight.t())
            if bias is not None:
                output += bias.unsqueeze(0).expand_as(output)
            return output

        @staticmethod
        def backward(ctx: Any, grad_output: Any) -> tuple:
            input, weight, bias = ctx.saved_tensors  # noqa: A001
            grad_input = grad_weight = grad_bias = None
            if ctx.needs_input_grad[0]:
                grad_input = grad_output.mm(weight)
            if ctx.needs_input_grad[1]:
                grad_weight = grad_output.t().mm(input)
            if bias is not None and ctx.needs_input_grad[2]:
                grad_bias = grad_output.sum(0)
            return grad_input, grad_weight, grad_bias

    class MulConstant(Function):
        @staticmethod
        def forward(tensor: Any, constant: float) -> Any:
            return tensor * constant

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple, output: Any) -> None:
            tensor, constant = inputs
            ctx.constant = constant

        @staticmethod
        def backward(ctx: Any, grad_output: Any) -> tuple:
            return grad_output * ctx.constant, None

    class MyCube(Function):
        @staticmethod
        def forward(x: Any) -> tuple:
            result = x ** 3
            dx = 3 * x ** 2
            return result, dx

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple, output: tuple) -> None:
            x, = inputs
            result, dx = output
            ctx.save_for_backward(x, dx)

        @staticmethod
        def backward(ctx: Any, grad_output: Any, grad_dx: Any) -> Any:
            x, dx = ctx.saved_tensors
            return grad_output * dx + grad_dx * 6 * x

    def my_cube(x: Any) -> Any:
        result, dx = MyCube.apply(x)
        return result

    class Sort(Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> tuple:
            sorted, idx = x.sort()  # noqa: A001
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(x, idx)
            return sorted, idx

        @staticmethod
        def backward(ctx: Any, g1: Any, g2: Any) -> Any:
            x, idx = ctx.saved_tensors
            grad_input = L.zeros_like(x)
            grad_input.index_add_(0, idx, g1)
            return grad_input

    class SimpleFunc(Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> tuple:
            ctx.set_materialize_grads(False)
            ctx.save_for_backward(x)
            return x.clone(), x.clone()

        @staticmethod
        @once_differentiable
        def backward(ctx: Any, g1: Any, g2: Any) -> Any:
            x, = ctx.saved_tensors
            grad_input = L.zeros_like(x)
            if g1 is not None:
                grad_input += g1
            if g2 is not None:
                grad_input += g2
            return grad_input

    class Linear(nn.Module):
        def __init__(self, input_features: int, output_features: int, bias: bool = True) -> None:
            super().__init__()
            self.input_features, self.output_features = input_features, output_features
            self.weight = nn.Parameter(L.empty(output_features, input_features))
            if bias:
                self.bias = nn.Parameter(L.empty(output_features))
            else:
                self.register_parameter("bias", None)
            nn.init.uniform_(self.weight, -0.1, 0.1)
            if self.bias is not None:
                nn.init.uniform_(self.bias, -0.1, 0.1)

        def forward(self, input: Any) -> Any:  # noqa: A002
            return LinearFunction.apply(input, self.weight, self.bias)

        def extra_repr(self) -> str:
            return (f"input_features={self.input_features}, output_features={self.output_features}, "
                    f"bias={self.bias is not None}")

    out: dict = {}
    linear = LinearFunction.apply
    inp = (L.tensor(rng.standard_normal((20, 20)), dtype=L.double, requires_grad=True),
           L.tensor(rng.standard_normal((30, 20)), dtype=L.double, requires_grad=True))
    out["linear_gradcheck"] = L.autograd.gradcheck(linear, inp, eps=1e-6, atol=1e-4)
    x = L.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    w = L.tensor(rng.standard_normal((3, 5)), requires_grad=True)
    b = L.tensor(rng.standard_normal(3), requires_grad=True)
    g = L.tensor(rng.standard_normal((4, 3)))
    for name, fn in (("setup", linear), ("ctx", LinearFunctionCtx.apply)):
        y = fn(x, w, b)
        y.backward(g)
        out.update({f"{name}_y": y, f"{name}_gx": x.grad, f"{name}_gw": w.grad, f"{name}_gb": b.grad,
                    f"{name}_node": y.grad_fn.name()})
        x.grad = w.grad = b.grad = None
    y = LinearFunctionCtx.apply(x.detach(), w, None)  # needs_input_grad (False, True, False)
    y.backward(g)
    out["nobias_gw"], out["nobias_x_grad"] = w.grad, x.grad
    w.grad = None
    z = MulConstant.apply(x, 2.5)
    z.backward(g[:, :1].expand(4, 5))
    out["mulconst"], out["mulconst_grad"] = z, x.grad
    x.grad = None
    c = L.tensor(rng.standard_normal(6), requires_grad=True)
    cube = my_cube(c)
    (dc,) = L.autograd.grad(cube, c, L.ones_like(cube), create_graph=True)
    out.update(cube=cube, cube_dc=dc, cube_ddc=L.autograd.grad(dc.sum(), c)[0])
    out["cube_gradcheck"] = L.autograd.gradcheck(my_cube, (c,))
    out["cube_gradgradcheck"] = L.autograd.gradgradcheck(my_cube, (c,))
    s, idx = Sort.apply(c)
    out.update(sorted=s, idx=idx, idx_requires_grad=idx.requires_grad, idx_dtype=str(idx.dtype))
    s.backward(L.arange(6.0))
    out["sort_grad"] = c.grad
    c.grad = None
    a = L.tensor(1., requires_grad=True)
    b1, _ = SimpleFunc.apply(a)
    b1.backward()
    out["simple_grad"] = a.grad
    a.grad = None
    b1, b2 = SimpleFunc.apply(a)
    (b1 * 2 + b2 * 3).backward()
    out["simple_grad_both"] = a.grad
    layer = lib.same_weights(Linear(5, 3).double())
    layer_nb = lib.same_weights(Linear(5, 3, bias=False).double())
    out.update(repr=repr(layer), repr_nb=repr(layer_nb), nb_bias=layer_nb.bias)
    y = layer(x)
    y.backward(g)
    out.update(mod_y=y, mod_gw=layer.weight.grad, mod_gb=layer.bias.grad, mod_gx=x.grad)
    x.grad = None
    out["mod_gradcheck"] = L.autograd.gradcheck(layer, (x,))
    return out


def test_extending_pytorch() -> None:
    theirs, ours = dual(_extending, float64=True)
    assert ours.pop("idx_dtype") == theirs.pop("idx_dtype").replace("torch.", "mt.")
    assert ours.pop("repr") == theirs.pop("repr") and ours.pop("repr_nb") == theirs.pop("repr_nb")
    assert_same(theirs, ours)


# --- pytorch/examples mnist_forward_forward: Hinton's forward-forward, layer-local losses, per-layer Adam ----------


def _forward_forward(lib: Lib, mnist: tuple) -> dict:
    L, nn = lib.lib, lib.nn
    Adam = lib.optim.Adam

    def overlay_y_on_x(x: Any, y: Any) -> Any:
        x_ = x.clone()
        x_[:, :10] *= 0.0
        x_[range(x.shape[0]), y] = x.max()
        return x_

    class Layer(nn.Linear):
        def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None,
                     dtype: Any = None) -> None:
            super().__init__(in_features, out_features, bias, device, dtype)
            self.relu = L.nn.ReLU()
            self.opt = Adam(self.parameters(), lr=0.03)
            self.threshold = 2.0
            self.num_epochs = 4

        def forward(self, x: Any) -> Any:
            x_direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
            return self.relu(L.mm(x_direction, self.weight.T) + self.bias.unsqueeze(0))

        def train(self, x_pos: Any, x_neg: Any) -> tuple:  # the script overrides Module.train
            for _i in range(self.num_epochs):
                g_pos = self.forward(x_pos).pow(2).mean(1)
                g_neg = self.forward(x_neg).pow(2).mean(1)
                loss = L.log(1 + L.exp(L.cat([-g_pos + self.threshold, g_neg - self.threshold]))).mean()
                self.opt.zero_grad()
                loss.backward()
                self.opt.step()
                self.losses.append(loss.item())
            return self.forward(x_pos).detach(), self.forward(x_neg).detach()

    class Net(L.nn.Module):
        def __init__(self, dims: list) -> None:
            super().__init__()
            self.layers = []
            for d in range(len(dims) - 1):
                layer = lib.same_weights(Layer(dims[d], dims[d + 1]))
                layer.losses = []
                self.layers += [layer]

        def predict(self, x: Any) -> Any:
            goodness_per_label = []
            for label in range(10):
                h = overlay_y_on_x(x, label)
                goodness = []
                for layer in self.layers:
                    h = layer(h)
                    goodness += [h.pow(2).mean(1)]
                goodness_per_label += [sum(goodness).unsqueeze(1)]
            goodness_per_label = L.cat(goodness_per_label, 1)
            return goodness_per_label.argmax(1)

        def train(self, x_pos: Any, x_neg: Any) -> None:
            h_pos, h_neg = x_pos, x_neg
            for _i, layer in enumerate(self.layers):
                h_pos, h_neg = layer.train(h_pos, h_neg)

    images, labels = mnist
    transform = lib.transforms.Compose([lib.transforms.ToTensor(), lib.transforms.Normalize((0.1307,), (0.3081,)),
                                        lib.transforms.Lambda(lambda x: L.flatten(x))])
    x = L.stack([transform(img) for img in images]).double()
    y = L.tensor(labels)
    x_pos = overlay_y_on_x(x, y)
    rnd = L.randperm(x.size(0), generator=L.Generator().manual_seed(0))
    x_neg = overlay_y_on_x(x, y[rnd])
    net = Net([784, 24, 24])
    net.train(x_pos, x_neg)
    train_error = 1.0 - net.predict(x).eq(y).float().mean().item()
    return {"x_pos": x_pos, "x_neg": x_neg, "losses": [layer.losses for layer in net.layers],
            "pred": net.predict(x), "train_error": train_error,
            "w": [layer.weight for layer in net.layers]}


def test_mnist_forward_forward(mnist16: tuple) -> None:
    images = (mnist16[0][:, 0] * 0.3081 + 0.1307) * 255.0  # the raw pixels again, as ToTensor reads them
    theirs, ours = dual(_forward_forward, (np.round(images).astype(np.uint8)[..., None], mnist16[1]), float64=True)
    assert_same(theirs, ours, tol=1e-9)


# --- pytorch/examples regression: poly_desc, make_features, smooth_l1_loss, manual param.data.add_ ----------------


def _regression(lib: Lib) -> dict:
    L, F = lib.lib, lib.F
    rng = np.random.default_rng(8)  # the script's torch.randn draws, from one NumPy generator in both runs
    POLY_DEGREE = 4
    W_target = L.tensor(rng.standard_normal((POLY_DEGREE, 1))) * 5
    b_target = L.tensor(rng.standard_normal(1)) * 5

    def make_features(x: Any) -> Any:
        x = x.unsqueeze(1)
        return L.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)

    def f(x: Any) -> Any:
        return x.mm(W_target) + b_target.item()

    def poly_desc(W: Any, b: Any) -> str:
        result = "y = "
        for i, w in enumerate(W):
            result += "{:+.2f} x^{} ".format(w, i + 1)  # noqa: UP032 - the script's format calls on tensors
        result += "{:+.2f}".format(b[0])  # noqa: UP032
        return result

    def get_batch(batch_size: int = 32) -> tuple:
        random = L.tensor(rng.standard_normal(batch_size))
        x = make_features(random)
        y = f(x)
        return x, y

    fc = lib.same_weights(L.nn.Linear(W_target.size(0), 1))
    losses = []
    for batch_idx in range(1, 40):  # noqa: B007 - the script reports it after the loop
        batch_x, batch_y = get_batch()
        fc.zero_grad()
        output = F.smooth_l1_loss(fc(batch_x), batch_y)
        loss = output.item()
        output.backward()
        for param in fc.parameters():
            param.data.add_(-0.1 * param.grad)
        losses.append(loss)
        if loss < 1e-3:
            break
    return {"report": "Loss: {:.6f} after {} batches".format(loss, batch_idx),  # noqa: UP032
            "learned": "==> Learned function:\t" + poly_desc(fc.weight.view(-1), fc.bias),
            "actual": "==> Actual function:\t" + poly_desc(W_target.view(-1), b_target),
            "losses": losses, "weight": fc.weight, "bias": fc.bias}


def test_regression() -> None:
    theirs, ours = dual(_regression, float64=True)
    assert_same(theirs, ours, tol=1e-9)


# --- pytorch/examples reinforcement_learning/reinforce.py on a small CartPole written here -------------------------


class CartPole:
    """CartPole's equations of motion (Barto, Sutton & Anderson), Euler steps of 0.02 s, reward 1 per step, done when
    the pole passes 12 degrees or the cart 2.4 m, or after ``max_steps``; reset draws from ``rng``."""

    def __init__(self, seed: int, max_steps: int = 40) -> None:
        self.rng, self.max_steps = np.random.default_rng(seed), max_steps

    def reset(self) -> tuple:
        self.state, self.t = self.rng.uniform(-0.05, 0.05, 4), 0
        return self.state.copy(), {}

    def step(self, action: int) -> tuple:
        x, x_dot, theta, theta_dot = self.state
        force = 10.0 if action == 1 else -10.0
        cos, sin = np.cos(theta), np.sin(theta)
        temp = (force + 0.05 * theta_dot ** 2 * sin) / 1.1
        theta_acc = (9.8 * sin - cos * temp) / (0.5 * (4.0 / 3.0 - 0.1 * cos ** 2 / 1.1))
        x_acc = temp - 0.05 * theta_acc * cos / 1.1
        self.state = np.array([x + 0.02 * x_dot, x_dot + 0.02 * x_acc, theta + 0.02 * theta_dot,
                               theta_dot + 0.02 * theta_acc])
        self.t += 1
        done = bool(abs(self.state[0]) > 2.4 or abs(self.state[2]) > 12 * 2 * np.pi / 360)
        return self.state.copy(), 1.0, done, self.t >= self.max_steps, {}


def _reinforce(lib: Lib, f64: bool = False) -> dict:
    """The script as it runs (float32: its ``state.float()``), or with ``f64`` its float64 twin: the same initial
    weights upcast, ``.double()`` where the script calls ``.float()``, the returns in float64."""
    from collections import deque

    L, nn, F, optim = lib.lib, lib.nn, lib.F, lib.optim
    Categorical = L.distributions.Categorical
    gamma = 0.99

    class Policy(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.affine1 = nn.Linear(4, 32)
            self.dropout = nn.Dropout(p=0.0)
            self.affine2 = nn.Linear(32, 2)
            self.saved_log_probs: list = []
            self.rewards: list = []

        def forward(self, x: Any) -> Any:
            x = self.affine1(x)
            x = self.dropout(x)
            x = F.relu(x)
            action_scores = self.affine2(x)
            return F.softmax(action_scores, dim=1)

    L.manual_seed(0)  # the float32 run and its float64 twin start from the same weights
    policy = lib.same_weights(Policy())
    if f64:
        policy.double()
    optimizer = optim.Adam(policy.parameters(), lr=1e-2)
    eps = L.finfo(L.float32).eps
    env = CartPole(seed=3)
    choose = np.random.default_rng(4)  # the action the episode takes: drawn here from probs, alike in both runs
    out: dict = {"sampled_ok": True, "probs": [], "losses": [], "loss_scales": [], "returns": []}

    def select_action(state: np.ndarray) -> int:
        state = (L.from_numpy(state).double() if f64 else L.from_numpy(state).float()).unsqueeze(0)
        probs = policy(state)
        m = Categorical(probs)
        sampled = m.sample()
        out["sampled_ok"] &= sampled.shape == (1,) and sampled.dtype == L.int64 and 0 <= sampled.item() <= 1
        action = L.tensor([int(choose.random() > probs[0, 0].item())])
        policy.saved_log_probs.append(m.log_prob(action))
        out["probs"].append(probs.detach())
        return action.item()

    def finish_episode() -> None:
        R = 0
        policy_loss = []
        returns = deque()
        for r in policy.rewards[::-1]:
            R = r + gamma * R
            returns.appendleft(R)
        returns = L.tensor(returns, dtype=L.float64) if f64 else L.tensor(returns)
        returns = (returns - returns.mean()) / (returns.std() + eps)
        for log_prob, R in zip(policy.saved_log_probs, returns):
            policy_loss.append(-log_prob * R)
        optimizer.zero_grad()
        terms = L.cat(policy_loss)  # the test's own line: the terms' magnitude, the sum's condition
        policy_loss = terms.sum()
        policy_loss.backward()
        optimizer.step()
        out["losses"].append(policy_loss)
        out["loss_scales"].append(terms.detach().abs().sum())
        out["returns"].append(returns)
        del policy.rewards[:]
        del policy.saved_log_probs[:]

    running_reward = 10
    for _i_episode in range(3):
        state, _ = env.reset()
        ep_reward = 0
        for _t in range(1, 10000):
            action = select_action(state)
            state, reward, done, truncated, _ = env.step(action)
            policy.rewards.append(reward)
            ep_reward += reward
            if done or truncated:
                break
        running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
        finish_episode()
    out["running_reward"] = running_reward
    out.update({k: v for k, v in policy.state_dict().items()})
    return out


def test_reinforce() -> None:
    theirs, ours = dual(_reinforce)  # the script: float32
    theirs64, ours64 = dual(_reinforce, f64=True)  # its float64 twin: the truth
    # the twin, ours against torch's, to float64's 1e-10; the loss sums -log p · R over returns normalised to mean
    # zero, which cancel: each loss is held to the magnitude of the terms it sums (sum |log p · R|)
    assert_same(theirs64, ours64, skip=["losses", "loss_scales"])
    for i, (t, o, scale) in enumerate(zip(theirs64["losses"], ours64["losses"], theirs64["loss_scales"])):
        assert_f32_close(Lib.np(o), Lib.np(t), cond=Lib.np(scale), rtol=1e-10, what=f"float64 losses[{i}]")
    # the float32 run against the float64 truth (same weights, same actions): float32's 1e-5 of each tensor's
    # magnitude, the losses of their terms' (or within 4x torch's own float32 error of the truth)
    assert ours["sampled_ok"] and ours["running_reward"] == theirs64["running_reward"]
    for key in sorted(theirs64.keys() - {"sampled_ok", "running_reward", "loss_scales"}):
        runs = [v[key] if isinstance(v[key], list) else [v[key]] for v in (ours, theirs64, theirs)]
        for i, (o, t, t32) in enumerate(zip(*runs, strict=True)):
            cond = Lib.np(theirs64["loss_scales"][i]) if key == "losses" else None
            assert_f32_close(Lib.np(o), Lib.np(t), cond=cond, torch32=Lib.np(t32), what=f"float32 {key}[{i}]")


# --- "Understanding requires_grad, retain_grad, leaf and non-leaf tensors" / "Autograd mechanics" idioms ----------


def _autograd_idioms(lib: Lib) -> dict:
    import warnings

    L, F = lib.lib, lib.F
    rng = np.random.default_rng(9)
    out: dict = {}
    x = L.ones(5)
    y = L.zeros(3)
    W = L.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    b = L.tensor(rng.standard_normal(3), requires_grad=True)
    z = L.matmul(x, W) + b
    z.retain_grad()
    loss = F.binary_cross_entropy_with_logits(z, y)
    loss.backward()
    out.update(W_grad=W.grad, b_grad=b.grad, z_grad=z.grad, loss=loss)
    out.update({f"{k}_is_leaf": v.is_leaf for k, v in (("x", x), ("W", W), ("z", z), ("loss", loss))})
    out.update({f"{k}_requires_grad": v.requires_grad for k, v in (("x", x), ("W", W), ("z", z))})
    out.update(z_retains=z.retains_grad, W_retains=W.retains_grad, z_fn=z.grad_fn.name(),
               loss_fn=loss.grad_fn.name())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out["nonleaf_grad"] = (z * 2).grad
    out["nonleaf_warned"] = any("not a leaf Tensor" in str(w.message) for w in caught)

    # hooks: on a leaf, on an intermediate (changing the gradient), removed again
    a = L.tensor([2.0, 3.0], requires_grad=True)
    c = a * a
    seen = []
    h1 = a.register_hook(lambda g: seen.append(g.clone()))
    h2 = c.register_hook(lambda g: g * 10)
    c.retain_grad()
    (c * L.tensor([1.0, -1.0])).sum().backward()
    out.update(a_grad_hooked=a.grad, c_grad=c.grad, seen=seen[0])
    h1.remove()
    h2.remove()
    a.grad = None
    (a * a * L.tensor([1.0, -1.0])).sum().backward()
    out.update(a_grad_unhooked=a.grad, seen_count=len(seen))

    # detach, detach_, requires_grad_, and the flags a non-leaf refuses
    p = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
    q = p * 2
    d = q.detach()
    out.update(d_requires=d.requires_grad, d_leaf=d.is_leaf, d_shares=d.data_ptr() == q.data_ptr())
    d.requires_grad_()
    (d ** 2).sum().backward()
    out.update(d_grad=d.grad, p_grad_after_detached=p.grad)
    r = p * 3
    r.detach_()
    out.update(r_requires=r.requires_grad, r_leaf=r.is_leaf, r_fn=r.grad_fn, r_value=r)
    s = p * 4
    try:
        s.requires_grad = False
        out["nonleaf_flag_error"] = ""
    except RuntimeError as e:
        out["nonleaf_flag_error"] = str(e).split("\n")[0]
    t = L.zeros(2)
    t.requires_grad_()
    out.update(t_requires=t.requires_grad, t_leaf=t.is_leaf)
    with L.no_grad():
        u = p * 2
    with L.enable_grad():
        v = p * 2
    with L.set_grad_enabled(False):
        w_ = p * 2
    with L.inference_mode():
        i_ = p * 2
    # (the tutorial's i_.is_inference() is left out: tensors here carry no inference mark; see the write-up)
    out.update(u_req=u.requires_grad, v_req=v.requires_grad, w_req=w_.requires_grad, i_req=i_.requires_grad)
    # retain_graph, and backward twice without it
    m = (p * p).sum()
    m.backward(retain_graph=True)
    m.backward()
    out["p_grad_twice"] = p.grad
    n_ = (p.exp()).sum()
    n_.backward()
    try:
        n_.backward()
        out["second_backward_error"] = ""
    except RuntimeError as e:
        out["second_backward_error"] = str(e)[:50]
    # next_functions down to a leaf's AccumulateGrad; hooks on the graph's nodes (after and before backward)
    e = (p * 2 + 1).sum()
    out["next"] = [fn.name() if fn is not None else None for fn, _ in e.grad_fn.next_functions]
    out["next2"] = [fn.name() if fn is not None else None
                    for fn, _ in e.grad_fn.next_functions[0][0].next_functions[0][0].next_functions]
    node_seen = []
    e.grad_fn.register_hook(lambda gi, go: node_seen.append([len(gi), len(go), go[0].clone()]))
    mul = e.grad_fn.next_functions[0][0].next_functions[0][0]
    handle = mul.register_prehook(lambda go: (go[0] * 3,))
    p.grad = None
    e.backward(retain_graph=True)
    out.update(node_seen=node_seen, p_grad_prehooked=p.grad)
    handle.remove()
    p.grad = None
    e.backward()
    out["p_grad_unhooked"] = p.grad
    return out


def test_autograd_idioms() -> None:
    theirs, ours = dual(_autograd_idioms, float64=True)
    # torch's BCE-with-logits is one node; ours is a composition ending in a mean (noted in the first census)
    assert (theirs.pop("loss_fn"), ours.pop("loss_fn")) == ("BinaryCrossEntropyWithLogitsBackward0", "MeanBackward0")
    # torch refuses `nonleaf.requires_grad = False`; here only requires_grad_(False) does (see the write-up)
    assert theirs.pop("nonleaf_flag_error").startswith("you can only change requires_grad flags of leaf variables")
    ours.pop("nonleaf_flag_error")
    assert ours.pop("second_backward_error").startswith("Trying to backward through the graph a second time")
    assert theirs.pop("second_backward_error").startswith("Trying to backward through the graph a second time")
    assert_same(theirs, ours)
