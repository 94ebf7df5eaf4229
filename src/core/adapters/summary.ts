/**
 * The `adapters` library's `model.adapter_summary()`, computed from the configs alone (before any weights are
 * downloaded): per adapter its architecture and parameter count, the count relative to the base model, and a
 * "Full model" row, laid out with the library's format strings.
 */
import { type EncoderConfig, estimateParameters } from '../model/config.ts';
import { familyDefinition } from '../model/families/index.ts';
import { type AdapterConfig, type ArchitectureName, architectureOf, resolveAdapterConfig } from './config.ts';
import { elementCount } from './parameters.ts';
import { planAdapter } from './plan.ts';

export interface SummaryRow {
  name: string;
  /** config["architecture"] or "bottleneck"; undefined for the "Full model" row. */
  architecture?: ArchitectureName;
  /** Parameters (each tensor once, even when torch lists it under two keys). */
  params: number;
  /** params / (base model parameters) · 100, as the library computes it. */
  percent: number;
  /** Undefined for the "Full model" row. */
  active?: boolean;
  train: boolean;
}

export interface SummaryOptions {
  /** Adapter name; default "adapter". */
  name?: string;
  /** Whether the adapter is active; default true. */
  active?: boolean;
  /** Whether the base model is frozen (after train_adapter); default true, so "Full model" shows train 0. */
  modelFrozen?: boolean;
}

/**
 * Parameters of the base model an AdapterModel holds: the encoder plus the pooler when the family's base model
 * is built with one (BertModel / RobertaModel: add_pooling_layer=True even when a checkpoint lacks it).
 */
export function baseModelParameters(encoder: EncoderConfig): number {
  return estimateParameters({ ...encoder, hasPooler: familyDefinition(encoder.family).adapterModelHasPooler });
}

/** The rows of `adapter_summary(as_dict=True)` for one adapter. */
export function adapterSummaryRows(config: AdapterConfig | string, encoder: EncoderConfig, options: SummaryOptions = {}): SummaryRow[] {
  const resolved = typeof config === 'string' ? resolveAdapterConfig(config) : config;
  const name = options.name ?? 'adapter';
  const plan = planAdapter(encoder, resolved, name);
  const params = plan.params.reduce((sum, p) => sum + elementCount(p.shape), 0);
  const base = baseModelParameters(encoder);
  return [
    { name, architecture: architectureOf(resolved), params, percent: (params / base) * 100, active: options.active ?? true, train: plan.params.every((p) => p.trainable) },
    { name: 'Full model', params: base, percent: 100, train: !(options.modelFrozen ?? true) },
  ];
}

/** Python's str.format of a value in a {:<n} / {:>n} field: bools print as 1 / 0 there (int formatting). */
function cell(value: string | number | boolean | undefined, width: number, align: 'left' | 'right'): string {
  const text = value === undefined ? '' : typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
  return align === 'left' ? text.padEnd(width) : text.padStart(width);
}

/** `adapter_summary()` as the library prints it (80-column table). */
export function adapterSummary(config: AdapterConfig | string, encoder: EncoderConfig, options: SummaryOptions = {}): string {
  const rows = adapterSummaryRows(config, encoder, options);
  const line = (name: string, architecture: string | undefined, params: string, percent: string, active: string | boolean | undefined, train: string | boolean) =>
    cell(name, 25, 'left') + cell(architecture, 15, 'left') + cell(params, 12, 'right') + cell(percent, 12, 'right') + cell(active, 8, 'right') + cell(train, 8, 'right');
  const out = ['='.repeat(80), line('Name', 'Architecture', '#Param', '%Param', 'Active', 'Train'), '-'.repeat(80)];
  for (const row of rows) out.push(line(row.name, row.architecture, row.params.toLocaleString('en-US'), row.percent.toFixed(3), row.active, row.train));
  out.splice(out.length - 1, 0, '-'.repeat(80));
  out.push('='.repeat(80));
  return out.join('\n');
}
