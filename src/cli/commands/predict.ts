import * as tf from '@tensorflow/tfjs';
import { loadEncoder } from '../../core/model/index.ts';
import { importAdapter } from '../../core/export/import.ts';
import { importFusion } from '../../core/export/fusion-files.ts';
import { readAdapterFiles, readFusionFiles } from '../../core/export/node-files.ts';
import { adapterTrainable } from '../../core/train/adapter-trainable.ts';
import { fusionTrainable } from '../../core/train/fusion-trainable.ts';
import { liveAdapter, liveFusion } from '../../core/train/imported-adapter.ts';
import { type Command, UsageError, intFlag, report } from '../cli-io.ts';
import { backendOption, backendUsage, startBackend } from '../shared/backend.ts';
import { endpointFrom } from '../shared/hub-flag.ts';
import { revisionFrom, revisionOption, revisionUsage } from '../shared/revision.ts';

export const predictCommand: Command = {
  name: 'predict',
  summary: 'run a trained adapter on one text: token ids, logits, probabilities and the label',
  usage: [
    'Usage: adapter-studio predict --model ID --adapter DIR_OR_ZIP --text "..." [--text-pair "..."] [flags] [--json]',
    '',
    '  --model ID          Hub model id of the encoder the adapter was trained on',
    revisionUsage,
    '  --adapter PATH      adapter folder (train --out, or save_adapter\'s) or a zip of it',
    '  --text T            the text to classify',
    '  --text-pair T       second text of sentence-pair tasks',
    '  --max-length L      most tokens (default 128, as train)',
    '  --hub URL           Hub-compatible base URL (default: huggingface.co)',
    backendUsage,
  ].join('\n'),
  options: {
    model: { type: 'string' },
    ...revisionOption,
    adapter: { type: 'string' },
    text: { type: 'string' },
    'text-pair': { type: 'string' },
    'max-length': { type: 'string' },
    hub: { type: 'string' },
    ...backendOption,
  },
  async run(values, ctx) {
    const model = values.model as string | undefined;
    const path = values.adapter as string | undefined;
    const text = values.text as string | undefined;
    if (!model || !path || text === undefined) throw new UsageError('Give --model ID, --adapter DIR_OR_ZIP and --text "...".');
    const pair = values['text-pair'] as string | undefined;
    const maxLength = intFlag(values, 'max-length', 128, 8, 8192);
    const revision = revisionFrom(values);
    await startBackend(values, ctx);
    const fusionSource = await readFusionFiles(path);
    const files = fusionSource ?? await readAdapterFiles(path);
    const encoder = await loadEncoder(endpointFrom(values), model, { revision });
    let live;
    try {
      live = fusionSource ? liveFusion(encoder.config, importFusion(files, { encoder: encoder.config, source: path })) : liveAdapter(encoder.config, importAdapter(files, { encoder: encoder.config, source: path }));
    } catch (err) {
      encoder.dispose();
      throw err;
    }
    const adapter = 'fusion' in live ? live.fusion : live;
    try {
      const trainable = 'fusion' in live ? fusionTrainable(live.fusion, encoder.weights) : adapterTrainable(live, encoder.weights);
      const encoded = encoder.tokenizer.encode([text], pair === undefined ? undefined : [pair], { maxLength });
      const logits = Array.from(tf.tidy(() => trainable.logits({ ...encoded, labels: new Int32Array(1) }, { training: false, seed: 0 }).dataSync()));
      const inputIds = Array.from(encoded.inputIds);
      if (trainable.task === 'regression') {
        report(ctx, { model, ...(revision === undefined ? {} : { revision }), adapter: adapter.name, input_ids: inputIds, logits, prediction: logits[0] }, [`Prediction: ${logits[0]}`]);
        return 0;
      }
      const probabilities = Array.from(tf.tidy(() => tf.softmax(tf.tensor1d(logits)).dataSync()));
      const labelId = probabilities.indexOf(Math.max(...probabilities));
      const labels = adapter.head!.id2label;
      report(ctx, { model, ...(revision === undefined ? {} : { revision }), adapter: adapter.name, input_ids: inputIds, logits, probabilities, label: labels[labelId], labelId }, [
        `Label: ${labels[labelId]} (${(probabilities[labelId] * 100).toFixed(1)}%)`,
        ...labels.map((label, i) => `  ${label.padEnd(20)} ${probabilities[i].toFixed(4)}  (logit ${logits[i].toFixed(4)})`),
      ]);
      return 0;
    } finally {
      live.dispose();
      encoder.dispose();
    }
  },
};
