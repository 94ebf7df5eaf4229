"""PyTorch twin of scripts/bench/bert-base.ts and roberta-base.ts: the same adapter step on a plain BERT (post-LN,
exact GELU; RoBERTa's position ids where the config is RoBERTa's), frozen
encoder with random weights, and either seq_bn rf 16 (the adapter after each layer's FFN output, before its
LayerNorm) or LoRA r 8, alpha 8 on the query and value projections (the adapters library's defaults), the AdapterHub
classification head on the first token, cross-entropy, backward to the lowest adapter, AdamW on adapter and head.
Reads the batches (and "method") from the JSON file named by argv[1]; prints one JSON line."""
import json
import math
import resource
import sys
import time

import torch
from torch import nn


class Layer(nn.Module):
    def __init__(self, h, i, heads, eps, method):
        super().__init__()
        self.heads = heads
        self.method = method
        self.q, self.k, self.v, self.o = (nn.Linear(h, h) for _ in range(4))
        self.ln1 = nn.LayerNorm(h, eps=eps)
        self.ffn_in, self.ffn_out = nn.Linear(h, i), nn.Linear(i, h)
        self.ln2 = nn.LayerNorm(h, eps=eps)
        if method == 'lora':
            self.adapter = nn.ModuleList([nn.Linear(h, 8, bias=False), nn.Linear(8, h, bias=False), nn.Linear(h, 8, bias=False), nn.Linear(8, h, bias=False)])
        else:
            self.adapter = nn.ModuleList([nn.Linear(h, h // 16), nn.Linear(h // 16, h)])

    def forward(self, x, mask):
        b, s, h = x.shape
        d = h // self.heads
        split = lambda t: t.view(b, s, self.heads, d).transpose(1, 2)
        q, v = self.q(x), self.v(x)
        if self.method == 'lora':  # W x + (alpha / r) · B A x, alpha = r = 8
            qa, qb, va, vb = self.adapter
            q, v = q + qb(qa(x)), v + vb(va(x))
        scores = split(q) @ split(self.k(x)).transpose(-1, -2) / math.sqrt(d) + mask
        context = (scores.softmax(-1) @ split(v)).transpose(1, 2).reshape(b, s, h)
        a = self.ln1(self.o(context) + x)
        f = self.ffn_out(nn.functional.gelu(self.ffn_in(a)))
        if self.method != 'lora':  # seq_bn: residual around the bottleneck
            down, up = self.adapter
            f = f + up(torch.relu(down(f)))
        return self.ln2(f + a)


def position_ids_for(config):
    """0 … seq − 1 for BERT; RoBERTa's create_position_ids_from_input_ids (padding_idx + 1 on, padding at padding_idx)."""
    if config['model_type'] in ('roberta', 'xlm-roberta', 'camembert'):
        pad = config['pad_token_id']
        return lambda ids, mask: (torch.cumsum(mask, 1) * mask).long() + pad
    return lambda ids, mask: torch.arange(ids.shape[1])[None].expand_as(ids)


def main():
    spec = json.load(open(sys.argv[1]))
    c = spec['config']
    torch.set_num_threads(spec['threads'])
    torch.manual_seed(0)
    h, heads = c['hidden_size'], c['num_attention_heads']
    word = nn.Embedding(c['vocab_size'], h)
    position = nn.Embedding(c['max_position_embeddings'], h)
    token_type = nn.Embedding(c['type_vocab_size'], h)
    ln = nn.LayerNorm(h, eps=c['layer_norm_eps'])
    method = spec.get('method', 'seq_bn')
    position_ids = position_ids_for(c)
    layers = nn.ModuleList(Layer(h, c['intermediate_size'], heads, c['layer_norm_eps'], method) for _ in range(c['num_hidden_layers']))
    head = nn.Sequential(nn.Linear(h, h), nn.Tanh(), nn.Linear(h, 2))
    trainable = [p for l in layers for p in l.adapter.parameters()] + list(head.parameters())
    for module in (word, position, token_type, ln, layers):
        module.requires_grad_(False)
    for p in trainable:
        p.requires_grad_(True)
    optimizer = torch.optim.AdamW(trainable, lr=1e-4)
    batches = [(torch.tensor(b['inputIds']).view(-1, b['seq']), torch.tensor(b['attentionMask'], dtype=torch.float32).view(-1, b['seq']),
                torch.tensor(b['labels'])) for b in spec['batches']]
    times = []
    cpu_times = []
    for step in range(spec['steps']):
        ids, mask, labels = batches[step % len(batches)]
        started = time.perf_counter()
        cpu_started = time.process_time()
        x = ln(word(ids) + position(position_ids(ids, mask)) + token_type(torch.zeros_like(ids)))
        extended = (1 - mask)[:, None, None, :] * torch.finfo(torch.float32).min
        for layer in layers:
            x = layer(x, extended)
        loss = nn.functional.cross_entropy(head(x[:, 0]), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)

    def steady_median(values):
        steady = sorted(values[1:])
        return steady[len(steady) // 2] if len(steady) % 2 else (steady[len(steady) // 2 - 1] + steady[len(steady) // 2]) / 2
    step_seconds = steady_median(times)
    batch = batches[0][0].shape[0]
    print(json.dumps({'stepSeconds': step_seconds, 'stepCpuSeconds': steady_median(cpu_times), 'samplesPerSecond': batch / step_seconds,
                      'peakRssBytes': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                      'threads': torch.get_num_threads(), 'version': torch.__version__, 'method': method}))


main()
