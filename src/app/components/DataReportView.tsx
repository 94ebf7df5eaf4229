import { type ReactNode, useId } from 'react';
import type { ColumnOverrides } from '../../core/data/column-mapping.ts';
import type { ColumnInfo } from '../../core/data/columns.ts';
import type { DatasetReport, SplitReport } from '../../core/data/dataset-report.ts';
import type { MappingStats, SkipReason } from '../../core/data/examples.ts';
import { entitySummary } from '../../core/tasks/token-classification/tags.ts';
import type { SplitPart } from '../../core/data/split-plan.ts';
import type { DatasetSummary } from '../../core/vocabulary/data.ts';
import { formatInteger, formatPercent } from '../format.ts';
import { dataFixHint, plainMessage, plainReason, plainType } from '../plain-words.ts';
import { useStudio } from '../store.ts';
import { TokenPrompt, needsToken } from './TokenPrompt.tsx';
import { LabelColumnsPicker } from './LabelColumnsPicker.tsx';

/** Longest text shown in a preview cell. */
const CELL_CHARS = 160;

/** What the worker found about the chosen data: pickers, splits, preview and labels, or what went wrong. */
export function DataReportView() {
  const report = useStudio((s) => s.dataReport);
  switch (report.status) {
    case 'idle':
      return null;
    case 'failed':
      return (
        <div className="notice error in-place" role="alert" data-code={report.failure.code}>
          <p>{report.failure.message}</p>
          {needsToken(report.failure.code) && <TokenPrompt />}
        </div>
      );
    case 'loading':
      return (
        <div className="data-report" aria-busy="true">
          <p className="help" role="status">Reading the dataset…</p>
          {report.previous && <Inspection summary={report.previous.summary} result={report.previous.inspection} />}
        </div>
      );
    case 'done':
      return <div className="data-report"><Inspection summary={report.result.summary} result={report.result.inspection} /></div>;
  }
}

function Inspection({ summary, result }: { summary: DatasetSummary; result: { status: 'ok'; report: DatasetReport } | { status: 'problem'; message: string; code: string } }) {
  const report = result.status === 'ok' ? result.report : undefined;
  return (
    <>
      <SourcePickers summary={summary} report={report} />
      <ColumnPickers columns={summary.columns} report={report} />
      {result.status === 'problem' && <DataProblem message={result.message} code={result.code} />}
      {summary.warnings?.map((warning) => <p key={warning} className="notice warn in-place" role="status">{warning}</p>)}
      {report && (
        <>
          <SplitTable report={report} />
          <LabelBars report={report} />
          <PreviewTable report={report} />
          <MappingNote stats={report.preview.stats} />
        </>
      )}
    </>
  );
}

/** Why the data cannot be used as mapped, in plain words, where on the page to fix it, and the message as written. */
function DataProblem({ message, code }: { message: string; code: string }) {
  const plain = plainMessage(message);
  const hint = dataFixHint(code);
  return (
    <div className="notice error in-place" role="alert" data-code={code}>
      <p>{plain}{hint && <> {hint}</>}</p>
      {plain !== message && <details className="details"><summary>Details</summary><p>{message}</p></details>}
    </div>
  );
}

/** Config and training split; a file has neither choice. */
function SourcePickers({ summary, report }: { summary: DatasetSummary; report?: DatasetReport }) {
  const updateDataChoice = useStudio((s) => s.updateDataChoice);
  const choice = useStudio((s) => s.dataChoice);
  const trainSplit = report?.plan.train.split ?? choice.split ?? '';
  if (summary.configs.length === 0 && summary.splits.length <= 1) return null;
  return (
    <div className="pickers">
      {summary.configs.length > 0 && (
        <Picker label="Config" value={summary.config ?? ''} onChange={(config) => updateDataChoice({ config, split: undefined, overrides: {} })}>
          {summary.configs.map((config) => <option key={config} value={config}>{config}</option>)}
        </Picker>
      )}
      <Picker label="Train on split" value={trainSplit} onChange={(split) => updateDataChoice({ split })}>
        {!trainSplit && <option value="">choose…</option>}
        {summary.splits.map((split) => <option key={split.name} value={split.name}>{split.name}</option>)}
      </Picker>
    </div>
  );
}

