// The real config.json texts the bench's model shapes come from (src/core/model/testdata/real/configs/, origins in
// its README): bert-base-uncased, roberta-base, deberta-v3-base.
import { readFileSync } from 'node:fs';

export function realConfig(file: 'bert-base-uncased.json' | 'roberta-base.json' | 'deberta-v3-base.json'): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../src/core/model/testdata/real/configs/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}
