"""PyTorch twin of scripts/bench/deberta-v3-base.ts: seq_bn rf 16 on DebertaV2Model as
src/core/model/testdata/deberta_v2_torch.py transcribes it (modeling_deberta_v2.py's bmm/gather/XSoftmax path),
on the studio's weights (encoder, adapter, head) from the safetensors file the spec names. The adapter sits where
the adapters library's bottleneck_layer_forward replaces DebertaV2Output's LayerNorm (methods/bottleneck.py with
seq_bn's residual_before_ln, original_ln_before and original_ln_after); the AdapterHub head (Linear, tanh, Linear) on
the first token, cross-entropy, backward to the lowest adapter (micro-batches accumulated as the spec says), AdamW
on adapter and head. Prints one JSON line, with the eval-mode logits on the first batch taken before training."""
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'core', 'model', 'testdata'))
from deberta_v2_torch import DebertaV2, read_safetensors  # noqa: E402


def main():
    spec = json.load(open(sys.argv[1]))
    torch.set_num_threads(spec['threads'])
    state = read_safetensors(spec['weightsFile'])
    trainable = [t for name, t in state.items() if '.adapters.' in name or name.startswith('heads.')]
    for t in trainable:
        t.requires_grad_(True)
    model = DebertaV2(spec['config'], state)
    adapter = lambda l, part: f'deberta.encoder.layer.{l}.output.adapters.bench.{part}'
    head = sorted({name.rsplit('.', 1)[0] for name in state if name.startswith('heads.bench.')}, key=lambda n: int(n.split('.')[-1]))
    assert len(head) == 2, head

    def seq_bn(l, dense_out, input_tensor, norm):
        h = norm(dense_out + input_tensor)
        down = torch.relu(torch.nn.functional.linear(h, state[adapter(l, 'adapter_down.0.weight')], state[adapter(l, 'adapter_down.0.bias')]))
        up = torch.nn.functional.linear(down, state[adapter(l, 'adapter_up.weight')], state[adapter(l, 'adapter_up.bias')])
        return norm(up + dense_out + input_tensor)

    def logits(ids, mask):
        x = model.forward(ids, mask, seq_bn)[:, 0]
        x = torch.tanh(torch.nn.functional.linear(x, state[f'{head[0]}.weight'], state[f'{head[0]}.bias']))
        return torch.nn.functional.linear(x, state[f'{head[1]}.weight'], state[f'{head[1]}.bias'])

    batches = [(torch.tensor(b['inputIds']).view(-1, b['seq']), torch.tensor(b['attentionMask']).view(-1, b['seq']),
                torch.tensor(b['labels'])) for b in spec['batches']]
    with torch.no_grad():
        first = logits(*batches[0][:2]).tolist()
    optimizer = torch.optim.AdamW(trainable, lr=1e-4)
    micro = spec['microBatch']  # sequences per forward and backward; a step accumulates the batch's
    times, cpu_times = [], []
    for step in range(spec['steps']):
        ids, mask, labels = batches[step % len(batches)]
        started, cpu_started = time.perf_counter(), time.process_time()
        optimizer.zero_grad()
        losses = []
        for part in range(0, ids.shape[0], micro):
            loss = torch.nn.functional.cross_entropy(logits(ids[part:part + micro], mask[part:part + micro]), labels[part:part + micro]) * micro / ids.shape[0]
            loss.backward()
            losses.append(loss.item())
        optimizer.step()
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)
        print(f'step {step + 1}: {times[-1]:.2f} s, loss {sum(losses):.4f}', file=sys.stderr)

    def steady_median(values):
        steady = sorted(values[1:])
        return steady[len(steady) // 2] if len(steady) % 2 else (steady[len(steady) // 2 - 1] + steady[len(steady) // 2]) / 2
    step_seconds = steady_median(times)
    print(json.dumps({'stepSeconds': step_seconds, 'stepCpuSeconds': steady_median(cpu_times), 'samplesPerSecond': batches[0][0].shape[0] / step_seconds,
                      'peakRssBytes': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                      'threads': torch.get_num_threads(), 'version': torch.__version__, 'microBatch': micro, 'logits': first}))


main()
