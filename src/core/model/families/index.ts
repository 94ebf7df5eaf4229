/**
 * The encoder families the studio runs, one module each. To add one: write `families/<family>.ts` exporting an
 * `EncoderFamilyDefinition`, add it to FAMILIES below, and add a tiny fixture model of it (src/fixtures/manifest.ts).
 */
import type { EncoderConfig } from '../config.ts';
import { albert } from './albert.ts';
import { bert } from './bert.ts';
import { deberta } from './deberta.ts';
import { debertaV2 } from './deberta-v2.ts';
import { distilbert } from './distilbert.ts';
import { electra } from './electra.ts';
import { roberta } from './roberta.ts';
import type { EncoderFamilyDefinition, LayerModules, ModelTypeDefinition } from './types.ts';

export const FAMILIES = { bert, roberta, distilbert, electra, 'deberta-v2': debertaV2, albert, deberta } satisfies Record<string, EncoderFamilyDefinition>;

/** Architectures the encoder runs; xlm-roberta and camembert are RoBERTa with another tokenizer. */
export type EncoderFamily = keyof typeof FAMILIES;

/** Every supported config.json model_type with its family, in registry order. */
const MODEL_TYPES: { modelType: string; family: EncoderFamily; definition: ModelTypeDefinition }[] = Object.entries(FAMILIES).flatMap(
  ([family, def]) => Object.entries(def.modelTypes).map(([modelType, definition]) => ({ modelType, family: family as EncoderFamily, definition })),
);

/** The model_type values of config.json that `parseEncoderConfig` accepts. */
export const SUPPORTED_MODEL_TYPES: readonly string[] = MODEL_TYPES.map((t) => t.modelType);

/** The family's record; throws for a name outside the registry (a config not made by parseEncoderConfig). */
export function familyDefinition(family: EncoderFamily): EncoderFamilyDefinition {
  const definition: EncoderFamilyDefinition | undefined = FAMILIES[family];
  if (!definition) throw new TypeError(`Encoder family "${String(family)}" is not one of ${Object.keys(FAMILIES).join(', ')}; build configs with parseEncoderConfig.`);
  return definition;
}

/** The family and facts of a supported model_type; undefined for any other. */
export function modelTypeEntry(modelType: string): { family: EncoderFamily; definition: ModelTypeDefinition } | undefined {
  return MODEL_TYPES.find((t) => t.modelType === modelType);
}

/** Every supported model type's facts, in registry order. */
export function modelTypeEntries(): readonly { modelType: string; family: EncoderFamily; definition: ModelTypeDefinition }[] {
  return MODEL_TYPES;
}

/** The encoder's layer modules (what adapters count as layers) and the module each layer of the forward runs. */
export function layerModules(config: EncoderConfig): LayerModules {
  return familyDefinition(config.family).layerModules(config);
}

/** ", sharing 1 layer module" when layers share their modules (ALBERT), else "" (for messages). */
export function layerSharingNote(config: EncoderConfig): string {
  const { paths, runs } = layerModules(config);
  return paths.length === runs.length ? '' : `, sharing ${paths.length} layer module${paths.length === 1 ? '' : 's'}`;
}

/** Whether the embeddings pass through an embedding → hidden Linear (ELECTRA when the widths differ; ALBERT always). */
export function hasEmbeddingProjection(config: EncoderConfig): boolean {
  return config.embeddingSize !== config.hiddenSize || familyDefinition(config.family).alwaysProjectsEmbeddings;
}
