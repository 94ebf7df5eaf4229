/**
 * Sizes in an adapter or head config checked against the model before anything is planned or allocated: a config
 * read from someone's folder (`num_labels: 1e9`, `reduction_factor: 1e-9`, `layers: 1e6`) must be refused at once
 * with the field named, not run the process out of memory.
 */
import type { EncoderConfig } from '../model/config.ts';
import { AdapterSizeError } from './errors.ts';
import { type AdapterConfig, familyOf, methodConfigs } from './methods/registry.ts';
import { type ParamSpec, elementCount } from './parameters.ts';

/** Most values an adapter's or a head's parameters may hold: 250 million (1 GB as float32), far above any real one. */
export const MAX_PARAMETERS = 250_000_000;
/** Most labels a classification head may have (each gets a name and a row of the last layer). */
export const MAX_LABELS = 100_000;

const millions = (n: number) => `${(n / 1e6).toFixed(1)} million`;

/**
 * Refuses sizes no adapter of `encoder` can use (each family's checkSizes: bottleneck widths, LoRA ranks); prefix and
 * prompt lengths (and the prefix MLP's width) are bounded by the parameter total.
 */
export function checkAdapterSizes(encoder: EncoderConfig, config: AdapterConfig): void {
  const model = `"${encoder.repoId}" (hidden size ${encoder.hiddenSize})`;
  const fail = (field: string, message: string): never => { throw new AdapterSizeError(`Adapter config field "${field}" ${message} for ${model}.`, field); };
  for (const c of methodConfigs(config)) familyOf(c).checkSizes?.(c, encoder, fail);
}

/** Refuses a plan whose parameters would hold more than MAX_PARAMETERS values, naming the largest one. */
export function checkParameterTotal(what: string, params: ParamSpec[]): void {
  let total = 0;
  let largest: ParamSpec | undefined;
  for (const p of params) {
    const n = elementCount(p.shape);
    total += n;
    if (!largest || n > elementCount(largest.shape)) largest = p;
  }
  if (total > MAX_PARAMETERS) {
    throw new AdapterSizeError(`${what} would have ${millions(total)} parameters, over the ${millions(MAX_PARAMETERS)} the studio allows (the largest, ${largest!.key}, is [${largest!.shape.join(', ')}]); check its sizes.`);
  }
}

/** Refuses a head whose label count or depth would need more than MAX_PARAMETERS values on `encoder`. */
export function checkHeadSizes(encoder: EncoderConfig, numLabels: number, layers: number): void {
  if (numLabels > MAX_LABELS) throw new AdapterSizeError(`Head option "numLabels" is ${numLabels}; the studio takes up to ${MAX_LABELS} labels.`, 'numLabels');
  const hidden = encoder.hiddenSize;
  const values = (layers - 1) * (hidden * hidden + hidden) + numLabels * (hidden + 1);
  if (values > MAX_PARAMETERS) {
    throw new AdapterSizeError(`Head option "layers" is too large: ${numLabels} labels and ${layers} layers on hidden size ${hidden} would be ${millions(values)} parameters, over the ${millions(MAX_PARAMETERS)} the studio allows.`, 'layers');
  }
}
