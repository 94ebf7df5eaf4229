/**
 * From the Adapter step's choice (a preset and a few knobs) to the `adapters` library's config, and back to the
 * knobs' values, and the description the step shows: the config, adapter_summary on the chosen model, the head's
 * size and whether PEFT can hold the method. Computed from configs alone, before any weights are downloaded.
 */
import {
  ADAPTER_PRESETS, type AdapterConfig, type AdapterMethodConfig, type BnConfig, type LoRAConfig, type PrefixTuningConfig, type PromptTuningConfig,
  architectureOf, isUnion, methodConfigs, resolveAdapterConfig,
} from '../core/adapters/config.ts';
import { planHead } from '../core/adapters/head.ts';
import { elementCount } from '../core/adapters/parameters.ts';
import { adapterSummary, adapterSummaryRows } from '../core/adapters/summary.ts';
import { peftSupport } from '../core/export/peft.ts';
import { headOptionsOf } from '../core/train/dataset-run.ts';
import type { AdapterChoice, AdapterKnobs } from '../core/vocabulary/adapter.ts';
import type { AdapterDescriptionEvent, DescribeAdapterCommand } from './protocol.ts';

/** Fields set only when the choice gives them. */
const defined = <T extends object>(fields: T): Partial<T> => Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;

/** One member of the method with the choice's knobs that exist for it. */
function withKnobs(member: AdapterMethodConfig, choice: AdapterChoice): AdapterMethodConfig {
  switch (architectureOf(member)) {
    case 'bottleneck':
      return { ...(member as BnConfig), ...defined({ reduction_factor: choice.reductionFactor, non_linearity: choice.nonLinearity, dropout: choice.dropout, leave_out: choice.leaveOut }) };
    case 'lora': {
      const lora = member as LoRAConfig;
      // (IA)³ is LoRA's "scale" mode: rank 1 and no dropout, by definition.
      const knobs = lora.composition_mode === 'scale' ? { alpha: choice.alpha, leave_out: choice.leaveOut } : { r: choice.r, alpha: choice.alpha, dropout: choice.dropout, leave_out: choice.leaveOut };
      return { ...lora, ...defined(knobs) };
    }
    case 'prefix_tuning':
      return { ...(member as PrefixTuningConfig), ...defined({ prefix_length: choice.prefixLength, dropout: choice.dropout, leave_out: choice.leaveOut }) };
    case 'prompt_tuning':
      return { ...(member as PromptTuningConfig), ...defined({ prompt_length: choice.promptLength }) };
    default:
      return member;
  }
}

/** The full config of the choice, checked field by field (an AdapterConfigError names the field at fault). */
export function adapterConfigOf(choice: AdapterChoice): AdapterConfig {
  const make = (ADAPTER_PRESETS as Record<string, () => AdapterConfig>)[choice.method];
  if (!make) throw new TypeError(`"${choice.method}" is not an adapter method the studio offers; choose one of ${Object.keys(ADAPTER_PRESETS).join(', ')}.`);
  const preset = make();
  const members = methodConfigs(preset).map((member) => withKnobs(member, choice));
  const config = isUnion(preset) ? { architecture: 'union' as const, configs: members } : members[0];
  return resolveAdapterConfig(config as unknown as Record<string, unknown>);
}

/** The values of the knobs the config has: the first member that has each knob gives it. */
export function knobsOf(config: AdapterConfig): AdapterKnobs {
  const knobs: AdapterKnobs = { leaveOut: [] };
  const first = <K extends keyof AdapterKnobs>(key: K, value: AdapterKnobs[K] | undefined) => {
    if (knobs[key] === undefined && value !== undefined) knobs[key] = value;
  };
  for (const member of methodConfigs(config)) {
    switch (architectureOf(member)) {
      case 'bottleneck': {
        const bn = member as BnConfig;
        if (typeof bn.reduction_factor === 'number') first('reductionFactor', bn.reduction_factor);
        first('nonLinearity', bn.non_linearity);
        first('dropout', bn.dropout);
        break;
      }
      case 'lora': {
        const lora = member as LoRAConfig;
        if (lora.composition_mode !== 'scale') {
          first('r', lora.r);
          first('dropout', lora.dropout);
        }
        first('alpha', lora.alpha);
        break;
      }
      case 'prefix_tuning': {
        const prefix = member as PrefixTuningConfig;
        first('prefixLength', prefix.prefix_length);
        first('dropout', prefix.dropout);
        break;
      }
      case 'prompt_tuning':
        first('promptLength', (member as PromptTuningConfig).prompt_length);
        break;
      default:
    }
    if ('leave_out' in member && member.leave_out.length && !knobs.leaveOut.length) knobs.leaveOut = [...member.leave_out];
  }
  return knobs;
}

/** The Adapter step's description of a choice on a model (summary and head size only when the model's config is given). */
export function describeAdapter(command: Omit<DescribeAdapterCommand, 'type' | 'id'>): Omit<AdapterDescriptionEvent, 'type' | 'replyTo'> {
  const config = adapterConfigOf(command.choice);
  const name = command.name ?? 'adapter';
  const head = command.encoder && command.head && (command.head.task === 'regression' || command.head.labels.length >= 2)
    ? planHead(command.encoder, name, headOptionsOf({ task: command.head.task, labelNames: command.head.labels }))
    : undefined;
  return {
    config: config as unknown as Record<string, unknown>,
    knobs: knobsOf(config),
    ...(command.encoder
      ? {
        summary: {
          rows: adapterSummaryRows(config, command.encoder, { name }),
          text: adapterSummary(config, command.encoder, { name }),
          ...(head ? { headParameters: head.params.reduce((sum, p) => sum + elementCount(p.shape), 0) } : {}),
        },
      }
      : {}),
    peft: peftSupport(config, { modelType: command.encoder?.modelType, head: head?.config as Record<string, unknown> | undefined }),
  };
}
