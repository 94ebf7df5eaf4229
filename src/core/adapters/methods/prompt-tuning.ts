/**
 * Prompt tuning (PromptTuningConfig): config schema and defaults, the prompt embedding's parameter
 * (methods/prompt_tuning.py), the Adapter step's knob, and PEFT (none).
 */
import type { EncoderConfig } from '../../model/config.ts';
import type { ModelLayout } from '../locations.ts';
import type { ParamList } from '../param-list.ts';
import type { ParamInit, ParamSpec } from '../parameters.ts';
import { type FamilyPlanning, type MethodFamily, type PlanContext, defined } from './family.ts';
import { type Schema, nullable, oneOf, ordered, positiveInt, seed, text } from './schema.ts';

export interface PromptTuningConfig {
  architecture: 'prompt_tuning';
  /** Prompt embeddings prepended after the embedding layer. */
  prompt_length: number;
  /** "random_uniform" (U(-0.5, 0.5)) or "from_string" (word embeddings of prompt_init_text). */
  prompt_init: 'random_uniform' | 'from_string';
  /** Text whose tokens initialise the prompt when prompt_init is "from_string". */
  prompt_init_text: string | null;
  /** "prefix": prompt before all tokens; "prefix_after_bos": after the first token. */
  combine: 'prefix' | 'prefix_after_bos';
  /** Fixed init seed; null: the adapter's seed stream. */
  init_weights_seed: number | null;
}

const PROMPT_SCHEMA: Schema<PromptTuningConfig> = {
  architecture: oneOf('prompt_tuning'),
  prompt_length: positiveInt,
  prompt_init: oneOf('random_uniform', 'from_string'),
  prompt_init_text: nullable(text),
  combine: oneOf('prefix', 'prefix_after_bos'),
  init_weights_seed: seed,
};

const PROMPT_DEFAULTS: PromptTuningConfig = {
  architecture: 'prompt_tuning', prompt_length: 10, prompt_init: 'random_uniform', prompt_init_text: null, combine: 'prefix', init_weights_seed: null,
};

/** PromptTuningConfig with the class defaults. */
export const promptTuning = () => ordered(PROMPT_SCHEMA, { ...PROMPT_DEFAULTS });

export const PROMPT_TUNING: MethodFamily<PromptTuningConfig, PromptModule> = {
  architecture: 'prompt_tuning',
  schema: PROMPT_SCHEMA,
  defaults: PROMPT_DEFAULTS,
  check(c, fail) {
    if (c.prompt_init === 'from_string' && !c.prompt_init_text) fail('prompt_init_text', 'must be set when prompt_init is "from_string"');
  },
  kindName: () => 'prompt tuning',
  withKnobs: (c, k) => ({ ...c, ...defined({ prompt_length: k.promptLength }) }),
  knobsOf: (c) => ({ promptLength: c.prompt_length }),
  sliders: {
    promptLength: { label: 'Prompt length', values: [1, 2, 5, 10, 20, 30, 50, 100], help: 'trained input embeddings' },
  },
  peft: () => ({ none: 'PEFT\'s prompt tuning is tied to its own virtual-token setup; it is not converted.' }),
  planner: { slots: [], begin: planPrompt },
};

export interface PromptModule {
  config: PromptTuningConfig;
  /** [prompt_length, embedding] prompt_embedding.weight. */
  embedding: ParamSpec;
}

/** The prompt embedding (PromptTuningLayer), a base-model attribute listed after the layers and the prefix pool. */
/** The prompt embedding has no per-layer part. */
function planPrompt(configs: PromptTuningConfig[], ctx: PlanContext): FamilyPlanning<PromptModule> {
  return {
    atSlot() {},
    finish() {
      const c = ctx.unique(configs, '(two prompt tunings)')!;
      return promptModule(ctx.listFor(c), ctx.layout, ctx.name, c, ctx.encoder);
    },
  };
}

function promptModule(list: ParamList, layout: ModelLayout, name: string, c: PromptTuningConfig, encoder: EncoderConfig): PromptModule {
  const init: ParamInit = c.prompt_init === 'random_uniform' ? { kind: 'uniform', bound: 0.5 } : { kind: 'external' };
  const key = `${layout.base}.prompt_tuning.prompt_tunings.${name}`;
  return { config: c, embedding: list.add(key, 'prompt_embedding.weight', [c.prompt_length, encoder.embeddingSize], init) };
}
