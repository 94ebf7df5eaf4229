import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { AdapterModel } from '../../core/adapters/adapter.ts';
import { composedForward } from '../../core/adapters/compose.ts';
import { type CompositionBlock, type CompositionSetup, compositionLabel, validateComposition } from '../../core/adapters/composition.ts';
import { composableInfo } from '../../core/adapters/shelf.ts';
import { loadEncoder } from '../../core/model/index.ts';
import { adapterTrainable } from '../../core/train/adapter-trainable.ts';
import { liveAdapter } from '../../core/train/imported-adapter.ts';
import { type ChoiceRanking, rankChoices } from '../../core/tasks/multiple-choice/rank.ts';
import { type AnswerResult, answerQuestion } from '../../core/tasks/question-answering/answer.ts';
import { type LabelScore, scoreLabels, thresholdsOf } from '../../core/tasks/multi-label/thresholds.ts';
import { tagText } from '../../core/tasks/token-classification/tag-predict.ts';
import { taggingLines } from '../shared/tagging-output.ts';
import type { TrainingRecord } from '../../core/export/types.ts';
import { docStrideFlag } from '../shared/doc-stride.ts';
import { type Command, UsageError, intFlag, report } from '../cli-io.ts';
import { readAdapterFlag } from '../shared/adapter-flag.ts';
import { backendOption, backendUsage, startBackend } from '../shared/backend.ts';
import { endpointFrom } from '../shared/hub-flag.ts';
import { revisionFrom, revisionOption, revisionUsage } from '../shared/revision.ts';
import { liveTrained, readTrainedFiles } from '../shared/trained-files.ts';

/** --compose values and the library's blocks they name. */
const COMPOSE: Record<string, CompositionBlock> = { stack: 'Stack', parallel: 'Parallel', average: 'Average', 'batch-split': 'BatchSplit' };

type Prediction =
  | { adapter: string; logits: number[]; prediction: number }
  | { adapter: string; logits: number[]; probabilities: number[]; label: string; labelId: number }
  | { adapter: string; logits: number[]; probabilities: number[]; thresholds: number[]; labels: string[]; scores: LabelScore[] };

/**
 * One head's prediction from its logits: the number for regression; multi-label: each label's sigmoid probability
 * and threshold, the labels at or above their thresholds (most probable first); else probabilities and the label.
 */
function prediction(adapter: Pick<AdapterModel, 'name' | 'head'>, logits: number[]): Prediction {
  if (adapter.head!.kind === 'regression') return { adapter: adapter.name, logits, prediction: logits[0] };
  if (adapter.head!.kind === 'multilabel') {
    const { id2label } = adapter.head!;
    const thresholds = thresholdsOf(id2label.length, adapter.head!.thresholds);
    const scores = scoreLabels(logits, id2label, thresholds);
    const probabilities = id2label.map((label) => scores.find((s) => s.label === label)!.probability);
    return { adapter: adapter.name, logits, probabilities, thresholds, labels: scores.filter((s) => s.predicted).map((s) => s.label), scores };
  }
  const probabilities = Array.from(tf.tidy(() => tf.softmax(tf.tensor1d(logits)).dataSync()));
  const labelId = probabilities.indexOf(Math.max(...probabilities));
  return { adapter: adapter.name, logits, probabilities, label: adapter.head!.id2label[labelId], labelId };
}

function lines(p: Prediction, labels: string[]): string[] {
  if (!('probabilities' in p)) return [`Prediction: ${p.prediction}`];
  if ('scores' in p) {
    return [
      `Labels: ${p.labels.length ? p.scores.filter((s) => s.predicted).map((s) => `${s.label} (${(s.probability * 100).toFixed(1)}%)`).join(', ') : 'none at or above its threshold'}`,
      ...p.scores.map((s) => `  ${s.predicted ? '✓' : ' '} ${s.label.padEnd(20)} ${s.probability.toFixed(4)}  (threshold ${s.threshold}, logit ${p.logits[labels.indexOf(s.label)].toFixed(4)})`),
    ];
  }
  return [
    `Label: ${p.label} (${(p.probabilities[p.labelId] * 100).toFixed(1)}%)`,
    ...labels.map((label, i) => `  ${label.padEnd(20)} ${p.probabilities[i].toFixed(4)}  (logit ${p.logits[i].toFixed(4)})`),
  ];
}

