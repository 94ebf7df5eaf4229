/** --doc-stride (question answering) and the one a trained adapter's record holds. */
import { readTrainingRecord } from '../../core/export/model-card.ts';
import type { AdapterFiles } from '../../core/export/types.ts';
import { intFlag } from '../cli-io.ts';

export function docStrideFlag(values: Record<string, unknown>): number | undefined {
  return values['doc-stride'] === undefined ? undefined : intFlag(values, 'doc-stride', 0, 0, 8192);
}

/** The doc stride the files' training record (their README's) says the run used, if any. */
export function trainedDocStride(files: AdapterFiles): number | undefined {
  const card = files.get('README.md');
  return card ? readTrainingRecord(new TextDecoder().decode(card))?.hyperparameters.docStride : undefined;
}
