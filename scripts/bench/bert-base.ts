// Issue 15's side-by-side figure: one seq_bn rf 16 (or LoRA r 8 on query and value) adapter step on a
// bert-base-uncased-shaped encoder (the exact config, random weights built at run time), on tfjs wasm in Node, next
// to PyTorch's time for the same step (scripts/bench/bert-base-torch.py: frozen encoder, backward to the lowest
// adapter, AdamW on adapter + head); the runner, the batches and the options are adapter-step.ts's.
//   node --import ./scripts/bench/register.mjs scripts/bench/bert-base.ts [--steps N] [--method seq_bn|lora] [--no-torch]
// Prints one JSON line (StepFigure).
import { stepFigure } from './adapter-step.ts';
import { emit } from './figure-io.ts';

/** bert-base-uncased's config.json (huggingface.co/bert-base-uncased, the fields that shape the model). */
export const BERT_BASE_UNCASED = {
  architectures: ['BertForMaskedLM'], model_type: 'bert', attention_probs_dropout_prob: 0.1, hidden_act: 'gelu',
  hidden_dropout_prob: 0.1, hidden_size: 768, initializer_range: 0.02, intermediate_size: 3072, layer_norm_eps: 1e-12,
  max_position_embeddings: 512, num_attention_heads: 12, num_hidden_layers: 12, pad_token_id: 0,
  type_vocab_size: 2, vocab_size: 30522,
};

emit(await stepFigure({
  name: 'bert-base', config: BERT_BASE_UNCASED, repoId: 'bert-base-uncased', torchScript: 'bert-base-torch.py',
  tokens: { cls: 101, sep: 102, firstWord: 1000, words: 29000 },
}));
