import { REAL_HUB } from '../../hub/endpoint.ts';
import { type DatasetHandle, type DatasetReport, inspectDataset, localDataset, openHubDataset } from '../../core/data/index.ts';
import { type Command, UsageError, intFlag, report } from '../cli-io.ts';
import { columnOptions, columnOverridesOf, readLocalTable } from '../shared/dataset-source.ts';
import { endpointFrom } from '../shared/hub-flag.ts';
import { entitySummary } from '../../core/tasks/token-classification/tags.ts';

const SOURCES = ['auto', 'parquet', 'rows'] as const;

/** The report as printed: the mapped first rows carry their class names. */
function printable(data: DatasetReport, hubUrl?: string) {
  const { mapping, preview } = data;
  return {
    dataset: data.dataset,
    ...(data.config === undefined ? {} : { config: data.config }),
    configs: data.configs,
    ...(hubUrl ? { hub: hubUrl } : {}),
    columns: data.columns,
    mapping,
    labelNames: mapping.labelNames,
    splits: data.splits,
    plan: data.plan,
    rows: preview.examples.map((e) => ({
      ...e,
      ...(mapping.task === 'classification' || mapping.task === 'multipleChoice' ? { labelName: mapping.labelNames[e.label] } : {}),
      ...(e.targets ? { labelNames: mapping.labelNames.filter((_, i) => e.targets![i]) } : {}),
      ...(e.answers ? { labelName: e.answers.text.join(' | ') || '(no answer)' } : {}),
      ...(e.tags ? { labelName: entitySummary(e.words ?? [], e.tags, mapping.labelNames) } : {}),
    })),
    ...(preview.labelCounts ? { labelCounts: preview.labelCounts } : {}),
    ...(preview.targetRange ? { targetRange: preview.targetRange } : {}),
    sampleStats: preview.stats,
    ...(data.warnings.length ? { warnings: data.warnings } : {}),
  };
}

function humanLines(out: ReturnType<typeof printable>): string[] {
  const { mapping } = out;
  const lines = [
    ...(out.warnings ?? []).map((w) => `Warning: ${w}`),
    `${out.dataset}${out.config ? ` (config ${out.config}${out.configs.length > 1 ? ` of ${out.configs.join(', ')}` : ''})` : ''}`,
    `Columns: ${out.columns.map((c) => `${c.name} [${c.type}]`).join(', ')}`,
    `Text: ${mapping.text}${mapping.textPair ? ` + ${mapping.textPair}` : ''} (${mapping.reasons.text}); label: ${mapping.label} (${mapping.reasons.label})`,
    mapping.task === 'regression' ? 'Task: regression'
      : mapping.task === 'questionAnswering' ? 'Task: extractive question answering (the answer is a span of the context)'
      : mapping.task === 'tokenClassification' ? `Task: token classification, a tag per word: ${mapping.labelNames.join(', ')}`
      : mapping.task === 'multipleChoice' ? `Task: multiple choice, the right one of ${mapping.labelNames.length} choices (${mapping.labelNames.join(', ')}) after the context`
      : mapping.task === 'multiLabel' ? `Task: multi-label classification (any set of ${mapping.labelNames.join(', ')}; a sigmoid per label)`
      : `Task: classification into ${mapping.labelNames.join(', ')}`,
    'Splits:',
    ...out.splits.map((s) => `  ${s.name.padEnd(12)} ${String(s.numRows ?? '?').padStart(8)} rows  ${s.labelled ? 'labelled' : 'no labels'}${s.role ? `  → ${s.role}` : ''}`),
    ...out.plan.notes.map((n) => `  ${n}`),
    'First rows as mapped:',
    ...out.rows.map((r) => `  #${r.row} [${r.labelNames ? r.labelNames.join(', ') || '(none)' : r.labelName ?? Number(r.label.toPrecision(4))}] ${r.text.slice(0, 100)}${r.textPair ? ` ‖ ${r.textPair.slice(0, 60)}` : ''}${r.choices ? ` → ${r.choices[r.label].slice(0, 60)}` : ''}`),
  ];
  if (out.labelCounts && mapping.task === 'tokenClassification') lines.push(`Words per tag in the first rows: ${out.labelCounts.map((c) => `${c.name} ${c.count}`).join(', ')}`);
  else if (out.labelCounts) lines.push(`Labels in the first rows: ${out.labelCounts.map((c) => `${c.name} ${c.count}`).join(', ')}`);
  if (out.targetRange) lines.push(`Targets in the first rows: ${out.targetRange.min} to ${out.targetRange.max}, mean ${out.targetRange.mean.toFixed(3)}`);
  return lines;
}

export const dataCommand: Command = {
  name: 'data',
  summary: 'inspect a Hub dataset or local file: columns, labels, splits and the first rows as mapped',
  usage: [
    'Usage: adapter-studio data (--dataset ID | --file PATH) [flags] [--json]',
    '',
    '  --dataset ID            Hub dataset id, e.g. stanfordnlp/imdb',
    '  --file PATH             a local .csv, .tsv, .jsonl, .json or .parquet file instead',
    '  --config C              dataset config (default: "default" or the first)',
    '  --split S               split to train on and preview (default: train)',
    '  --hub URL               Hub-compatible base URL serving the Hub and dataset viewer APIs (default: huggingface.co)',
    '  --text-column A         text column (default: detected)',
    '  --text-pair-column B    second text column of sentence pairs',
    '  --label-column L        label column (default: detected)',
    '  --label-columns A,B,C   multi-label: several 0/1 columns, one per label (or one list-of-labels column; default: detected)',
    '  --rows N                first rows to show (default 5)',
    '  --source S              auto (parquet, else /rows), parquet or rows',
    '',
    'A token for gated or private datasets is read from the HF_TOKEN environment variable.',
  ].join('\n'),
  options: {
    dataset: { type: 'string' },
    file: { type: 'string' },
    config: { type: 'string' },
    split: { type: 'string' },
    hub: { type: 'string' },
    ...columnOptions,
    rows: { type: 'string' },
    source: { type: 'string' },
  },
  async run(values, ctx) {
    const dataset = values.dataset as string | undefined;
    const file = values.file as string | undefined;
    if (!dataset === !file) throw new UsageError('Give either --dataset ID or --file PATH.');
    const source = (values.source as string | undefined) ?? 'auto';
    if (!(SOURCES as readonly string[]).includes(source)) throw new UsageError(`--source must be one of ${SOURCES.join(', ')}`);
    const hubUrl = values.hub as string | undefined;

    let handle: DatasetHandle;
    if (dataset) {
      handle = await openHubDataset(endpointFrom(values), dataset, {
        config: values.config as string | undefined,
        source: source as (typeof SOURCES)[number],
        fetch: { onRetry: (attempt, waitMs, reason) => ctx.err(`Retry ${attempt} in ${waitMs} ms: ${reason}`) },
      });
    } else {
      handle = localDataset(await readLocalTable(file!));
    }
    const inspected = await inspectDataset(handle, {
      trainSplit: values.split as string | undefined,
      previewRows: intFlag(values, 'rows', 5, 0, 100),
      overrides: columnOverridesOf(values),
    });
    const out = printable(inspected, dataset ? hubUrl ?? REAL_HUB.hubUrl : undefined);
    report(ctx, out, humanLines(out));
    return 0;
  },
};
