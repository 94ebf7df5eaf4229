// Issue 15's side-by-side figure: one seq_bn rf 16 (or LoRA r 8 on query and value) adapter step on a
// bert-base-uncased-shaped encoder (the exact config, random weights built at run time), on tfjs wasm in Node, next
// to PyTorch's time for the same step (scripts/bench/bert-base-torch.py: frozen encoder, backward to the lowest
// adapter, AdamW on adapter + head); the runner, the batches and the options are adapter-step.ts's.
//   node --import ./scripts/bench/register.mjs scripts/bench/bert-base.ts [--steps N] [--method seq_bn|lora] [--no-torch]
// Prints one JSON line (StepFigure).
import { stepFigure } from './adapter-step.ts';
import { emit } from './figure-io.ts';
import { realConfig } from './real-configs.ts';

emit(await stepFigure({
  name: 'bert-base', config: realConfig('bert-base-uncased.json'), repoId: 'bert-base-uncased', torchScript: 'bert-base-torch.py',
  tokens: { cls: 101, sep: 102, firstWord: 1000, words: 29000 },
}));
