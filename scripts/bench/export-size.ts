// Figure 6: the AdapterHub files of a bert-base seq_bn (reduction factor 16) adapter with a 2-label head, built from
// planAdapter / planHead shapes with zero tensors (sizes depend on shapes only, so no bert-base download is needed).
import { planAdapter } from '../../src/core/adapters/plan.ts';
import { planHead } from '../../src/core/adapters/head.ts';
import { resolveAdapterConfig } from '../../src/core/adapters/config.ts';
import { parseEncoderConfig } from '../../src/core/model/config.ts';
import { adapterHubFiles } from '../../src/core/export/adapterhub.ts';
import { emit } from './figure-io.ts';

/** bert-base-uncased's config.json (the fields the studio reads). */
const BERT_BASE = {
  model_type: 'bert', architectures: ['BertForMaskedLM'], hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12,
  intermediate_size: 3072, hidden_act: 'gelu', max_position_embeddings: 512, type_vocab_size: 2, vocab_size: 30522, layer_norm_eps: 1e-12,
};

const encoder = parseEncoderConfig(BERT_BASE, 'google-bert/bert-base-uncased');
const config = resolveAdapterConfig('seq_bn');
const plan = planAdapter(encoder, config, 'bench');
const head = planHead(encoder, 'bench', { numLabels: 2 });
const zeros = (specs: typeof plan.params) => new Map(specs.flatMap((spec) => {
  const tensor = { shape: spec.shape, data: new Float32Array(spec.shape.reduce((a, b) => a * b, 1)) };
  return [spec.key, ...spec.aliases].map((key) => [key, tensor] as const);
}));
const files = adapterHubFiles({
  name: 'bench', modelName: encoder.repoId, modelType: 'bert', hiddenSize: encoder.hiddenSize,
  adapterConfig: config as unknown as Record<string, unknown>, adapterTensors: zeros(plan.params),
  head: { config: head.config as unknown as Record<string, unknown>, tensors: zeros(head.params) },
});
const count = (specs: typeof plan.params) => specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
emit({
  model: encoder.repoId,
  adapter: 'seq_bn (reduction_factor 16) + 2-label classification head',
  adapterParameters: count(plan.params),
  headParameters: count(head.params),
  files: Object.fromEntries([...files].map(([path, bytes]) => [path, bytes.byteLength])),
});
