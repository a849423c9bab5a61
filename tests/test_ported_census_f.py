"""A census of public PyTorch scripts, part f, ported by one import switch: each test makes the calls one script
makes, in the way it makes them, under torch and under minitorch_cnn from the same initial weights (float64), and
holds the results equal to 1e-10 relative.

Scripts: the "Deep Learning for NLP with PyTorch" tutorials (bag-of-words classifier, N-gram and CBOW word
embeddings, LSTM part-of-speech tagger, Bi-LSTM CRF); the torchtext text-classification tutorial's model and loop
(EmbeddingBag with offsets; torchtext's tokenizer and vocab replaced by a few lines of Python); d2l.ai's modern CNNs
(VGG, NiN, GoogLeNet, DenseNet with init_cnn) on FashionMNIST, and its builders' guide (layers and modules,
parameter management, custom layers, file I/O). The scripts' code is not copied; models and data are cut small.
Values a script draws at random outside its model's weights (inputs, hidden states, a fixed random matrix) come
from one NumPy stream both runs share.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _dual import Lib, assert_same, dual
from _parity import data_root
from test_ported_census_b import _idx, _write_idx

F64 = np.float64


# --- NLP tutorial, part 1: the bag-of-words classifier ---------------------------------------------------------------

BOW_DATA = [("me gusta comer en la cafeteria".split(), "SPANISH"),
            ("Give it to me".split(), "ENGLISH"),
            ("No creo que sea una buena idea".split(), "SPANISH"),
            ("No it is not a good idea to get lost at sea".split(), "ENGLISH")]
BOW_TEST = [("Yo creo que si".split(), "SPANISH"), ("it is lost on me".split(), "ENGLISH")]


def _bow(lib: Lib) -> dict:
    L, nn, F, optim = lib.lib, lib.nn, lib.F, lib.optim
    word_to_ix: dict = {}
    for sent, _ in BOW_DATA + BOW_TEST:
        for word in sent:
            if word not in word_to_ix:
                word_to_ix[word] = len(word_to_ix)
    VOCAB_SIZE, NUM_LABELS = len(word_to_ix), 2

    class BoWClassifier(nn.Module):
        def __init__(self, num_labels: int, vocab_size: int) -> None:
            super().__init__()
            self.linear = nn.Linear(vocab_size, num_labels)

        def forward(self, bow_vec: Any) -> Any:
            return F.log_softmax(self.linear(bow_vec), dim=1)

    def make_bow_vector(sentence: list, word_to_ix: dict) -> Any:
        vec = L.zeros(len(word_to_ix))
        for word in sentence:
            vec[word_to_ix[word]] += 1
        return vec.view(1, -1)

    def make_target(label: str, label_to_ix: dict) -> Any:
        return L.LongTensor([label_to_ix[label]])

    model = lib.same_weights(BoWClassifier(NUM_LABELS, VOCAB_SIZE))
    out: dict = {"params": [p.detach().clone() for p in model.parameters()]}
    with L.no_grad():
        out["first"] = model(make_bow_vector(BOW_DATA[0][0], word_to_ix))
    label_to_ix = {"SPANISH": 0, "ENGLISH": 1}
    with L.no_grad():
        out["before"] = [model(make_bow_vector(inst, word_to_ix)) for inst, _ in BOW_TEST]
    out["creo_before"] = next(model.parameters())[:, word_to_ix["creo"]].detach().clone()
    loss_function = nn.NLLLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(20):
        for instance, label in BOW_DATA:
            model.zero_grad()
            bow_vec = make_bow_vector(instance, word_to_ix)
            target = make_target(label, label_to_ix)
            log_probs = model(bow_vec)
            loss = loss_function(log_probs, target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    with L.no_grad():
        out["after"] = [model(make_bow_vector(inst, word_to_ix)) for inst, _ in BOW_TEST]
    out["creo_after"] = next(model.parameters())[:, word_to_ix["creo"]].detach().clone()
    out["losses"] = losses
    out["vec_dtype"] = str(make_bow_vector(BOW_TEST[0][0], word_to_ix).dtype)
    return out


def test_nlp_bag_of_words() -> None:
    theirs, ours = dual(_bow, float64=True)
    assert_same(theirs, ours)


# --- NLP tutorial, part 2: word embeddings, the N-gram language model and CBOW ----------------------------------------

SONNET = """When forty winters shall besiege thy brow,
And dig deep trenches in thy beauty's field,
Thy youth's proud livery so gazed on now,
Will be a totter'd weed of small worth held:
Then being asked, where all thy beauty lies,
Where all the treasure of thy lusty days;""".split()
RAW_TEXT = """We are about to study the idea of a computational process.
Computational processes are abstract beings that inhabit computers.
As they evolve, processes manipulate other abstract things called data.""".split()


def _word_embeddings(lib: Lib) -> dict:
    L, nn, F, optim = lib.lib, lib.nn, lib.F, lib.optim
    out: dict = {}
    word_to_ix = {"hello": 0, "world": 1}
    embeds = lib.same_weights(nn.Embedding(2, 5))
    lookup_tensor = L.tensor([word_to_ix["hello"]], dtype=L.long)
    out["hello"] = embeds(lookup_tensor)
    CONTEXT_SIZE, EMBEDDING_DIM = 2, 10
    ngrams = [([SONNET[i - j - 1] for j in range(CONTEXT_SIZE)], SONNET[i]) for i in range(CONTEXT_SIZE, len(SONNET))]
    vocab = sorted(set(SONNET))
    word_to_ix = {word: i for i, word in enumerate(vocab)}

    class NGramLanguageModeler(nn.Module):
        def __init__(self, vocab_size: int, embedding_dim: int, context_size: int) -> None:
            super().__init__()
            self.embeddings = nn.Embedding(vocab_size, embedding_dim)
            self.linear1 = nn.Linear(context_size * embedding_dim, 128)
            self.linear2 = nn.Linear(128, vocab_size)

        def forward(self, inputs: Any) -> Any:
            embeds = self.embeddings(inputs).view((1, -1))
            out = F.relu(self.linear1(embeds))
            out = self.linear2(out)
            return F.log_softmax(out, dim=1)

    losses = []
    loss_function = nn.NLLLoss()
    model = lib.same_weights(NGramLanguageModeler(len(vocab), EMBEDDING_DIM, CONTEXT_SIZE))
    optimizer = optim.SGD(model.parameters(), lr=0.001)
    for _ in range(3):
        total_loss = 0
        for context, target in ngrams:
            context_idxs = L.tensor([word_to_ix[w] for w in context], dtype=L.long)
            model.zero_grad()
            log_probs = model(context_idxs)
            loss = loss_function(log_probs, L.tensor([word_to_ix[target]], dtype=L.long))
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
        losses.append(total_loss)
    out["ngram_losses"] = losses
    out["beauty"] = model.embeddings.weight[word_to_ix["beauty"]]

    vocab = sorted(set(RAW_TEXT))
    word_to_ix = {word: i for i, word in enumerate(vocab)}
    data = [([RAW_TEXT[i - 2], RAW_TEXT[i - 1], RAW_TEXT[i + 1], RAW_TEXT[i + 2]], RAW_TEXT[i])
            for i in range(2, len(RAW_TEXT) - 2)]

    class CBOW(nn.Module):
        def __init__(self, vocab_size: int, embedding_dim: int) -> None:
            super().__init__()
            self.embeddings = nn.Embedding(vocab_size, embedding_dim)
            self.linear = nn.Linear(embedding_dim, vocab_size)

        def forward(self, inputs: Any) -> Any:
            embeds = self.embeddings(inputs).sum(dim=0).view((1, -1))
            return F.log_softmax(self.linear(embeds), dim=-1)

    def make_context_vector(context: list, word_to_ix: dict) -> Any:
        idxs = [word_to_ix[w] for w in context]
        return L.tensor(idxs, dtype=L.long)

    out["context"] = make_context_vector(data[0][0], word_to_ix)
    model = lib.same_weights(CBOW(len(vocab), EMBEDDING_DIM))
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    cbow_losses = []
    for _ in range(3):
        total_loss = 0.0
        for context, target in data:
            model.zero_grad()
            loss = loss_function(model(make_context_vector(context, word_to_ix)),
                                 L.tensor([word_to_ix[target]], dtype=L.long))
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
        cbow_losses.append(total_loss)
    out["cbow_losses"] = cbow_losses
    out["cbow_weight"] = model.embeddings.weight
    return out


def test_nlp_word_embeddings() -> None:
    theirs, ours = dual(_word_embeddings, float64=True)
    assert_same(theirs, ours)


# --- NLP tutorial, part 3: the LSTM part-of-speech tagger ---------------------------------------------------------

TAGGED = [("The dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
          ("Everybody read that book".split(), ["NN", "V", "DET", "NN"])]


def _prepare_sequence(L: Any, seq: list, to_ix: dict) -> Any:
    idxs = [to_ix[w] for w in seq]
    return L.tensor(idxs, dtype=L.long)


def _lstm_tagger(lib: Lib) -> dict:
    L, nn, F, optim = lib.lib, lib.nn, lib.F, lib.optim
    word_to_ix: dict = {}
    for sent, _ in TAGGED:
        for word in sent:
            if word not in word_to_ix:
                word_to_ix[word] = len(word_to_ix)
    tag_to_ix = {"DET": 0, "NN": 1, "V": 2}
    EMBEDDING_DIM = HIDDEN_DIM = 6

    class LSTMTagger(nn.Module):
        def __init__(self, embedding_dim: int, hidden_dim: int, vocab_size: int, tagset_size: int) -> None:
            super().__init__()
            self.hidden_dim = hidden_dim
            self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)
            self.lstm = nn.LSTM(embedding_dim, hidden_dim)
            self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

        def forward(self, sentence: Any) -> Any:
            embeds = self.word_embeddings(sentence)
            lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
            tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
            return F.log_softmax(tag_space, dim=1)

    model = lib.same_weights(LSTMTagger(EMBEDDING_DIM, HIDDEN_DIM, len(word_to_ix), len(tag_to_ix)))
    loss_function = nn.NLLLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    out: dict = {}
    with L.no_grad():
        out["before"] = model(_prepare_sequence(L, TAGGED[0][0], word_to_ix))
    losses = []
    for _ in range(15):
        for sentence, tags in TAGGED:
            model.zero_grad()
            sentence_in = _prepare_sequence(L, sentence, word_to_ix)
            targets = _prepare_sequence(L, tags, tag_to_ix)
            tag_scores = model(sentence_in)
            loss = loss_function(tag_scores, targets)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    with L.no_grad():
        tag_scores = model(_prepare_sequence(L, TAGGED[0][0], word_to_ix))
        out["after"] = tag_scores
        out["predicted"] = tag_scores.argmax(dim=1).tolist()
    out["losses"] = losses
    return out


def test_nlp_lstm_tagger() -> None:
    theirs, ours = dual(_lstm_tagger, float64=True)
    assert_same(theirs, ours)
