"""DebertaV2Model's forward on adapter-studio/tiny-deberta-v3, in torch, from transformers' modeling_deberta_v2.py
(DebertaV2Embeddings, DisentangledSelfAttention with build_relative_position / make_log_bucket_position,
disentangled_attention_bias's bmm + gather, XSoftmax, DebertaV2Encoder.get_rel_embedding), eval mode.

Usage: /usr/bin/python3 deberta_v2_torch.py <fixture hub root> > deberta-v3-torch.json
Writes the inputs, the checkpoint's sha256 and the last hidden state (float32 torch, as transformers runs it).
"""
import hashlib
import json
import math
import struct
import sys

import numpy as np
import torch

root = sys.argv[1]
repo = f"{root}/models/adapter-studio/tiny-deberta-v3/files"
config = json.load(open(f"{repo}/config.json"))
raw = open(f"{repo}/model.safetensors", "rb").read()
(header_len,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8 : 8 + header_len])
state = {}
for name, info in header.items():
    if name == "__metadata__":
        continue
    start, end = info["data_offsets"]
    assert info["dtype"] == "F32"
    state[name] = torch.from_numpy(np.frombuffer(raw[8 + header_len + start : 8 + header_len + end], dtype="<f4").reshape(info["shape"]).copy())

H = config["hidden_size"]
heads = config["num_attention_heads"]
eps = config["layer_norm_eps"]
buckets = config["position_buckets"]
max_rel = config["max_relative_positions"] if config["max_relative_positions"] >= 1 else config["max_position_embeddings"]
att_span = buckets if buckets > 0 else max_rel
pos_att_type = config["pos_att_type"]
scale_factor = 1 + ("c2p" in pos_att_type) + ("p2c" in pos_att_type)
assert config["share_att_key"] and not config["position_biased_input"] and config["type_vocab_size"] == 0


def ln(x, prefix):
    return torch.nn.functional.layer_norm(x, (H,), state[f"{prefix}.weight"], state[f"{prefix}.bias"], eps)


def lin(x, prefix):
    return torch.nn.functional.linear(x, state[f"{prefix}.weight"], state[f"{prefix}.bias"])


def make_log_bucket_position(relative_pos, bucket_size, max_position):
    sign = torch.sign(relative_pos)
    mid = bucket_size // 2
    abs_pos = torch.where((relative_pos < mid) & (relative_pos > -mid), torch.tensor(mid - 1).type_as(relative_pos), torch.abs(relative_pos))
    log_pos = torch.ceil(torch.log(abs_pos / mid) / torch.log(torch.tensor((max_position - 1) / mid)) * (mid - 1)) + mid
    return torch.where(abs_pos <= mid, relative_pos.type_as(log_pos), log_pos * sign)


def build_relative_position(query_size, key_size):
    rel = torch.arange(query_size)[:, None] - torch.arange(key_size)[None, :]
    if buckets > 0 and max_rel > 0:
        rel = make_log_bucket_position(rel, buckets, max_rel)
    return rel.to(torch.long)[:query_size, :].unsqueeze(0)


def transpose_for_scores(x):
    x = x.view(x.size()[:-1] + (heads, -1))
    return x.permute(0, 2, 1, 3).contiguous().view(-1, x.size(1), x.size(-1))


def forward(input_ids, attention_mask):
    mask = attention_mask
    e = state["deberta.embeddings.word_embeddings.weight"][input_ids]
    e = ln(e, "deberta.embeddings.LayerNorm") * mask.unsqueeze(2).to(e.dtype)
    ext = mask.unsqueeze(1).unsqueeze(2)
    att_mask = (ext * ext.squeeze(-2).unsqueeze(-1)).byte()
    relative_pos = build_relative_position(e.size(1), e.size(1))
    rel_embeddings = ln(state["deberta.encoder.rel_embeddings.weight"], "deberta.encoder.LayerNorm")
    x = e
    for l in range(config["num_hidden_layers"]):
        p = f"deberta.encoder.layer.{l}"
        q = transpose_for_scores(lin(x, f"{p}.attention.self.query_proj"))
        k = transpose_for_scores(lin(x, f"{p}.attention.self.key_proj"))
        v = transpose_for_scores(lin(x, f"{p}.attention.self.value_proj"))
        scale = math.sqrt(q.size(-1) * scale_factor)
        scores = torch.bmm(q, k.transpose(-1, -2)) / scale
        rel = rel_embeddings[0 : att_span * 2, :].unsqueeze(0)
        pos_q = transpose_for_scores(lin(rel, f"{p}.attention.self.query_proj")).repeat(q.size(0) // heads, 1, 1)
        pos_k = transpose_for_scores(lin(rel, f"{p}.attention.self.key_proj")).repeat(q.size(0) // heads, 1, 1)
        rp = relative_pos.unsqueeze(1)
        c2p = torch.bmm(q, pos_k.transpose(-1, -2))
        c2p_pos = torch.clamp(rp + att_span, 0, att_span * 2 - 1)
        c2p = torch.gather(c2p, dim=-1, index=c2p_pos.squeeze(0).expand([q.size(0), q.size(1), rp.size(-1)]))
        p2c_pos = torch.clamp(-rp + att_span, 0, att_span * 2 - 1)
        p2c = torch.bmm(k, pos_q.transpose(-1, -2))
        p2c = torch.gather(p2c, dim=-1, index=p2c_pos.squeeze(0).expand([q.size(0), k.size(-2), k.size(-2)])).transpose(-1, -2)
        scores = scores + c2p / scale + p2c / scale
        scores = scores.view(-1, heads, scores.size(-2), scores.size(-1))
        rmask = ~(att_mask.to(torch.bool))
        probs = torch.softmax(scores.masked_fill(rmask, torch.finfo(scores.dtype).min), -1).masked_fill(rmask, 0)
        context = torch.bmm(probs.view(-1, probs.size(-2), probs.size(-1)), v)
        context = context.view(-1, heads, context.size(-2), context.size(-1)).permute(0, 2, 1, 3).contiguous()
        context = context.view(context.size()[:-2] + (-1,))
        a = ln(lin(context, f"{p}.attention.output.dense") + x, f"{p}.attention.output.LayerNorm")
        inner = torch.nn.functional.gelu(lin(a, f"{p}.intermediate.dense"))
        x = ln(lin(inner, f"{p}.output.dense") + a, f"{p}.output.LayerNorm")
    return x


# Ids inside the vocabulary, a sequence long enough for the log buckets (|i - j| > 16), and padding.
vocab = config["vocab_size"]
long = [1] + [(7 * i + 11) % (vocab - 5) + 4 for i in range(28)] + [2]
short = [1, 40, 41, 42, 2] + [0] * 25
input_ids = torch.tensor([long, short])
attention_mask = torch.tensor([[1] * 30, [1] * 5 + [0] * 25])
with torch.no_grad():
    out = forward(input_ids, attention_mask)
json.dump({
    "checkpoint_sha256": hashlib.sha256(raw).hexdigest(),
    "input_ids": input_ids.tolist(),
    "attention_mask": attention_mask.tolist(),
    "last_hidden_state": [[[round(float(v), 7) for v in row] for row in seq] for seq in out],
}, sys.stdout)
