// Issue 15's roberta-base figure: bert-base's step (adapter-step.ts: seq_bn rf 16 or --method lora, the same
// batches and options) on a roberta-base-shaped encoder built at run time from its real config.json
// (src/core/model/testdata/real/configs/roberta-base.json: vocab 50,265, positions from padding_idx + 1, one
// token type, eps 1e-5), next to PyTorch's time (bert-base-torch.py, with RoBERTa's position ids).
//   node --import ./scripts/bench/register.mjs scripts/bench/roberta-base.ts [--steps N] [--method seq_bn|lora] [--no-torch]
// Prints one JSON line (StepFigure).
import { stepFigure } from './adapter-step.ts';
import { emit } from './figure-io.ts';
import { realConfig } from './real-configs.ts';

emit(await stepFigure({
  name: 'roberta-base', config: realConfig('roberta-base.json'), repoId: 'FacebookAI/roberta-base', torchScript: 'bert-base-torch.py',
  tokens: { cls: 0, sep: 2, pad: 1, firstWord: 1000, words: 49000 },
}));