/** A labelled select with, under it, why its value was picked. */
function Picker({ label, value, reason, onChange, children }: { label: string; value: string; reason?: string; onChange: (value: string) => void; children: ReactNode }) {
  const id = useId();
  return (
    <div className="picker">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} aria-describedby={reason ? `${id}-reason` : undefined} onChange={(e) => onChange(e.target.value)}>{children}</select>
      {reason && <span id={`${id}-reason`} className="reason">{plainReason(reason)}</span>}
    </div>
  );
}

/** Which columns are the text(s) and the label: detected, or chosen here. */
function ColumnPickers({ columns, report }: { columns: ColumnInfo[]; report?: DatasetReport }) {
  const overrides = useStudio((s) => s.dataChoice.overrides);
  const updateDataChoice = useStudio((s) => s.updateDataChoice);
  const mapping = report?.mapping;
  const choose = (change: ColumnOverrides) => updateDataChoice({ overrides: { ...overrides, ...change } });
  const chosen = Object.values(overrides).some((v) => v !== undefined);
  const options = columns.map((c) => <option key={c.name} value={c.name}>{c.name} ({plainType(c)})</option>);
  const text = mapping?.text ?? overrides.text ?? '';
  const label = mapping?.label ?? overrides.label ?? '';
  return (
    <div className="pickers columns">
      <Picker label="Text" value={text} reason={mapping?.reasons.text} onChange={(value) => choose({ text: value })}>
        {!text && <option value="">choose…</option>}
        {options}
      </Picker>
      <Picker label="Second text" value={mapping?.textPair ?? overrides.textPair ?? ''} onChange={(value) => choose({ textPair: value })}>
        <option value="">none (single texts)</option>
        {options}
      </Picker>
      <Picker label="Label" value={mapping?.labelKind === 'binaryColumns' ? '' : label} reason={mapping?.reasons.label} onChange={(value) => choose({ label: value, labelNames: undefined, labelColumns: undefined })}>
        {(!label || mapping?.labelKind === 'binaryColumns') && <option value="">{mapping?.labelKind === 'binaryColumns' ? 'several 0/1 columns (below)' : 'choose…'}</option>}
        {options}
      </Picker>
      <LabelColumnsPicker columns={columns} chosen={mapping?.labelColumns ?? overrides.labelColumns ?? []} onChange={(labelColumns) => choose({ labelColumns: labelColumns.length ? labelColumns : undefined, label: undefined, labelNames: undefined })} />
      {chosen && <button type="button" className="button subtle" onClick={() => updateDataChoice({ overrides: {} })}>Detect columns again</button>}
      <details className="details column-types">
        <summary>Details: column types</summary>
        <p>As the dataset declares them (the <code>datasets</code> library's features): {columns.map((c, i) => <span key={c.name}>{i > 0 && ', '}{c.name} <code>{c.type}</code></span>)}.</p>
      </details>
      {mapping && (
        <p className="labels">
          {mapping.task === 'regression'
            ? 'Task: regression (the label is a number).'
            : mapping.task === 'questionAnswering' ? 'Task: extractive question answering (the answer is a span of the context).'
            : mapping.task === 'multiLabel' ? <>Task: multi-label (any set of the {mapping.labelNames.length} labels per text): {mapping.labelNames.map((name) => <span key={name} className="label-name">{name}</span>)}</>
            : mapping.task === 'tokenClassification' ? <>Task: token classification, a tag per word ({mapping.labelNames.length}): {mapping.labelNames.map((name) => <span key={name} className="label-name">{name}</span>)}</>
            : mapping.task === 'multipleChoice' ? <>Task: multiple choice, the right one of {mapping.labelNames.length} choices after the context: {mapping.labelNames.map((name) => <span key={name} className="label-name">{name}</span>)}</>
            : <>Labels ({mapping.labelNames.length}): {mapping.labelNames.map((name) => <span key={name} className="label-name">{name}</span>)}</>}
        </p>
      )}
    </div>
  );
}

function usage(split: SplitReport, plan: DatasetReport['plan']): string {
  const part = (p: SplitPart | undefined) => p?.split === split.name ? p : undefined;
  const cap = (p: SplitPart) => (p.maxExamples === undefined ? '' : `, at most ${formatInteger(p.maxExamples)} examples`);
  const train = part(plan.train);
  const validation = part(plan.validation);
  const test = part(plan.test);
  if (train && validation && train.holdOut) {
    return `train, ${formatPercent(train.holdOut.share)} held out for validation${cap(train)}${validation.maxExamples === undefined ? '' : ` (validation at most ${formatInteger(validation.maxExamples)})`}`;
  }
  if (train) return `train${cap(train)}`;
  if (validation) return `validation${cap(validation)}`;
  if (test) return 'test';
  return split.labelled ? 'not used' : 'skipped: no labels';
}

/** Row counts per split and how each will be used. */
function SplitTable({ report }: { report: DatasetReport }) {
  return (
    <table className="split-table">
      <caption>Splits</caption>
      <thead><tr><th scope="col">Split</th><th scope="col">Rows</th><th scope="col">Labels</th><th scope="col">Used for</th></tr></thead>
      <tbody>
        {report.splits.map((split) => (
          <tr key={split.name} data-split={split.name} data-role={split.role ?? 'none'}>
            <th scope="row">{split.name}</th>
            <td>{split.numRows === undefined ? '?' : formatInteger(split.numRows)}</td>
            <td>{split.labelled ? 'labelled' : 'unlabelled'}</td>
            <td>{usage(split, report.plan)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Examples per class among the sampled rows, as bars; or the range of regression targets. */
function LabelBars({ report }: { report: DatasetReport }) {
  const { labelCounts, targetRange, stats } = report.preview;
  if (targetRange) {
    return <p className="help">Targets in the first {formatInteger(stats.kept)} examples: {targetRange.min} to {targetRange.max}, mean {targetRange.mean.toFixed(2)}.</p>;
  }
  if (!labelCounts) return null;
  const most = Math.max(1, ...labelCounts.map((c) => c.count));
  return (
    <figure className="label-bars">
      <figcaption>{report.mapping.task === 'tokenClassification' ? 'Words per tag' : 'Labels'} in the first {formatInteger(stats.kept)} examples</figcaption>
      <ul>
        {labelCounts.map((c) => (
          <li key={c.id} data-label={c.name}>
            <span className="bar-name">{c.name}</span>
            <span className="bar" style={{ width: `${(c.count / most) * 100}%` }} aria-hidden="true" />
            <span className="bar-count">{formatInteger(c.count)}</span>
          </li>
        ))}
      </ul>
    </figure>
  );
}

const clip = (text: string) => (text.length > CELL_CHARS ? `${text.slice(0, CELL_CHARS)}…` : text);

/** The first rows of the training split as the mapping reads them. */
function PreviewTable({ report }: { report: DatasetReport }) {
  const { mapping, preview } = report;
  return (
    <div className="table-scroll">
      <table className="preview-table">
        <caption>First rows of “{report.plan.train.split}” as the model will see them</caption>
        <thead>
          <tr>
            <th scope="col">Row</th>
            <th scope="col">{mapping.text}</th>
            {mapping.textPair && <th scope="col">{mapping.textPair}</th>}
            <th scope="col">{mapping.label}</th>
          </tr>
        </thead>
        <tbody>
          {preview.examples.map((example) => (
            <tr key={example.row}>
              <td>{example.row}</td>
              <td>{clip(example.text)}</td>
              {mapping.textPair && <td>{clip(example.textPair ?? '')}</td>}
              <td>{example.targets ? mapping.labelNames.filter((_, i) => example.targets![i]).join(', ') || '(none)' : example.tags ? clip(entitySummary(example.words ?? [], example.tags, mapping.labelNames)) : example.choices ? `${mapping.labelNames[example.label]}: ${clip(example.choices[example.label])}` : mapping.task === 'classification' ? mapping.labelNames[example.label] : example.answers ? example.answers.text.join(' | ') : example.label}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const SKIP_WORDS: Record<SkipReason, string> = {
  missingText: 'without text',
  missingLabel: 'without a label',
  unlabelled: 'unlabelled (−1)',
  unknownLabel: 'with a label outside the class list',
  tagCount: 'whose tags are not one per word',
};

/** What mapping the sampled rows kept, skipped and cut. */
function MappingNote({ stats }: { stats: MappingStats }) {
  const skipped = (Object.entries(stats.skipped) as [SkipReason, number][]).filter(([, n]) => n > 0);
  return (
    <p className="help mapping-note">
      Of the first {formatInteger(stats.rows)} rows, {formatInteger(stats.kept)} are used
      {skipped.length > 0 && <>; skipped: {skipped.map(([reason, n]) => `${formatInteger(n)} ${SKIP_WORDS[reason]}`).join(', ')}</>}
      {stats.truncated > 0 && <>; {formatInteger(stats.truncated)} very long texts were cut</>}.
    </p>
  );
}
