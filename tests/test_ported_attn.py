"""Census of attention and transformer scripts, ported by one import switch: each test writes the calls one public
script makes, the way it makes them, runs them under torch and under minitorch_cnn from the same initial weights
(``lib.same_weights``) and holds every result equal (float64: 1e-10 relative, looser only where a chain of optimizer
steps amplifies rounding, with the reason stated). Dropout is set to p=0 in the dual runs (the two libraries draw
different masks; the dropout paths are held by statistics in tests/test_attention.py).

1. a ViT on the CIFAR-10 subset: Conv2d patch embedding, class token, positional embedding, TransformerEncoder
   (batch_first, norm_first, gelu), AdamW + LambdaLR warmup/cosine, label smoothing, clip_grad_norm_;
2. the "Language Modeling with nn.Transformer" tutorial's model: PositionalEncoding buffer filled by sin/cos slices,
   Embedding, TransformerEncoder with the causal mask, batchify/get_batch, SGD + StepLR, on this README's words;
3. a hand-written attention block (matmul or einsum, masked_fill(mask == 0, -inf), nn.Softmax, Dropout,
   GELU(approximate='tanh')) next to F.scaled_dot_product_attention;
4. torchvision's ViT fine-tuning idiom: ``VisionTransformer``/``vit_b_16``-style builder (a small configuration),
   ``heads.head`` replaced, everything else frozen, SGD on the head, attention weights read back from a block;
5. timm's ViT block as users copy it: ``qkv.reshape(B, N, 3, H, D).permute(2, 0, 3, 1, 4).unbind(0)``, the
   ``fused_attn`` switch between F.scaled_dot_product_attention and ``q @ k.transpose(-2, -1)``, LayerScale,
   DropPath (``x.new_empty(shape).bernoulli_(keep).div_(keep)``), a ``torch.linspace`` drop-path schedule, a
   key-padding mask built with ``torch.finfo(dtype).min``;
6. the "Language Translation with nn.Transformer" tutorial's Seq2SeqTransformer: TokenEmbedding, PositionalEncoding,
   ``nn.Transformer`` with its ``encoder``/``decoder`` called apart, ``create_mask`` (bool square mask turned float
   by ``masked_fill``, padding masks ``(src == PAD_IDX).transpose(0, 1)``), ``CrossEntropyLoss(ignore_index)``,
   Adam(betas=(0.9, 0.98), eps=1e-9), greedy decoding; a toy task on this README's lines (reverse the words).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torchvision
from _dual import Lib, assert_same, dual
from _parity import data_root

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture
def cifar_root(monkeypatch: pytest.MonkeyPatch) -> str:
    # the shared set is a content-checked subset of the official batches: torchvision's md5 check would refuse it
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "_check_integrity", lambda self: True)
    return str(data_root() / "cifar10-subset")


# --- a ViT on CIFAR-10 as blog posts write it -------------------------------------------------------------------


def _vit(lib: Lib, root: str) -> dict:
    L, nn, optim, tr = lib.lib, lib.nn, lib.optim, lib.transforms
    L.manual_seed(0)

    class PatchEmbedding(nn.Module):
        def __init__(self, img_size: int = 32, patch_size: int = 8, in_chans: int = 3, embed_dim: int = 16) -> None:
            super().__init__()
            self.n_patches = (img_size // patch_size) ** 2
            self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

        def forward(self, x: Any) -> Any:
            return self.proj(x).flatten(2).transpose(1, 2)  # (B, N, E)

    class ViT(nn.Module):
        def __init__(self, embed_dim: int = 16, depth: int = 2, heads: int = 2, mlp_dim: int = 32) -> None:
            super().__init__()
            self.patch_embed = PatchEmbedding(embed_dim=embed_dim)
            n = self.patch_embed.n_patches
            self.cls_token = nn.Parameter(L.zeros(1, 1, embed_dim))
            self.pos_embed = nn.Parameter(L.zeros(1, n + 1, embed_dim))
            nn.init.trunc_normal_(self.pos_embed, std=0.02)
            nn.init.trunc_normal_(self.cls_token, std=0.02)
            self.pos_drop = nn.Dropout(0.0)
            layer = nn.TransformerEncoderLayer(d_model=embed_dim, nhead=heads, dim_feedforward=mlp_dim, dropout=0.0,
                                               activation="gelu", batch_first=True, norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, num_layers=depth)
            self.norm = nn.LayerNorm(embed_dim)
            self.head = nn.Linear(embed_dim, 10)

        def forward(self, x: Any) -> Any:
            x = self.patch_embed(x)
            cls = self.cls_token.expand(x.shape[0], -1, -1)
            x = L.cat((cls, x), dim=1)
            x = self.pos_drop(x + self.pos_embed)
            x = self.norm(self.encoder(x))
            return self.head(x[:, 0])

    transform = tr.Compose([tr.ToTensor(), tr.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))])
    trainset = lib.datasets.CIFAR10(root=root, train=True, download=False, transform=transform)
    testset = lib.datasets.CIFAR10(root=root, train=False, download=False, transform=transform)
    trainloader = lib.data.DataLoader(trainset, batch_size=16, shuffle=False)
    testloader = lib.data.DataLoader(testset, batch_size=32, shuffle=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = lib.same_weights(ViT())
    out: dict = {"repr": repr(model), "warnings": [str(w.message) for w in caught],
                 "params": sum(p.numel() for p in model.parameters() if p.requires_grad)}
    steps, warmup = 4, 2
    optimizer = optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.05)

    def lr_lambda(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1.0 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))

    scheduler = optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    model.train()
    losses, lrs = [], []
    for i, (images, labels) in enumerate(trainloader):
        if i == steps:
            break
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        lrs.append(scheduler.get_last_lr()[0])
    model.eval()
    with L.no_grad():
        images, labels = next(iter(testloader))
        logits = model(images)
    out.update(losses=losses, lrs=lrs, logits=logits, pred=logits.argmax(dim=1).tolist(),
               grad_cls=model.cls_token.grad, **{f"sd.{k}": v for k, v in model.state_dict().items()})
    return out


def test_vit_cifar10(cifar_root: str) -> None:
    theirs, ours = dual(_vit, cifar_root, float64=True)
    # four AdamW steps: the update divides by the square root of accumulated squares, which multiplies rounding
    # (the in-projection biases, whose gradients are small sums, land at 1.1e-10)
    assert_same(theirs, ours, tol=1e-9)


# --- "Language Modeling with nn.Transformer and torchtext" (the model, batchify, get_batch, train, evaluate) --------


def _transformer_lm(lib: Lib, text: str) -> dict:
    L, nn = lib.lib, lib.nn
    L.manual_seed(0)

    class PositionalEncoding(nn.Module):
        def __init__(self, d_model: int, dropout: float = 0.1, max_len: int = 5000) -> None:
            super().__init__()
            self.dropout = nn.Dropout(p=dropout)
            position = L.arange(max_len).unsqueeze(1)
            div_term = L.exp(L.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
            pe = L.zeros(max_len, 1, d_model)
            pe[:, 0, 0::2] = L.sin(position * div_term)
            pe[:, 0, 1::2] = L.cos(position * div_term)
            self.register_buffer("pe", pe)

        def forward(self, x: Any) -> Any:
            return self.dropout(x + self.pe[:x.size(0)])

    class TransformerModel(nn.Module):
        def __init__(self, ntoken: int, d_model: int, nhead: int, d_hid: int, nlayers: int, dropout: float) -> None:
            super().__init__()
            self.model_type = "Transformer"
            self.pos_encoder = PositionalEncoding(d_model, dropout)
            encoder_layers = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout)
            self.transformer_encoder = nn.TransformerEncoder(encoder_layers, nlayers)
            self.embedding = nn.Embedding(ntoken, d_model)
            self.d_model = d_model
            self.linear = nn.Linear(d_model, ntoken)
            self.init_weights()

        def init_weights(self) -> None:
            self.embedding.weight.data.uniform_(-0.1, 0.1)
            self.linear.bias.data.zero_()
            self.linear.weight.data.uniform_(-0.1, 0.1)

        def forward(self, src: Any, src_mask: Any = None) -> Any:
            src = self.pos_encoder(self.embedding(src) * math.sqrt(self.d_model))
            if src_mask is None:
                src_mask = nn.Transformer.generate_square_subsequent_mask(len(src))
            return self.linear(self.transformer_encoder(src, src_mask))

    tokens = text.lower().replace("\n", " <eos> ").split()[:3000]
    counts: dict = {}
    for t in tokens:
        counts[t] = counts.get(t, 0) + 1
    itos = ["<unk>"] + sorted(counts, key=lambda t: (-counts[t], t))
    stoi = {t: i for i, t in enumerate(itos)}
    data = L.tensor([stoi[t] for t in tokens], dtype=L.long)
    n = data.numel()
    train_data, val_data = data[: int(0.9 * n)], data[int(0.9 * n):]

    def batchify(data: Any, bsz: int) -> Any:
        seq_len = data.size(0) // bsz
        return data[:seq_len * bsz].view(bsz, seq_len).t().contiguous()

    train_data, val_data = batchify(train_data, 20), batchify(val_data, 10)
    bptt = 12

    def get_batch(source: Any, i: int) -> tuple:
        seq_len = min(bptt, len(source) - 1 - i)
        return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].reshape(-1)

    ntokens = len(itos)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = lib.same_weights(TransformerModel(ntokens, 16, 2, 32, 2, 0.0))
    criterion = nn.CrossEntropyLoss()
    optimizer = L.optim.SGD(model.parameters(), lr=5.0)
    scheduler = L.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.95)
    out: dict = {"warnings": [str(w.message) for w in caught], "shapes": [tuple(train_data.shape),
                                                                         tuple(val_data.shape)]}
    losses, val_losses = [], []
    for _ in range(2):
        model.train()
        for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
            if batch == 2:
                break
            inputs, targets = get_batch(train_data, i)
            loss = criterion(model(inputs).view(-1, ntokens), targets)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        total = 0.0
        with L.no_grad():
            for i in range(0, val_data.size(0) - 1, bptt):
                inputs, targets = get_batch(val_data, i)
                total += inputs.size(0) * criterion(model(inputs).view(-1, ntokens), targets).item()
        val_losses.append(total / (len(val_data) - 1))
        scheduler.step()
    out.update(losses=losses, val_losses=val_losses, lr=scheduler.get_last_lr()[0],
               pe=model.pos_encoder.pe[:20], **{f"sd.{k}": v for k, v in model.state_dict().items()})
    return out


def test_transformer_language_model_tutorial() -> None:
    theirs, ours = dual(_transformer_lm, README.read_text(encoding="utf-8"), float64=True)
    assert_same(theirs, ours)


# --- a hand-written ViT attention block next to F.scaled_dot_product_attention -------------------------------------


def _attention_block(lib: Lib) -> dict:
    L, nn, F = lib.lib, lib.nn, lib.F
    L.manual_seed(0)

    class Attention(nn.Module):
        def __init__(self, dim: int, heads: int, dim_head: int, use_einsum: bool) -> None:
            super().__init__()
            inner_dim = dim_head * heads
            self.heads, self.scale, self.use_einsum = heads, dim_head ** -0.5, use_einsum
            self.norm = nn.LayerNorm(dim)
            self.attend = nn.Softmax(dim=-1)
            self.dropout = nn.Dropout(0.0)
            self.to_qkv = nn.Linear(dim, inner_dim * 3, bias=False)
            self.to_out = nn.Sequential(nn.Linear(inner_dim, dim), nn.Dropout(0.0))

        def forward(self, x: Any, mask: Any = None) -> Any:
            x = self.norm(x)
            b, n, _ = x.shape
            q, k, v = (t.reshape(b, n, self.heads, -1).permute(0, 2, 1, 3) for t in self.to_qkv(x).chunk(3, dim=-1))
            if self.use_einsum:
                dots = L.einsum("bhid,bhjd->bhij", q, k) * self.scale
            else:
                dots = L.matmul(q, k.transpose(-1, -2)) * self.scale
            if mask is not None:
                dots = dots.masked_fill(mask == 0, float("-inf"))
            attn = self.dropout(self.attend(dots))
            out = L.einsum("bhij,bhjd->bhid", attn, v) if self.use_einsum else L.matmul(attn, v)
            return self.to_out(out.permute(0, 2, 1, 3).reshape(b, n, -1)), (q, k, v, attn)

    ff = lib.same_weights(nn.Sequential(nn.LayerNorm(16), nn.Linear(16, 32), nn.GELU(approximate="tanh"),
                                        nn.Dropout(0.0), nn.Linear(32, 16), nn.Dropout(0.0)))
    x = L.tensor(np.random.default_rng(0).standard_normal((2, 6, 16)), dtype=L.float64)
    out: dict = {}
    for use_einsum in (False, True):
        attn = lib.same_weights(Attention(16, 4, 8, use_einsum))
        y, (q, k, v, w) = attn(x)
        y = y + x
        y = ff(y) + y
        causal = L.tril(L.ones(6, 6))
        yc, (_, _, _, wc) = attn(x, mask=causal)
        loss = y.pow(2).mean() + yc.pow(2).mean()
        loss.backward()
        tag = "einsum" if use_einsum else "matmul"
        out.update({f"{tag}.y": y, f"{tag}.weights": w, f"{tag}.causal_weights": wc,
                    f"{tag}.sdpa": F.scaled_dot_product_attention(q, k, v),
                    f"{tag}.sdpa_causal": F.scaled_dot_product_attention(q, k, v, is_causal=True),
                    f"{tag}.manual": w @ v, f"{tag}.manual_causal": wc @ v, f"{tag}.loss": loss.item(),
                    f"{tag}.upper_zero": bool((wc.triu(1) == 0).all()),
                    **{f"{tag}.grad.{n}": p.grad for n, p in attn.named_parameters()}})
        ff.zero_grad()
    return out


def test_handwritten_attention_block_and_sdpa() -> None:
    theirs, ours = dual(_attention_block, float64=True)
    assert_same(theirs, ours)
    for tag in ("matmul", "einsum"):  # the hand-written block is what sdpa computes, in both libraries
        for res in (theirs, ours):
            np.testing.assert_allclose(Lib.np(res[f"{tag}.manual"]), Lib.np(res[f"{tag}.sdpa"]), rtol=1e-12,
                                       atol=1e-14)
            np.testing.assert_allclose(Lib.np(res[f"{tag}.manual_causal"]), Lib.np(res[f"{tag}.sdpa_causal"]),
                                       rtol=1e-12, atol=1e-14)


# --- fine-tuning torchvision's VisionTransformer: replace the head, freeze the rest ---------------------------------


def _vit_finetune(lib: Lib, root: str) -> dict:
    L, nn, tr = lib.lib, lib.nn, lib.transforms
    L.manual_seed(0)
    model = lib.models.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=16,
                                         mlp_dim=32, num_classes=1000)
    lib.same_weights(model)
    for p in model.parameters():
        p.requires_grad = False
    model.heads.head = nn.Linear(model.hidden_dim, 10)
    lib.same_weights(model.heads.head)
    transform = tr.Compose([tr.ToTensor(), tr.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    loader = lib.data.DataLoader(lib.datasets.CIFAR10(root=root, train=False, download=False, transform=transform),
                                 batch_size=8, shuffle=False)
    optimizer = lib.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1, momentum=0.9)
    losses = []
    model.train()
    for i, (images, labels) in enumerate(loader):
        if i == 3:
            break
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    block = model.encoder.layers.encoder_layer_0
    with L.no_grad():
        tokens = model._process_input(images)
        tokens = L.cat([model.class_token.expand(tokens.shape[0], -1, -1), tokens], dim=1) + model.encoder.pos_embedding
        x = block.ln_1(tokens)
        _, weights = block.self_attention(x, x, x, need_weights=True, average_attn_weights=False)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    return {"losses": losses, "trainable": trainable, "weights": weights, "head": model.heads.head.weight,
            "frozen_grad": model.conv_proj.weight.grad is None, "logits": model(images[:2])}


def test_torchvision_vit_finetune(cifar_root: str) -> None:
    theirs, ours = dual(_vit_finetune, cifar_root, float64=True)
    assert_same(theirs, ours)


# --- timm's vision_transformer.py Attention / Block, as users copy them ----------------------------------------------


def _timm_blocks(lib: Lib) -> dict:
    L, nn, F = lib.lib, lib.nn, lib.F
    L.manual_seed(0)

    class Attention(nn.Module):
        def __init__(self, dim: int, num_heads: int, qkv_bias: bool, fused_attn: bool) -> None:
            super().__init__()
            self.num_heads, self.head_dim = num_heads, dim // num_heads
            self.scale = self.head_dim ** -0.5
            self.fused_attn = fused_attn
            self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
            self.q_norm, self.k_norm = nn.Identity(), nn.Identity()
            self.attn_drop = nn.Dropout(0.0)
            self.proj = nn.Linear(dim, dim)
            self.proj_drop = nn.Dropout(0.0)

        def forward(self, x: Any, attn_mask: Any = None) -> Any:
            B, N, C = x.shape
            qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
            q, k, v = qkv.unbind(0)
            q, k = self.q_norm(q), self.k_norm(k)
            if self.fused_attn:
                x = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask,
                                                   dropout_p=self.attn_drop.p if self.training else 0.0)
            else:
                q = q * self.scale
                attn = q @ k.transpose(-2, -1)
                if attn_mask is not None:
                    attn = attn + attn_mask
                attn = self.attn_drop(attn.softmax(dim=-1))
                x = attn @ v
            return self.proj_drop(self.proj(x.transpose(1, 2).reshape(B, N, C)))

    class LayerScale(nn.Module):
        def __init__(self, dim: int, init_values: float) -> None:
            super().__init__()
            self.gamma = nn.Parameter(init_values * L.ones(dim))

        def forward(self, x: Any) -> Any:
            return x * self.gamma

    def drop_path(x: Any, drop_prob: float, training: bool) -> Any:
        if drop_prob == 0.0 or not training:
            return x
        keep_prob = 1 - drop_prob
        shape = (x.shape[0],) + (1,) * (x.ndim - 1)
        return x * x.new_empty(shape).bernoulli_(keep_prob).div_(keep_prob)

    class DropPath(nn.Module):
        def __init__(self, drop_prob: float) -> None:
            super().__init__()
            self.drop_prob = drop_prob

        def forward(self, x: Any) -> Any:
            return drop_path(x, self.drop_prob, self.training)

    class Block(nn.Module):
        def __init__(self, dim: int, heads: int, drop_path: float, fused_attn: bool) -> None:
            super().__init__()
            self.norm1 = nn.LayerNorm(dim, eps=1e-6)
            self.attn = Attention(dim, heads, qkv_bias=True, fused_attn=fused_attn)
            self.ls1 = LayerScale(dim, 1e-1)
            self.drop_path1 = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()
            self.norm2 = nn.LayerNorm(dim, eps=1e-6)
            self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Dropout(0.0), nn.Linear(4 * dim, dim))
            self.ls2 = LayerScale(dim, 1e-1)
            self.drop_path2 = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()

        def forward(self, x: Any, attn_mask: Any = None) -> Any:
            x = x + self.drop_path1(self.ls1(self.attn(self.norm1(x), attn_mask=attn_mask)))
            return x + self.drop_path2(self.ls2(self.mlp(self.norm2(x))))

    depth, dim = 2, 16
    x = L.tensor(np.random.default_rng(1).standard_normal((2, 7, dim)), dtype=L.float64)
    pad = L.tensor([[False] * 7, [False] * 5 + [True] * 2])
    mask = L.zeros(2, 1, 1, 7, dtype=x.dtype).masked_fill(pad[:, None, None, :], L.finfo(x.dtype).min)
    out: dict = {}
    for fused in (True, False):
        dpr = [v.item() for v in L.linspace(0, 0.1, depth)]
        blocks = lib.same_weights(nn.Sequential(*[Block(dim, 4, dpr[i], fused) for i in range(depth)]))
        blocks.eval()  # drop path draws from the library's generator: compared in eval mode
        y = x
        for blk in blocks:
            y = blk(y, attn_mask=mask)
        (y * y).mean().backward()
        out.update({f"{fused}.dpr": dpr, f"{fused}.y": y, f"{fused}.mask_min": mask.min().item(),
                    **{f"{fused}.grad.{n}": p.grad for n, p in blocks.named_parameters()}})
        blocks.train()
        kept = blocks[1].drop_path1(L.ones(4000, 1, 1, dtype=x.dtype))
        out[f"{fused}.drop_path_values"] = sorted(set(round(v, 12) for v in kept.flatten().tolist()))
    return out


def test_timm_vit_blocks() -> None:
    theirs, ours = dual(_timm_blocks, float64=True)
    for res in (theirs, ours):  # drop path keeps a sample (scaled by 1/keep) or zeroes it: the same two values
        assert res["True.drop_path_values"] == [0.0, round(1 / 0.9, 12)]
    assert_same(theirs, ours)


# --- "Language Translation with nn.Transformer and torchtext": Seq2SeqTransformer, create_mask, greedy_decode -------


def _translation(lib: Lib, text: str) -> dict:
    L, nn = lib.lib, lib.nn
    L.manual_seed(0)
    PAD_IDX, BOS_IDX, EOS_IDX = 1, 2, 3
    lines = [ln.lower().split()[:6] for ln in text.splitlines() if len(ln.split()) >= 3][:24]
    vocab = {w: i + 4 for i, w in enumerate(sorted({w for ln in lines for w in ln}))}
    pairs = [([vocab[w] for w in ln], [vocab[w] for w in reversed(ln)]) for ln in lines]

    class PositionalEncoding(nn.Module):
        def __init__(self, emb_size: int, dropout: float, maxlen: int = 100) -> None:
            super().__init__()
            den = L.exp(- L.arange(0, emb_size, 2) * math.log(10000) / emb_size)
            pos = L.arange(0, maxlen).reshape(maxlen, 1)
            pos_embedding = L.zeros((maxlen, emb_size))
            pos_embedding[:, 0::2] = L.sin(pos * den)
            pos_embedding[:, 1::2] = L.cos(pos * den)
            pos_embedding = pos_embedding.unsqueeze(-2)
            self.dropout = nn.Dropout(dropout)
            self.register_buffer("pos_embedding", pos_embedding)

        def forward(self, token_embedding: Any) -> Any:
            return self.dropout(token_embedding + self.pos_embedding[:token_embedding.size(0), :])

    class TokenEmbedding(nn.Module):
        def __init__(self, vocab_size: int, emb_size: int) -> None:
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, emb_size)
            self.emb_size = emb_size

        def forward(self, tokens: Any) -> Any:
            return self.embedding(tokens.long()) * math.sqrt(self.emb_size)

    class Seq2SeqTransformer(nn.Module):
        def __init__(self, num_encoder_layers: int, num_decoder_layers: int, emb_size: int, nhead: int,
                     src_vocab_size: int, tgt_vocab_size: int, dim_feedforward: int, dropout: float) -> None:
            super().__init__()
            self.transformer = nn.Transformer(d_model=emb_size, nhead=nhead, num_encoder_layers=num_encoder_layers,
                                              num_decoder_layers=num_decoder_layers, dim_feedforward=dim_feedforward,
                                              dropout=dropout)
            self.generator = nn.Linear(emb_size, tgt_vocab_size)
            self.src_tok_emb = TokenEmbedding(src_vocab_size, emb_size)
            self.tgt_tok_emb = TokenEmbedding(tgt_vocab_size, emb_size)
            self.positional_encoding = PositionalEncoding(emb_size, dropout=dropout)

        def forward(self, src: Any, trg: Any, src_mask: Any, tgt_mask: Any, src_padding_mask: Any,
                    tgt_padding_mask: Any, memory_key_padding_mask: Any) -> Any:
            src_emb = self.positional_encoding(self.src_tok_emb(src))
            tgt_emb = self.positional_encoding(self.tgt_tok_emb(trg))
            outs = self.transformer(src_emb, tgt_emb, src_mask, tgt_mask, None, src_padding_mask, tgt_padding_mask,
                                    memory_key_padding_mask)
            return self.generator(outs)

        def encode(self, src: Any, src_mask: Any) -> Any:
            return self.transformer.encoder(self.positional_encoding(self.src_tok_emb(src)), src_mask)

        def decode(self, tgt: Any, memory: Any, tgt_mask: Any) -> Any:
            return self.transformer.decoder(self.positional_encoding(self.tgt_tok_emb(tgt)), memory, tgt_mask)

    def generate_square_subsequent_mask(sz: int) -> Any:
        mask = (L.triu(L.ones((sz, sz))) == 1).transpose(0, 1)
        return mask.float().masked_fill(mask == 0, float("-inf")).masked_fill(mask == 1, float(0.0))  # noqa: UP018 - as the tutorial

    def create_mask(src: Any, tgt: Any) -> tuple:
        src_seq_len, tgt_seq_len = src.shape[0], tgt.shape[0]
        tgt_mask = generate_square_subsequent_mask(tgt_seq_len)
        src_mask = L.zeros((src_seq_len, src_seq_len)).type(L.bool)
        return src_mask, tgt_mask, (src == PAD_IDX).transpose(0, 1), (tgt == PAD_IDX).transpose(0, 1)

    def collate(batch: list) -> tuple:
        """BOS + tokens + EOS, padded with PAD_IDX to the longest (pad_sequence by hand): (T, N) each."""
        seqs = [[[BOS_IDX] + s + [EOS_IDX] for s in side] for side in zip(*batch)]
        out = []
        for side in seqs:
            n = max(len(s) for s in side)
            out.append(L.tensor([s + [PAD_IDX] * (n - len(s)) for s in side]).t())
        return out[0], out[1]

    n_vocab = len(vocab) + 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the nested-tensor notice (seq-first layers), torch's and ours
        model = Seq2SeqTransformer(1, 1, 16, 2, n_vocab, n_vocab, 32, 0.0)
    for p in model.parameters():
        if p.dim() > 1:
            nn.init.xavier_uniform_(p)
    lib.same_weights(model)
    loss_fn = nn.CrossEntropyLoss(ignore_index=PAD_IDX)
    optimizer = L.optim.Adam(model.parameters(), lr=0.0001, betas=(0.9, 0.98), eps=1e-9)
    losses = []
    model.train()
    for i in range(0, 24, 8):
        src, tgt = collate(pairs[i:i + 8])
        tgt_input = tgt[:-1, :]
        src_mask, tgt_mask, src_padding_mask, tgt_padding_mask = create_mask(src, tgt_input)
        with warnings.catch_warnings(record=True) as caught:  # bool padding masks beside a float tgt_mask
            warnings.simplefilter("always")
            logits = model(src, tgt_input, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask, src_padding_mask)
        optimizer.zero_grad()
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt[1:, :].reshape(-1))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    src = L.tensor([BOS_IDX] + pairs[0][0] + [EOS_IDX]).view(-1, 1)
    num_tokens = src.shape[0]
    src_mask = L.zeros(num_tokens, num_tokens).type(L.bool)
    memory = model.encode(src, src_mask)
    ys = L.ones(1, 1).fill_(BOS_IDX).type(L.long)
    steps = []
    for _ in range(num_tokens + 2):
        tgt_mask = generate_square_subsequent_mask(ys.size(0)).type(L.bool)
        out = model.decode(ys, memory, tgt_mask).transpose(0, 1)
        prob = model.generator(out[:, -1])
        _, next_word = L.max(prob, dim=1)
        next_word = next_word.item()
        steps.append(prob)
        ys = L.cat([ys, L.ones(1, 1).type_as(src.data).fill_(next_word)], dim=0)
        if next_word == EOS_IDX:
            break
    return {"losses": losses, "decoded": ys.flatten().tolist(), "probs": steps, "memory": memory,
            "warnings": sorted({str(w.message) for w in caught})}


def test_translation_transformer_tutorial() -> None:
    theirs, ours = dual(_translation, README.read_text(encoding="utf-8"), float64=True)
    assert_same(theirs, ours)
