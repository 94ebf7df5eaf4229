// Issue 18's figure: load and seq_bn rf 16 step of a microsoft/deberta-v3-base-shaped encoder (its config.json,
// random weights built at run time) on tfjs wasm in Node, next to the same step in PyTorch
// (scripts/bench/deberta-v3-base-torch.py, through src/core/model/testdata/deberta_v2_torch.py's transcription of
// modeling_deberta_v2.py), which runs on our weights and must give our logits before it is timed.
//   node --import ./scripts/bench/register.mjs scripts/bench/deberta-v3-base.ts [--steps N] [--no-torch]
// Prints one JSON line (StepFigure).
import { stepFigure } from './adapter-step.ts';
import { emit } from './figure-io.ts';
import { realConfig } from './real-configs.ts';

const config = realConfig('deberta-v3-base.json');

emit(await stepFigure({
  name: 'deberta-v3-base', config, repoId: 'microsoft/deberta-v3-base', torchScript: 'deberta-v3-base-torch.py',
  // spm.model's [CLS] 1 and [SEP] 2; words above its specials and below the 128,000 pieces.
  tokens: { cls: 1, sep: 2, firstWord: 1000, words: 120000 },
  // DebertaV2Model's names for our canonical ones (the deberta-v2 family's checkpointRenames, inverted).
  checkpointName: (name) => `deberta.${name.replace(/^(encoder\.layer\.\d+\.attention\.self\.)(query|key|value)\./, '$1$2_proj.')}`,
}));
