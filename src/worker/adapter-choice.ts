/**
 * From the Adapter step's choice (a preset and a few knobs) to the `adapters` library's config, and back to the
 * knobs' values, and the description the step shows: the config, adapter_summary on the chosen model, the head's
 * size and whether PEFT can hold the method. Computed from configs alone, before any weights are downloaded.
 */
import { type AdapterConfig, resolveAdapterConfig } from '../core/adapters/config.ts';
import { planHead } from '../core/adapters/head.ts';
import { ADAPTER_PRESETS, familyOf, isUnion, methodConfigs } from '../core/adapters/methods/registry.ts';
import { elementCount } from '../core/adapters/parameters.ts';
import { adapterSummary, adapterSummaryRows } from '../core/adapters/summary.ts';
import { peftSupport } from '../core/export/peft.ts';
import { headOptionsOf } from '../core/train/dataset-run.ts';
import type { AdapterChoice, AdapterKnobs } from '../core/vocabulary/adapter.ts';
import type { AdapterDescriptionEvent, DescribeAdapterCommand } from './protocol.ts';

/** The full config of the choice, checked field by field (an AdapterConfigError names the field at fault). */
export function adapterConfigOf(choice: AdapterChoice): AdapterConfig {
  const make = (ADAPTER_PRESETS as Record<string, () => AdapterConfig>)[choice.method];
  if (!make) throw new TypeError(`"${choice.method}" is not an adapter method the studio offers; choose one of ${Object.keys(ADAPTER_PRESETS).join(', ')}.`);
  const preset = make();
  // Each member takes the knobs its family has (MAM's reduction factor goes to its parallel adapter).
  const members = methodConfigs(preset).map((member) => familyOf(member).withKnobs(member, choice));
  const config = isUnion(preset) ? { architecture: 'union' as const, configs: members } : members[0];
  return resolveAdapterConfig(config as unknown as Record<string, unknown>);
}

/** The values of the knobs the config has: the first member that has each knob gives it. */
export function knobsOf(config: AdapterConfig): AdapterKnobs {
  const knobs: AdapterKnobs = { leaveOut: [] };
  for (const member of methodConfigs(config)) {
    for (const [key, value] of Object.entries(familyOf(member).knobsOf(member)) as [keyof AdapterKnobs, never][]) {
      if (knobs[key] === undefined && value !== undefined) knobs[key] = value;
    }
    if ('leave_out' in member && member.leave_out.length && !knobs.leaveOut.length) knobs.leaveOut = [...member.leave_out];
  }
  return knobs;
}

/** The Adapter step's description of a choice on a model (summary and head size only when the model's config is given). */
export function describeAdapter(command: Omit<DescribeAdapterCommand, 'type' | 'id'>): Omit<AdapterDescriptionEvent, 'type' | 'replyTo'> {
  const config = adapterConfigOf(command.choice);
  const name = command.name ?? 'adapter';
  const head = command.encoder && command.head && (command.head.task !== 'classification' || command.head.labels.length >= 2)
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