/** A question's answers as `--json` gives them: the best one's text, span (code points), score and probability, then the n best. */
function answerFields({ answers, windows }: AnswerResult) {
  const [best] = answers;
  return { answer: best.text, start: best.start, end: best.end, score: best.score, probability: best.probability, windows, answers };
}

function answerLines({ answers, windows }: AnswerResult): string[] {
  const [best] = answers;
  return [
    `Answer: ${best.text} (characters ${best.start}–${best.end}, score ${best.score.toFixed(4)}, probability ${(best.probability * 100).toFixed(1)}%)`,
    `Windows: ${windows}`,
    ...answers.map((a, i) => `  ${String(i + 1).padStart(2)}. ${JSON.stringify(a.text).padEnd(40)} ${a.probability.toFixed(4)}  (start ${a.startLogit.toFixed(3)} + end ${a.endLogit.toFixed(3)})`),
  ];
}

function rankingLines({ ranking }: ChoiceRanking): string[] {
  const [best] = ranking;
  return [
    `Choice: ${best.index} ${JSON.stringify(best.choice)} (${(best.probability * 100).toFixed(1)}%)`,
    ...ranking.map((r, i) => `  ${String(i + 1).padStart(2)}. [${r.index}] ${JSON.stringify(r.choice).padEnd(50)} ${r.probability.toFixed(4)}  (logit ${r.logit.toFixed(4)})`),
  ];
}

/** A comma-separated list of numbers. */
function numbersFlag(values: Record<string, unknown>, name: string): number[] | undefined {
  const raw = values[name] as string | undefined;
  if (raw === undefined) return undefined;
  const numbers = raw.split(',').map((s) => Number(s.trim()));
  if (raw.trim() === '' || numbers.some((n) => !Number.isFinite(n))) throw new UsageError(`--${name} must be numbers separated by commas, got "${raw}".`);
  return numbers;
}

