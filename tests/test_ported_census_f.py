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


# --- NLP tutorial, part 4: "Making Dynamic Decisions and the Bi-LSTM CRF" ---------------------------------------------

START_TAG, STOP_TAG = "<START>", "<STOP>"
CRF_DATA = [("the wall street journal reported today that apple corporation made money".split(),
             "B I I I O O O B I O O".split()),
            ("georgia tech is a university in georgia".split(), "B I O O O O B".split())]


def _bilstm_crf(lib: Lib) -> dict:
    L, nn, optim = lib.lib, lib.nn, lib.optim
    hidden_draws = np.random.default_rng(0)

    def argmax(vec: Any) -> int:
        _, idx = L.max(vec, 1)
        return idx.item()

    def log_sum_exp(vec: Any) -> Any:
        max_score = vec[0, argmax(vec)]
        max_score_broadcast = max_score.view(1, -1).expand(1, vec.size()[1])
        return max_score + L.log(L.sum(L.exp(vec - max_score_broadcast)))

    class BiLSTM_CRF(nn.Module):
        def __init__(self, vocab_size: int, tag_to_ix: dict, embedding_dim: int, hidden_dim: int) -> None:
            super().__init__()
            self.embedding_dim, self.hidden_dim, self.vocab_size = embedding_dim, hidden_dim, vocab_size
            self.tag_to_ix = tag_to_ix
            self.tagset_size = len(tag_to_ix)
            self.word_embeds = nn.Embedding(vocab_size, embedding_dim)
            self.lstm = nn.LSTM(embedding_dim, hidden_dim // 2, num_layers=1, bidirectional=True)
            self.hidden2tag = nn.Linear(hidden_dim, self.tagset_size)
            self.transitions = nn.Parameter(L.randn(self.tagset_size, self.tagset_size))
            self.transitions.data[tag_to_ix[START_TAG], :] = -10000
            self.transitions.data[:, tag_to_ix[STOP_TAG]] = -10000
            self.hidden = self.init_hidden()

        def init_hidden(self) -> tuple:  # the script's torch.randn(2, 1, hidden_dim // 2), from the shared stream
            return (L.tensor(hidden_draws.standard_normal((2, 1, self.hidden_dim // 2))),
                    L.tensor(hidden_draws.standard_normal((2, 1, self.hidden_dim // 2))))

        def _forward_alg(self, feats: Any) -> Any:
            init_alphas = L.full((1, self.tagset_size), -10000.)
            init_alphas[0][self.tag_to_ix[START_TAG]] = 0.
            forward_var = init_alphas
            for feat in feats:
                alphas_t = []
                for next_tag in range(self.tagset_size):
                    emit_score = feat[next_tag].view(1, -1).expand(1, self.tagset_size)
                    trans_score = self.transitions[next_tag].view(1, -1)
                    next_tag_var = forward_var + trans_score + emit_score
                    alphas_t.append(log_sum_exp(next_tag_var).view(1))
                forward_var = L.cat(alphas_t).view(1, -1)
            terminal_var = forward_var + self.transitions[self.tag_to_ix[STOP_TAG]]
            return log_sum_exp(terminal_var)

        def _get_lstm_features(self, sentence: Any) -> Any:
            self.hidden = self.init_hidden()
            embeds = self.word_embeds(sentence).view(len(sentence), 1, -1)
            lstm_out, self.hidden = self.lstm(embeds, self.hidden)
            lstm_out = lstm_out.view(len(sentence), self.hidden_dim)
            return self.hidden2tag(lstm_out)

        def _score_sentence(self, feats: Any, tags: Any) -> Any:
            score = L.zeros(1)
            tags = L.cat([L.tensor([self.tag_to_ix[START_TAG]], dtype=L.long), tags])
            for i, feat in enumerate(feats):
                score = score + self.transitions[tags[i + 1], tags[i]] + feat[tags[i + 1]]
            return score + self.transitions[self.tag_to_ix[STOP_TAG], tags[-1]]

        def _viterbi_decode(self, feats: Any) -> tuple:
            backpointers = []
            init_vvars = L.full((1, self.tagset_size), -10000.)
            init_vvars[0][self.tag_to_ix[START_TAG]] = 0
            forward_var = init_vvars
            for feat in feats:
                bptrs_t, viterbivars_t = [], []
                for next_tag in range(self.tagset_size):
                    next_tag_var = forward_var + self.transitions[next_tag]
                    best_tag_id = argmax(next_tag_var)
                    bptrs_t.append(best_tag_id)
                    viterbivars_t.append(next_tag_var[0][best_tag_id].view(1))
                forward_var = (L.cat(viterbivars_t) + feat).view(1, -1)
                backpointers.append(bptrs_t)
            terminal_var = forward_var + self.transitions[self.tag_to_ix[STOP_TAG]]
            best_tag_id = argmax(terminal_var)
            path_score = terminal_var[0][best_tag_id]
            best_path = [best_tag_id]
            for bptrs_t in reversed(backpointers):
                best_tag_id = bptrs_t[best_tag_id]
                best_path.append(best_tag_id)
            start = best_path.pop()
            assert start == self.tag_to_ix[START_TAG]
            best_path.reverse()
            return path_score, best_path

        def neg_log_likelihood(self, sentence: Any, tags: Any) -> Any:
            feats = self._get_lstm_features(sentence)
            return self._forward_alg(feats) - self._score_sentence(feats, tags)

        def forward(self, sentence: Any) -> tuple:
            return self._viterbi_decode(self._get_lstm_features(sentence))

    word_to_ix: dict = {}
    for sentence, _ in CRF_DATA:
        for word in sentence:
            if word not in word_to_ix:
                word_to_ix[word] = len(word_to_ix)
    tag_to_ix = {"B": 0, "I": 1, "O": 2, START_TAG: 3, STOP_TAG: 4}
    model = lib.same_weights(BiLSTM_CRF(len(word_to_ix), tag_to_ix, 5, 4))
    optimizer = optim.SGD(model.parameters(), lr=0.01, weight_decay=1e-4)
    out: dict = {}
    with L.no_grad():
        precheck_sent = _prepare_sequence(L, CRF_DATA[0][0], word_to_ix)
        out["before_score"], out["before_path"] = model(precheck_sent)
    losses = []
    for _ in range(3):
        for sentence, tags in CRF_DATA:
            model.zero_grad()
            sentence_in = _prepare_sequence(L, sentence, word_to_ix)
            targets = L.tensor([tag_to_ix[t] for t in tags], dtype=L.long)
            loss = model.neg_log_likelihood(sentence_in, targets)
            loss.backward()
            optimizer.step()
            losses.append(loss)
    with L.no_grad():
        score, path = model(_prepare_sequence(L, CRF_DATA[0][0], word_to_ix))
    out["score"], out["path"], out["losses"] = score, path, [x.detach() for x in losses]
    out["transitions"] = model.transitions
    return out


def test_nlp_bilstm_crf() -> None:
    theirs, ours = dual(_bilstm_crf, float64=True)
    assert_same(theirs, ours)


# --- "Text classification with the torchtext library": EmbeddingBag with offsets, SGD + StepLR, clipping --------------

NEWS = [(3, "Wall St. Bears Claw Back Into the Black (Reuters) Short-sellers are seeing green again."),
        (3, "Carlyle Looks Toward Commercial Aerospace (Reuters) Private investment firm Carlyle Group"),
        (2, "Phelps wins gold in the pool as the crowd roars in Athens"),
        (1, "Iraq violence flares as talks on the election continue in Baghdad"),
        (4, "New chip from Intel promises faster laptops and longer battery life"),
        (2, "The Red Sox beat the Yankees in the final game of the series"),
        (4, "Google unveils a search engine for the desktop of Windows users"),
        (1, "Leaders meet in Brussels to discuss the budget of the union"),
        (3, "Oil prices climb as supply worries grip the markets again"),
        (4, "Scientists find a new planet orbiting a distant star"),
        (2, "Federer reaches the final after a hard match in the heat"),
        (1, "Rebels and the army agree to a ceasefire in the north")]


def _tokenizer(line: str) -> list:
    """torchtext's basic_english, cut to lower-casing and splitting on spaces with punctuation as words."""
    for ch in ".,()!?'":
        line = line.replace(ch, f" {ch} ")
    return line.lower().split()


def _vocab(lines: list) -> dict:
    """build_vocab_from_iterator(..., specials=["<unk>"]) with set_default_index: words by frequency, then order."""
    counts: dict = {}
    for line in lines:
        for tok in _tokenizer(line):
            counts[tok] = counts.get(tok, 0) + 1
    words = sorted(counts, key=lambda w: -counts[w])
    return {w: i for i, w in enumerate(["<unk>", *words])}


def _text_classification(lib: Lib, mode: str) -> dict:
    L, nn = lib.lib, lib.nn
    vocab = _vocab([t for _, t in NEWS[:9]])

    def text_pipeline(x: str) -> list:
        return [vocab.get(tok, 0) for tok in _tokenizer(x)]

    def label_pipeline(x: int) -> int:
        return int(x) - 1

    device = L.device("cuda" if L.cuda.is_available() else "cpu")

    def collate_batch(batch: list) -> tuple:
        label_list, text_list, offsets = [], [], [0]
        for _label, _text in batch:
            label_list.append(label_pipeline(_label))
            processed_text = L.tensor(text_pipeline(_text), dtype=L.int64)
            text_list.append(processed_text)
            offsets.append(processed_text.size(0))
        label_list = L.tensor(label_list, dtype=L.int64)
        offsets = L.tensor(offsets[:-1]).cumsum(dim=0)
        text_list = L.cat(text_list)
        return label_list.to(device), text_list.to(device), offsets.to(device)

    class TextClassificationModel(nn.Module):
        def __init__(self, vocab_size: int, embed_dim: int, num_class: int) -> None:
            super().__init__()
            self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False, mode=mode)
            self.fc = nn.Linear(embed_dim, num_class)
            self.init_weights()

        def init_weights(self) -> None:
            initrange = 0.5
            self.embedding.weight.data.uniform_(-initrange, initrange)
            self.fc.weight.data.uniform_(-initrange, initrange)
            self.fc.bias.data.zero_()

        def forward(self, text: Any, offsets: Any) -> Any:
            return self.fc(self.embedding(text, offsets))

    num_class = len({label for (label, _) in NEWS})
    model = lib.same_weights(TextClassificationModel(len(vocab), 8, num_class).to(device))
    out: dict = {"repr": repr(model.embedding)}
    criterion = L.nn.CrossEntropyLoss()
    optimizer = L.optim.SGD(model.parameters(), lr=5)
    scheduler = L.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
    train_dataloader = lib.data.DataLoader(NEWS[:9], batch_size=4, shuffle=False, collate_fn=collate_batch)
    valid_dataloader = lib.data.DataLoader(NEWS[9:], batch_size=4, shuffle=False, collate_fn=collate_batch)

    def train(dataloader: Any) -> list:
        model.train()
        seen = []
        for label, text, offsets in dataloader:
            optimizer.zero_grad()
            predicted_label = model(text, offsets)
            loss = criterion(predicted_label, label)
            loss.backward()
            seen.append(L.nn.utils.clip_grad_norm_(model.parameters(), 0.1))
            optimizer.step()
            seen.append((predicted_label.argmax(1) == label).sum().item())
        return seen

    def evaluate(dataloader: Any) -> float:
        model.eval()
        total_acc, total_count = 0, 0
        with L.no_grad():
            for label, text, offsets in dataloader:
                predicted_label = model(text, offsets)
                criterion(predicted_label, label)
                total_acc += (predicted_label.argmax(1) == label).sum().item()
                total_count += label.size(0)
        return total_acc / total_count

    out["offsets"] = next(iter(train_dataloader))[2]
    out["epochs"], out["lr"], out["val"] = [], [], []
    total_accu = None
    for _ in range(3):
        out["epochs"].append(train(train_dataloader))
        accu_val = evaluate(valid_dataloader)
        if total_accu is not None and total_accu > accu_val:
            scheduler.step()
        else:
            total_accu = accu_val
        out["val"].append(accu_val)
        out["lr"].append(scheduler.get_last_lr()[0])

    def predict(text: str, text_pipeline: Any) -> int:
        with L.no_grad():
            text = L.tensor(text_pipeline(text))
            output = model(text, L.tensor([0]))
            return output.argmax(1).item() + 1

    scheduler.step()  # StepLR with the tutorial's float step_size 1.0
    out["lr"].append(scheduler.get_last_lr()[0])
    out["predicted"] = predict("MEMPHIS, Tenn. - Four days ago, Jon Rahm was enduring the season's worst weather",
                               text_pipeline)
    out["weights"] = model.embedding.weight
    return out


@pytest.mark.parametrize("mode", ["mean", "sum", "max"])  # the tutorial's mean, and the other two reductions
def test_text_classification(mode: str) -> None:
    theirs, ours = dual(_text_classification, mode, float64=True)
    assert_same(theirs, ours)


# --- d2l.ai modern CNNs: VGG, NiN, GoogLeNet, DenseNet with init_cnn, a few SGD steps on FashionMNIST ----------------


@pytest.fixture(scope="module")
def fashion(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The first 32 train images of the shared FashionMNIST, as plain IDX files both libraries read."""
    src = data_root() / "FashionMNIST" / "raw"
    root = tmp_path_factory.mktemp("fashion_f")
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for split, n in (("train", 32), ("t10k", 8)):
        _write_idx(raw / f"{split}-images-idx3-ubyte", _idx(src / f"{split}-images-idx3-ubyte.gz", n, True))
        _write_idx(raw / f"{split}-labels-idx1-ubyte", _idx(src / f"{split}-labels-idx1-ubyte.gz", n, False))
    return str(root)


def _d2l_train(lib: Lib, root: str, net: Any, resize: int, steps: int, train_mode: bool = True) -> dict:
    """d2l's Classifier: apply_init on a first batch (lazy shapes, then init_cnn), layer_summary, Trainer steps."""
    L, nn, F = lib.lib, lib.nn, lib.F

    initialised = []

    def init_cnn(module: Any) -> None:
        if type(module) == nn.Linear or type(module) == nn.Conv2d:  # noqa: E721 - d2l's test
            nn.init.xavier_uniform_(module.weight)
            initialised.append(type(module).__name__)

    trans = lib.transforms.Compose([lib.transforms.Resize((resize, resize)), lib.transforms.ToTensor()])
    train = lib.datasets.FashionMNIST(root=root, train=True, transform=trans, download=False)
    loader = lib.data.DataLoader(train, batch_size=8, shuffle=False, num_workers=0)
    X0 = next(iter(loader))[0].double()
    net(X0)  # apply_init: the lazy layers take their shapes
    net.apply(init_cnn)
    lib.same_weights(net)
    out: dict = {"summary": [], "initialised": initialised}
    X = X0
    for layer in net:
        X = layer(X)
        out["summary"].append(f"{layer.__class__.__name__} output shape:\t{X.shape}")
    optim = lib.optim.SGD(net.parameters(), lr=0.05)
    net.train(train_mode)
    losses = []
    for step, (X, y) in enumerate(loader):
        if step == steps:
            break
        Y_hat = net(X.double())
        loss = F.cross_entropy(Y_hat.reshape((-1, Y_hat.shape[-1])), y.reshape((-1,)), reduction="mean")
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(loss.item())
    out["losses"] = losses
    net.eval()
    with L.no_grad():
        out["eval"] = net(X0)
        out["accuracy"] = (net(X0).argmax(axis=1).type(y.dtype) == next(iter(loader))[1]).float().mean().item()
    out["state"] = {k: v for k, v in net.state_dict().items() if "num_batches" not in k}
    return out


def _vgg(lib: Lib, root: str) -> dict:
    nn = lib.nn

    def vgg_block(num_convs: int, out_channels: int) -> Any:
        layers = []
        for _ in range(num_convs):
            layers.append(nn.LazyConv2d(out_channels, kernel_size=3, padding=1))
            layers.append(nn.ReLU())
        layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        return nn.Sequential(*layers)

    arch = ((1, 4), (1, 8), (2, 8))
    conv_blks = [vgg_block(num_convs, out_channels) for (num_convs, out_channels) in arch]
    net = nn.Sequential(*conv_blks, nn.Flatten(), nn.LazyLinear(32), nn.ReLU(), nn.Dropout(0.5),
                        nn.LazyLinear(32), nn.ReLU(), nn.Dropout(0.5), nn.LazyLinear(10))
    return _d2l_train(lib, root, net, 32, 2, train_mode=False)  # Dropout draws differ: steps in eval mode


def _nin(lib: Lib, root: str) -> dict:
    nn = lib.nn

    def nin_block(out_channels: int, kernel_size: int, strides: int, padding: int) -> Any:
        return nn.Sequential(nn.LazyConv2d(out_channels, kernel_size, strides, padding), nn.ReLU(),
                             nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU(),
                             nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU())

    net = nn.Sequential(nin_block(8, kernel_size=5, strides=2, padding=0), nn.MaxPool2d(3, stride=2),
                        nin_block(12, kernel_size=3, strides=1, padding=1), nn.MaxPool2d(3, stride=2),
                        nn.Dropout(0.5), nin_block(10, kernel_size=3, strides=1, padding=1),
                        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())
    return _d2l_train(lib, root, net, 32, 2, train_mode=False)


def _googlenet(lib: Lib, root: str) -> dict:
    L, nn, F = lib.lib, lib.nn, lib.F

    class Inception(nn.Module):
        def __init__(self, c1: int, c2: tuple, c3: tuple, c4: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.b1_1 = nn.LazyConv2d(c1, kernel_size=1)
            self.b2_1 = nn.LazyConv2d(c2[0], kernel_size=1)
            self.b2_2 = nn.LazyConv2d(c2[1], kernel_size=3, padding=1)
            self.b3_1 = nn.LazyConv2d(c3[0], kernel_size=1)
            self.b3_2 = nn.LazyConv2d(c3[1], kernel_size=5, padding=2)
            self.b4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
            self.b4_2 = nn.LazyConv2d(c4, kernel_size=1)

        def forward(self, x: Any) -> Any:
            b1 = F.relu(self.b1_1(x))
            b2 = F.relu(self.b2_2(F.relu(self.b2_1(x))))
            b3 = F.relu(self.b3_2(F.relu(self.b3_1(x))))
            b4 = F.relu(self.b4_2(self.b4_1(x)))
            return L.cat((b1, b2, b3, b4), dim=1)

    b1 = nn.Sequential(nn.LazyConv2d(8, kernel_size=7, stride=2, padding=3), nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b2 = nn.Sequential(nn.LazyConv2d(8, kernel_size=1), nn.ReLU(), nn.LazyConv2d(12, kernel_size=3, padding=1),
                       nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b3 = nn.Sequential(Inception(4, (4, 8), (2, 4), 4), Inception(8, (4, 8), (2, 4), 4),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b5 = nn.Sequential(Inception(8, (4, 8), (2, 4), 4), nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())
    net = nn.Sequential(b1, b2, b3, b5, nn.LazyLinear(10))
    return _d2l_train(lib, root, net, 32, 2)


def _densenet(lib: Lib, root: str) -> dict:
    L, nn = lib.lib, lib.nn

    def conv_block(num_channels: int) -> Any:
        return nn.Sequential(nn.LazyBatchNorm2d(), nn.ReLU(), nn.LazyConv2d(num_channels, kernel_size=3, padding=1))

    class DenseBlock(nn.Module):
        def __init__(self, num_convs: int, num_channels: int) -> None:
            super().__init__()
            layer = []
            for _ in range(num_convs):
                layer.append(conv_block(num_channels))
            self.net = nn.Sequential(*layer)

        def forward(self, X: Any) -> Any:
            for blk in self.net:
                Y = blk(X)
                X = L.cat((X, Y), dim=1)
            return X

    def transition_block(num_channels: int) -> Any:
        return nn.Sequential(nn.LazyBatchNorm2d(), nn.ReLU(), nn.LazyConv2d(num_channels, kernel_size=1),
                             nn.AvgPool2d(kernel_size=2, stride=2))

    blk = DenseBlock(2, 10)
    X = L.tensor(np.random.default_rng(4).standard_normal((4, 3, 8, 8)))
    shapes = [tuple(blk(X).shape), tuple(transition_block(10)(blk(X)).shape)]
    num_channels, growth_rate, arch = 8, 4, (2, 2)
    net = nn.Sequential(nn.Sequential(nn.LazyConv2d(8, kernel_size=7, stride=2, padding=3), nn.LazyBatchNorm2d(),
                                      nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2, padding=1)))
    for i, num_convs in enumerate(arch):
        net.add_module(f"dense_blk{i + 1}", DenseBlock(num_convs, growth_rate))
        num_channels += num_convs * growth_rate
        if i != len(arch) - 1:
            num_channels //= 2
            net.add_module(f"tran_blk{i + 1}", transition_block(num_channels))
    net.add_module("last", nn.Sequential(nn.LazyBatchNorm2d(), nn.ReLU(), nn.AdaptiveAvgPool2d((1, 1)),
                                         nn.Flatten(), nn.LazyLinear(10)))
    out = _d2l_train(lib, root, net, 32, 2)
    out["block_shapes"] = shapes
    return out


@pytest.mark.parametrize("script", [_vgg, _nin, _googlenet, _densenet], ids=["vgg", "nin", "googlenet", "densenet"])
def test_d2l_modern_cnn(script: Any, fashion: str) -> None:
    theirs, ours = dual(script, fashion, float64=True)
    assert_same(theirs, ours)


# --- d2l.ai builders' guide: layers and modules, parameter management, custom layers, file I/O ---------------------


def _builders_guide(lib: Lib, tmp: Path) -> dict:
    L, nn, F = lib.lib, lib.nn, lib.F
    draws = np.random.default_rng(7)

    def rand(*shape: int) -> Any:  # the chapter's torch.rand(...), from the shared stream
        return L.tensor(draws.random(shape))

    out: dict = {}
    net = nn.Sequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))
    X = rand(2, 20)
    out["seq_shape"] = tuple(net(X).shape)
    lib.same_weights(net)
    out["seq"] = net(X)

    class MLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.hidden = nn.LazyLinear(256)
            self.output = nn.LazyLinear(10)

        def forward(self, X: Any) -> Any:
            return self.output(F.relu(self.hidden(X)))

    class MySequential(nn.Module):
        def __init__(self, *args: Any) -> None:
            super().__init__()
            for idx, module in enumerate(args):
                self.add_module(str(idx), module)

        def forward(self, X: Any) -> Any:
            for module in self.children():
                X = module(X)
            return X

    class FixedHiddenMLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rand_weight = rand(20, 20)
            self.linear = nn.LazyLinear(20)

        def forward(self, X: Any) -> Any:
            X = self.linear(X)
            X = F.relu(X @ self.rand_weight + 1)
            X = self.linear(X)
            while X.abs().sum() > 1:
                X /= 2
            return X.sum()

    class NestMLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = nn.Sequential(nn.LazyLinear(64), nn.ReLU(), nn.LazyLinear(32), nn.ReLU())
            self.linear = nn.LazyLinear(16)

        def forward(self, X: Any) -> Any:
            return self.linear(self.net(X))

    for model in (MLP(), MySequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10)), FixedHiddenMLP()):
        model(X)
        lib.same_weights(model)
        out[type(model).__name__] = model(X)
    chimera = nn.Sequential(NestMLP(), nn.LazyLinear(20), FixedHiddenMLP())
    chimera(X)
    lib.same_weights(chimera)
    out["chimera"] = chimera(X)

    # parameter management
    net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(1))
    out["rand_size"] = [tuple(L.rand(size=(2, 4)).shape), tuple(L.randn(size=(2, 20)).shape)]
    X = rand(2, 4)
    net(X)
    lib.same_weights(net)
    out["state_dict_2"] = dict(net[2].state_dict())
    out["bias_type"] = type(net[2].bias).__name__
    out["bias_data"] = net[2].bias.data
    out["grad_is_none"] = net[2].weight.grad == None  # noqa: E711 - the chapter's test
    out["named"] = [(name, tuple(param.shape)) for name, param in net.named_parameters()]
    out["star_named"] = repr([*[(name, tuple(param.shape)) for name, param in net[0].named_parameters()]])

    def init_normal(module: Any) -> None:
        if type(module) == nn.Linear:  # noqa: E721 - the chapter's test
            nn.init.normal_(module.weight, mean=0, std=0.01)
            nn.init.zeros_(module.bias)

    def init_constant(module: Any) -> None:
        if type(module) == nn.Linear:  # noqa: E721
            nn.init.constant_(module.weight, 1)
            nn.init.zeros_(module.bias)

    def init_xavier(module: Any) -> None:
        if type(module) == nn.Linear:  # noqa: E721
            nn.init.xavier_uniform_(module.weight)

    def init_42(module: Any) -> None:
        if type(module) == nn.Linear:  # noqa: E721
            nn.init.constant_(module.weight, 42)

    net.apply(init_normal)
    out["normal_std_small"] = bool(net[0].weight.data.abs().max() < 0.1) and net[0].bias.data[0].item() == 0
    net.apply(init_constant)
    out["constant"] = net[0].weight.data[0]
    net[0].apply(init_xavier)
    net[2].apply(init_42)
    out["init_42"] = net[2].weight.data
    printed = []

    def my_init(module: Any) -> None:
        if type(module) == nn.Linear:  # noqa: E721
            first = [(name, param.shape) for name, param in module.named_parameters()][0]
            printed.append(" ".join(str(v) for v in ("Init", *first)))
            nn.init.uniform_(module.weight, -10, 10)
            module.weight.data *= module.weight.data.abs() >= 5

    net.apply(my_init)
    out["printed"] = printed
    w = net[0].weight[:2]
    out["my_init_kept"] = bool(((w == 0) | (w.abs() >= 5)).all())
    lib.same_weights(net)
    net[0].weight.data[:] += 1
    net[0].weight.data[0, 0] = 42
    out["edited"] = net[0].weight.data

    shared = nn.LazyLinear(8)
    net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.LazyLinear(1))
    net(X)
    lib.same_weights(net)
    out["shared_same"] = (net[2].weight.data[0] == net[4].weight.data[0]).tolist()
    net[2].weight.data[0, 0] = 100
    out["shared_after"] = (net[2].weight.data[0] == net[4].weight.data[0]).tolist()
    out["shared_params"] = len(list(net.parameters()))
    y = net(X).sum()
    y.backward()
    out["shared_grad"] = net[2].weight.grad

    # custom layers
    class CenteredLayer(nn.Module):
        def forward(self, X: Any) -> Any:
            return X - X.mean()

    layer = CenteredLayer()
    out["centered"] = layer(L.tensor([1.0, 2, 3, 4, 5]))
    net = nn.Sequential(nn.LazyLinear(128), CenteredLayer())
    Xc = rand(4, 8)
    net(Xc)
    lib.same_weights(net)
    out["centered_mean_small"] = abs(net(Xc).mean().item()) < 1e-12

    class MyLinear(nn.Module):
        def __init__(self, in_units: int, units: int) -> None:
            super().__init__()
            self.weight = nn.Parameter(L.randn(in_units, units))
            self.bias = nn.Parameter(L.randn(units,))

        def forward(self, X: Any) -> Any:
            linear = L.matmul(X, self.weight.data) + self.bias.data
            return F.relu(linear)

    linear = lib.same_weights(MyLinear(5, 3))
    out["mylinear_weight"] = linear.weight
    out["mylinear"] = linear(rand(2, 5))
    net = lib.same_weights(nn.Sequential(MyLinear(64, 8), MyLinear(8, 1)))
    out["mylinear_net"] = net(rand(2, 64))

    # file I/O
    x = L.arange(4)
    L.save(x, str(tmp / f"x-file-{lib.name}"))
    out["x2"] = L.load(str(tmp / f"x-file-{lib.name}"))
    y = L.zeros(4)
    L.save([x, y], str(tmp / f"x-files-{lib.name}"))
    x2, y2 = L.load(str(tmp / f"x-files-{lib.name}"))
    out["xy"] = [x2, y2]
    out["xy_dtypes"] = [str(x2.dtype), str(y2.dtype)]
    mydict = {"x": x, "y": y}
    L.save(mydict, str(tmp / f"mydict-{lib.name}"))
    out["mydict"] = L.load(str(tmp / f"mydict-{lib.name}"))
    net = MLP()
    X = L.tensor(draws.standard_normal((2, 20)))
    net(X)
    lib.same_weights(net)
    Y = net(X)
    L.save(net.state_dict(), str(tmp / f"mlp-{lib.name}.params"))
    clone = MLP()
    clone.load_state_dict(L.load(str(tmp / f"mlp-{lib.name}.params")))
    out["clone_repr"] = repr(clone.eval())
    Y_clone = clone(X)
    out["clone_equal"] = bool((Y_clone == Y).all())
    out["Y"] = Y
    return out


def test_d2l_builders_guide(tmp_path: Path) -> None:
    theirs, ours = dual(_builders_guide, tmp_path, float64=True)
    assert_same(theirs, ours)
