"""DebertaV2Model's forward in torch, from transformers' modeling_deberta_v2.py (DebertaV2Embeddings,
DisentangledSelfAttention with build_relative_position / make_log_bucket_position, disentangled_attention_bias's
bmm + gather, XSoftmax, DebertaV2Encoder.get_rel_embedding), for the v3 options (share_att_key, no absolute
positions, no token types). Imported by scripts/bench/deberta-v3-base-torch.py, which trains an adapter through it.

Usage: /usr/bin/python3 deberta_v2_torch.py <fixture hub root> > deberta-v3-torch.json
Runs adapter-studio/tiny-deberta-v3 in eval mode; writes the inputs, the checkpoint's sha256 and the last hidden
state (float32 torch, as transformers runs it).
"""
import hashlib
import json
import math
import struct
import sys

import numpy as np
import torch


def read_safetensors(path):
    """Every F32 tensor of a safetensors file, by name (memory-mapped, copied tensor by tensor)."""
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_len)
    state = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        assert info["dtype"] == "F32", f"{name}: {info['dtype']}"
        state[name] = torch.from_numpy(np.array(data[start:end]).view("<f4").reshape(info["shape"]))
    return state


class DebertaV2:
    """The encoder of a DeBERTa-v3 config over a state dict with DebertaV2Model's keys (prefix "deberta.")."""

    def __init__(self, config, state):
        assert config["share_att_key"] and not config["position_biased_input"] and config["type_vocab_size"] == 0
        self.config, self.state = config, state
        self.H = config["hidden_size"]
        self.heads = config["num_attention_heads"]
        self.eps = config["layer_norm_eps"]
        self.buckets = config["position_buckets"]
        self.max_rel = config["max_relative_positions"] if config["max_relative_positions"] >= 1 else config["max_position_embeddings"]
        self.att_span = self.buckets if self.buckets > 0 else self.max_rel
        pos_att_type = config["pos_att_type"]
        self.scale_factor = 1 + ("c2p" in pos_att_type) + ("p2c" in pos_att_type)

    def ln(self, x, prefix):
        return torch.nn.functional.layer_norm(x, (self.H,), self.state[f"{prefix}.weight"], self.state[f"{prefix}.bias"], self.eps)

    def lin(self, x, prefix):
        return torch.nn.functional.linear(x, self.state[f"{prefix}.weight"], self.state[f"{prefix}.bias"])

    def build_relative_position(self, query_size, key_size):
        rel = torch.arange(query_size)[:, None] - torch.arange(key_size)[None, :]
        if self.buckets > 0 and self.max_rel > 0:
            rel = make_log_bucket_position(rel, self.buckets, self.max_rel)
        return rel.to(torch.long)[:query_size, :].unsqueeze(0)

    def transpose_for_scores(self, x):
        x = x.view(x.size()[:-1] + (self.heads, -1))
        return x.permute(0, 2, 1, 3).contiguous().view(-1, x.size(1), x.size(-1))

    def forward(self, input_ids, attention_mask, output_sublayer=None):
        """Last hidden state. output_sublayer(layer, dense_out, input_tensor, layer_norm) replaces DebertaV2Output's
        LayerNorm(dense_out + input_tensor), where the adapters library's bottleneck_layer_forward sits."""
        heads, att_span, tfs = self.heads, self.att_span, self.transpose_for_scores
        mask = attention_mask
        e = self.state["deberta.embeddings.word_embeddings.weight"][input_ids]
        e = self.ln(e, "deberta.embeddings.LayerNorm") * mask.unsqueeze(2).to(e.dtype)
        ext = mask.unsqueeze(1).unsqueeze(2)
        att_mask = (ext * ext.squeeze(-2).unsqueeze(-1)).byte()
        relative_pos = self.build_relative_position(e.size(1), e.size(1))
        rel_embeddings = self.ln(self.state["deberta.encoder.rel_embeddings.weight"], "deberta.encoder.LayerNorm")
        x = e
        for l in range(self.config["num_hidden_layers"]):
            p = f"deberta.encoder.layer.{l}"
            q = tfs(self.lin(x, f"{p}.attention.self.query_proj"))
            k = tfs(self.lin(x, f"{p}.attention.self.key_proj"))
            v = tfs(self.lin(x, f"{p}.attention.self.value_proj"))
            scale = math.sqrt(q.size(-1) * self.scale_factor)
            scores = torch.bmm(q, k.transpose(-1, -2)) / scale
            rel = rel_embeddings[0 : att_span * 2, :].unsqueeze(0)
            pos_q = tfs(self.lin(rel, f"{p}.attention.self.query_proj")).repeat(q.size(0) // heads, 1, 1)
            pos_k = tfs(self.lin(rel, f"{p}.attention.self.key_proj")).repeat(q.size(0) // heads, 1, 1)
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
            a = self.ln(self.lin(context, f"{p}.attention.output.dense") + x, f"{p}.attention.output.LayerNorm")
            inner = torch.nn.functional.gelu(self.lin(a, f"{p}.intermediate.dense"))
            dense_out = self.lin(inner, f"{p}.output.dense")
            norm = lambda t, prefix=f"{p}.output.LayerNorm": self.ln(t, prefix)
            x = output_sublayer(l, dense_out, a, norm) if output_sublayer else norm(dense_out + a)
        return x


def make_log_bucket_position(relative_pos, bucket_size, max_position):
    sign = torch.sign(relative_pos)
    mid = bucket_size // 2
    abs_pos = torch.where((relative_pos < mid) & (relative_pos > -mid), torch.tensor(mid - 1).type_as(relative_pos), torch.abs(relative_pos))
    log_pos = torch.ceil(torch.log(abs_pos / mid) / torch.log(torch.tensor((max_position - 1) / mid)) * (mid - 1)) + mid
    return torch.where(abs_pos <= mid, relative_pos.type_as(log_pos), log_pos * sign)


def main():
    repo = f"{sys.argv[1]}/models/adapter-studio/tiny-deberta-v3/files"
    config = json.load(open(f"{repo}/config.json"))
    checkpoint = f"{repo}/model.safetensors"
    model = DebertaV2(config, read_safetensors(checkpoint))
    # Ids inside the vocabulary, a sequence long enough for the log buckets (|i - j| > 16), and padding.
    vocab = config["vocab_size"]
    long = [1] + [(7 * i + 11) % (vocab - 5) + 4 for i in range(28)] + [2]
    short = [1, 40, 41, 42, 2] + [0] * 25
    input_ids = torch.tensor([long, short])
    attention_mask = torch.tensor([[1] * 30, [1] * 5 + [0] * 25])
    with torch.no_grad():
        out = model.forward(input_ids, attention_mask)
    json.dump({
        "checkpoint_sha256": hashlib.sha256(open(checkpoint, "rb").read()).hexdigest(),
        "input_ids": input_ids.tolist(),
        "attention_mask": attention_mask.tolist(),
        "last_hidden_state": [[[round(float(v), 7) for v in row] for row in seq] for seq in out],
    }, sys.stdout)


if __name__ == "__main__":
    main()