export const predictCommand: Command = {
  name: 'predict',
  summary: 'run a trained adapter on one text: token ids, logits, probabilities and the label (multi-label: every label at or above its threshold); or several adapters in a composition',
  usage: [
    'Usage: adapter-studio predict --model ID --adapter DIR_OR_ZIP --text "..." [--text-pair "..."] [flags] [--json]',
    '       adapter-studio predict --model ID --adapter QA_ADAPTER --question "..." --context "..." [flags] [--json]',
    '       adapter-studio predict --model ID --adapter MC_ADAPTER --context "..." [--header "..."] --choice "..." --choice "..." [...] [flags] [--json]',
    '       adapter-studio predict --model ID --adapter TAGGING_ADAPTER --text "..." [flags] [--json]   (a tag and its probability per word, and the entities)',
    '       adapter-studio predict --model ID --adapter A --adapter B [...] --compose parallel|stack|average|batch-split --text "..." [flags] [--json]',
    '',
    '  --model ID          Hub model id of the encoder the adapter was trained on',
    revisionUsage,
    '  --adapter PATH      adapter folder (train --out, or save_adapter\'s) or a zip of it; a Hub repo id (AdapterHub/roberta-base-pf-imdb) where no such path exists; repeat it to compose;',
    '                      or an AdapterFusion (train --fuse\'s --out, or its A,B/ folder): the fusion and its head predict',
    '  --compose BLOCK     how the adapters combine, as the adapters library\'s blocks: parallel (each adapter\'s head on its own copy of the input),',
    '                      stack (one after the other, the last one\'s head), average (their outputs averaged, the last one\'s head),',
    '                      batch-split (the texts shared out among the adapters, each with its head)',
    '  --weights W,W       average: one weight an adapter (normalised to sum 1; default equal)',
    '  --batch-sizes N,N   batch-split: texts each adapter takes, in order (default one each)',
    '  --text T            the text to classify, or to tag word by word (batch-split: repeat it, one a row); a multi-label',
    '                      adapter prints every label with its probability and threshold, and names those at or above them',
    '  --text-pair T       second text of sentence-pair tasks',
    '  --question Q        question answering: the question (or --text)',
    '  --context C         question answering: the paragraph the answer is a span of (or --text-pair)',
    '  --doc-stride N      question answering: tokens neighbouring windows of a long paragraph share (default the training run\'s, else a third of --max-length, at most 128)',
    '  --n-best N          question answering: answers listed (default 5; run_qa keeps 20 candidates)',
    '  --choice E          multiple choice: one choice (an ending, an answer); repeat it, as many as the head\'s num_choices; --context (or --text) is the context',
    '  --header H          multiple choice: the text before each choice in its pair (SWAG\'s sent2, Cosmos QA\'s question); default none',
    '  --max-length L      most tokens (default 128, as train)',
    '  --hub URL           Hub-compatible base URL (default: huggingface.co)',
    backendUsage,
  ].join('\n'),
  options: {
    model: { type: 'string' },
    ...revisionOption,
    adapter: { type: 'string', multiple: true },
    compose: { type: 'string' },
    weights: { type: 'string' },
    'batch-sizes': { type: 'string' },
    text: { type: 'string', multiple: true },
    'text-pair': { type: 'string' },
    question: { type: 'string' },
    context: { type: 'string' },
    choice: { type: 'string', multiple: true },
    header: { type: 'string' },
    'doc-stride': { type: 'string' },
    'n-best': { type: 'string' },
    'max-length': { type: 'string' },
    hub: { type: 'string' },
    ...backendOption,
  },
  async run(values, ctx) {
    const model = values.model as string | undefined;
    const paths = (values.adapter as string[] | undefined) ?? [];
    const question = values.question as string | undefined;
    const choices = values.choice as string[] | undefined;
    // Multiple choice: --context (or --text) is the context the choices follow.
    const texts = (values.text as string[] | undefined) ?? (question !== undefined ? [question] : choices && values.context !== undefined ? [values.context as string] : []);
    if (!model || !paths.length || !texts.length) throw new UsageError('Give --model ID, --adapter DIR_OR_ZIP and --text "..." (or --question and --context for a question-answering adapter, --context and --choice ... for a multiple-choice one).');
    if (values.header !== undefined && !choices) throw new UsageError('--header goes with --choice (a multiple-choice adapter).');
    if (question !== undefined && values.text !== undefined) throw new UsageError('Give the question once: --question or --text.');
    const compose = values.compose as string | undefined;
    if (compose !== undefined && !(compose in COMPOSE)) throw new UsageError(`--compose must be one of ${Object.keys(COMPOSE).join(', ')}, got "${compose}".`);
    if (paths.length > 1 && compose === undefined) throw new UsageError(`${paths.length} adapters given: say how they combine with --compose ${Object.keys(COMPOSE).join('|')}.`);
    const block = compose === undefined ? undefined : COMPOSE[compose];
    if (texts.length > 1 && block !== 'BatchSplit') throw new UsageError('Give one --text (several only with --compose batch-split, one a row).');
    if (values.weights !== undefined && block !== 'Average') throw new UsageError('--weights goes with --compose average.');
    if (values['batch-sizes'] !== undefined && block !== 'BatchSplit') throw new UsageError('--batch-sizes goes with --compose batch-split.');
    const pair = (values.context ?? values['text-pair']) as string | undefined;
    if (values.context !== undefined && values['text-pair'] !== undefined) throw new UsageError('Give the paragraph once: --context or --text-pair.');
    const maxLength = intFlag(values, 'max-length', 128, 8, 8192);
    const revision = revisionFrom(values);
    await startBackend(values, ctx);
    const endpoint = endpointFrom(values);
    const encoder = await loadEncoder(endpoint, model, { revision });
    const trained = paths.length === 1 && !block && existsSync(paths[0]) ? await readTrainedFiles(paths[0]).catch((err) => { encoder.dispose(); throw err; }) : undefined;
    if (trained?.fusion) {
      let live: ReturnType<typeof liveTrained> | undefined;
      try {
        live = liveTrained(trained, encoder);
        if (live.head?.kind === 'multipleChoice') throw new UsageError(`AdapterFusion "${live.name}" has a multiple-choice head; a fusion predicts with classification and regression heads only.`);
        const { trainable } = live;
        const encoded = encoder.tokenizer.encode(texts, pair === undefined ? undefined : [pair], { maxLength });
        const logits = Array.from(tf.tidy(() => trainable.logits({ ...encoded, labels: new Int32Array(1) }, { training: false, seed: 0 }).dataSync()));
        const { adapter: _, ...result } = prediction(live, logits);
        report(ctx, { model, ...(revision === undefined ? {} : { revision }), adapter: live.name, fusion: live.name, head: live.head?.name, input_ids: Array.from(encoded.inputIds), ...result }, lines(prediction(live, logits), live.head!.id2label));
        return 0;
      } finally {
        live?.dispose();
        encoder.dispose();
      }
    }
    const adapters: AdapterModel[] = [];
    const adapterRecords: (TrainingRecord | undefined)[] = [];
    try {
      for (const path of paths) {
        const imported = await readAdapterFlag(path, endpoint, encoder.config);
        if (adapters.some((a) => a.name === imported.name)) throw new UsageError(`Two adapters are named "${imported.name}" (the second is ${path}); adapters composed together need different names.`);
        adapters.push(liveAdapter(encoder.config, imported));
        adapterRecords.push(imported.training);
      }
      const encoded = encoder.tokenizer.encode(texts, pair === undefined ? undefined : texts.map(() => pair), { maxLength });
      const modelFields = { model, ...(revision === undefined ? {} : { revision }) };
      if (!block && adapters[0].head?.kind === 'questionAnswering') {
        if (pair === undefined) throw new UsageError(`Adapter "${adapters[0].name}" answers questions: give --question "..." and --context "..." (the paragraph).`);
        const docStride = docStrideFlag(values) ?? adapterRecords[0]?.hyperparameters.docStride;
        const nBest = intFlag(values, 'n-best', 5, 1, 100);
        const result = await answerQuestion(adapterTrainable(adapters[0], encoder.weights), encoder.tokenizer, texts[0], pair, { maxLength, docStride, nBest });
        report(ctx, { model, ...(revision === undefined ? {} : { revision }), adapter: adapters[0].name, question: texts[0], ...answerFields(result) }, answerLines(result));
        return 0;
      }
      const choosing = adapters[0].head?.kind === 'multipleChoice';
      if (choices && (block || !choosing)) throw new UsageError(`--choice goes with one multiple-choice adapter; "${adapters[0].name}" ${block ? 'is composed' : 'does not rank choices'}.`);
      if (!block && adapters[0].head?.kind === 'tagging') {
        if (pair !== undefined) throw new UsageError(`Adapter "${adapters[0].name}" tags the words of one text: give --text "..." alone.`);
        const result = await tagText(adapterTrainable(adapters[0], encoder.weights), encoder.tokenizer, texts[0], adapters[0].head.id2label, { maxLength });
        report(ctx, { ...modelFields, adapter: adapters[0].name, text: texts[0], ...result }, taggingLines(result));
        return 0;
      }
      if (!block && choosing) {
        const [adapter] = adapters;
        const numChoices = adapter.head!.config.num_choices!;
        if (!choices) throw new UsageError(`Adapter "${adapter.name}" picks one of ${numChoices} choices: give --context "..." and --choice "..." ${numChoices} times (--header "..." for the text before each).`);
        if (choices.length !== numChoices) throw new UsageError(`Adapter "${adapter.name}" picks among ${numChoices} choices (its head's num_choices): give --choice ${numChoices} times, not ${choices.length}.`);
        const header = values.header as string | undefined;
        const result = await rankChoices(adapterTrainable(adapter, encoder.weights), encoder.tokenizer, { text: texts[0], ...(header === undefined ? {} : { textPair: header }), choices }, { maxLength, numChoices });
        const [best] = result.ranking;
        report(ctx, { ...modelFields, adapter: adapter.name, context: texts[0], ...(header === undefined ? {} : { header }), choice: best.choice, choiceIndex: best.index, probability: best.probability, ...result }, rankingLines(result));
        return 0;
      }
      if (!block) {
        const [adapter] = adapters;
        const trainable = adapterTrainable(adapter, encoder.weights);
        const logits = Array.from(tf.tidy(() => trainable.logits({ ...encoded, labels: new Int32Array(1) }, { training: false, seed: 0 }).dataSync()));
        const { adapter: _, ...result } = prediction(adapter, logits);
        report(ctx, { ...modelFields, adapter: adapter.name, input_ids: Array.from(encoded.inputIds), ...result }, lines(prediction(adapter, logits), adapter.head!.id2label));
        return 0;
      }
      const answering = adapters.find((a) => a.head?.kind === 'questionAnswering');
      if (answering) throw new UsageError(`Adapter "${answering.name}" answers questions; --compose runs classification and regression heads only.`);
      const tagging = adapters.find((a) => a.head?.kind === 'tagging');
      if (tagging) throw new UsageError(`Adapter "${tagging.name}" tags tokens; --compose runs classification and regression heads only.`);
      const ranker = adapters.find((a) => a.head?.kind === 'multipleChoice');
      if (ranker) throw new UsageError(`Adapter "${ranker.name}" ranks choices; --compose runs classification and regression heads only.`);
      const multiLabel = adapters.find((a) => a.head?.kind === 'multilabel');
      if (multiLabel) throw new UsageError(`Adapter "${multiLabel.name}" has a multi-label head; --compose runs classification and regression heads only.`);
      const setup: CompositionSetup = {
        block,
        adapters: adapters.map((a) => a.name),
        ...(block === 'Average' ? { weights: numbersFlag(values, 'weights') } : {}),
        ...(block === 'BatchSplit' ? { batchSizes: numbersFlag(values, 'batch-sizes') ?? adapters.map(() => 1) } : {}),
      };
      try {
        validateComposition(setup, adapters.map(composableInfo));
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const heads = composedForward(encoder.weights, encoded, setup, adapters);
      const byName = new Map(adapters.map((a) => [a.name, a]));
      const rows = heads.flatMap(({ head, rows: [start], logits }) => {
        const values2d = logits.arraySync();
        logits.dispose();
        return values2d.map((row, i) => ({ ...prediction(byName.get(head)!, row), text: start + i }));
      });
      const seq = encoded.seq;
      report(ctx, {
        ...modelFields,
        composition: compositionLabel(setup),
        adapters: setup.adapters,
        input_ids: texts.map((_, i) => Array.from(encoded.inputIds.subarray(i * seq, (i + 1) * seq))),
        heads: rows,
      }, [
        `Composition: ${compositionLabel(setup)}`,
        ...rows.flatMap((row) => [`${row.adapter}${texts.length > 1 ? ` (text ${row.text + 1})` : ''}:`, ...lines(row, byName.get(row.adapter)!.head!.id2label).map((l) => `  ${l}`)]),
      ]);
      return 0;
    } finally {
      for (const adapter of adapters) adapter.dispose();
      encoder.dispose();
    }
  },
};
