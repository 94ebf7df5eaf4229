import * as tf from '@tensorflow/tfjs';
import { BACKEND_NAMES, type BackendName } from '../../core/backend/backend-info.ts';
import { initBackend } from '../../core/backend/init-backend.ts';
import { describeInferredModelType } from '../../core/model/config.ts';
import { loadEncoder } from '../../core/model/index.ts';
import { type Command, UsageError, intFlag, report } from '../cli-io.ts';
import { endpointFrom } from '../shared/hub-flag.ts';
import { revisionFrom, revisionOption } from '../shared/revision.ts';

/** Values shown per line in the human output. */
const SHOWN_VALUES = 8;

export const embedCommand: Command = {
  name: 'embed',
  summary: 'run an encoder from the Hub on a text: token ids and the last layer\'s first-token vector',
  usage: [
    'Usage: adapter-studio embed --model ID --text "..." [flags] [--json]',
    '',
    '  --model ID          Hub model id, e.g. google-bert/bert-base-uncased',
    '  --revision REV      branch, tag, commit id or pull request (refs/pr/N); default main',
    '  --text T            the text to encode',
    '  --text-pair P       a second text, encoded as a sentence pair with the first',
    '  --hub URL           Hub-compatible base URL (default: huggingface.co)',
    '  --max-length N      longest sequence in tokens, special tokens included (default: the model\'s limit)',
    `  --backend B         backend to try first: ${BACKEND_NAMES.join(', ')} (default webgpu, then wasm, then cpu)`,
    '',
    'A token for gated or private models is read from the HF_TOKEN environment variable.',
    'JSON output: { model, revision (when given), backend, tokenizer_source, input_ids, attention_mask, token_type_ids, first_token }.',
    'tokenizer_source: tokenizer.json, or the slow files it was converted from (vocab.txt, vocab.json+merges.txt, sentencepiece.bpe.model).',
  ].join('\n'),
  options: {
    model: { type: 'string' },
    ...revisionOption,
    text: { type: 'string' },
    'text-pair': { type: 'string' },
    hub: { type: 'string' },
    'max-length': { type: 'string' },
    backend: { type: 'string' },
  },
  async run(values, ctx) {
    const model = values.model as string | undefined;
    const text = values.text as string | undefined;
    if (!model || text === undefined) throw new UsageError('Give --model ID and --text "...".');
    const pair = values['text-pair'] as string | undefined;
    const revision = revisionFrom(values);
    const maxLength = values['max-length'] === undefined ? undefined : intFlag(values, 'max-length', 0, 2, 100_000);
    const preference = values.backend as string | undefined;
    const backendName = BACKEND_NAMES.find((name) => name === preference);
    if (preference !== undefined && !backendName) throw new UsageError(`--backend must be one of ${BACKEND_NAMES.join(', ')}`);
    const endpoint = endpointFrom(values);

    const backend = await initBackend(backendName as BackendName | undefined);
    let stage = '';
    const encoder = await loadEncoder(endpoint, model, {
      revision,
      onProgress: (p) => {
        if (p.stage === stage) return;
        stage = p.stage;
        if (!ctx.json && stage !== 'ready') ctx.err(`${model}: ${stage}…`);
      },
    });
    try {
      const batch = encoder.tokenizer.encode([text], pair === undefined ? undefined : [pair], { maxLength });
      const output = encoder.forward(batch);
      const firstToken = Array.from(await output.firstToken.data());
      tf.dispose(output as unknown as tf.TensorContainer);
      const inputIds = Array.from(batch.inputIds);
      const tokens = inputIds.map((id) => encoder.tokenizer.tokenizer._tokenizer.id_to_token(id) ?? `[id ${id}]`);
      const { config } = encoder;
      report(ctx, {
        model,
        ...(revision === undefined ? {} : { revision }),
        backend: backend.name,
        tokenizer_source: encoder.info.tokenizerSource,
        input_ids: inputIds,
        attention_mask: Array.from(batch.attentionMask),
        token_type_ids: Array.from(batch.tokenTypeIds),
        first_token: firstToken,
        ...(config.inferredModelType ? { inferred_model_type: { model_type: config.inferredModelType.modelType, from: config.inferredModelType.from } } : {}),
      }, [
        `${model}${revision === undefined ? '' : `@${revision}`}: ${config.modelType}, ${config.numLayers} layers, hidden ${config.hiddenSize}, on ${backend.name}${backend.fallbackReason ? ` (${backend.fallbackReason})` : ''}`,
        ...(config.inferredModelType ? [describeInferredModelType(config.inferredModelType)] : []),
        `Tokens (${tokens.length}, tokenizer from ${encoder.info.tokenizerSource}): ${tokens.join(' ')}`,
        `input_ids: ${inputIds.join(' ')}`,
        `token_type_ids: ${Array.from(batch.tokenTypeIds).join(' ')}`,
        `First-token vector (${firstToken.length} values): ${firstToken.slice(0, SHOWN_VALUES).map((v) => v.toFixed(4)).join(', ')}${firstToken.length > SHOWN_VALUES ? ', …' : ''}`,
      ]);
      return 0;
    } finally {
      encoder.dispose();
    }
  },
};
