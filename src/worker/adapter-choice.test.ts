/**
 * The Adapter step's knobs ↔ the library's configs, per method family: each member of a preset takes the knobs its
 * family has and no other, and reports its values back (the first member having a knob gives it). Expected values
 * are the `adapters` library's preset definitions (configuration/adapter_config.py).
 */
import { describe, expect, it } from 'vitest';
import { resolveAdapterConfig } from '../core/adapters/config.ts';
import type { BnConfig, ConfigUnion, LoRAConfig, PrefixTuningConfig, PromptTuningConfig } from '../core/adapters/config.ts';
import { adapterConfigOf, knobsOf } from './adapter-choice.ts';

describe('knobsOf', () => {
  it('reads each member\'s own knobs, the first member winning', () => {
    // UniPELT = PrefixTuningConfig(prefix_length=10) | SeqBnConfig(reduction_factor=16) | LoRAConfig(r=8, alpha=2), all gated.
    expect(knobsOf(resolveAdapterConfig('unipelt'))).toEqual({ leaveOut: [], prefixLength: 10, dropout: 0, reductionFactor: 16, nonLinearity: 'relu', r: 8, alpha: 2 });
    // IA3Config: no rank and no dropout to show, only alpha.
    expect(knobsOf(resolveAdapterConfig('ia3'))).toEqual({ leaveOut: [], alpha: 1 });
    expect(knobsOf(resolveAdapterConfig('prompt_tuning'))).toEqual({ leaveOut: [], promptLength: 10 });
    // A per-layer reduction factor has no single slider value.
    expect(knobsOf(resolveAdapterConfig("seq_bn[reduction_factor={'0': 4, 'default': 8}, leave_out=[1]]"))).toEqual({ leaveOut: [1], nonLinearity: 'relu', dropout: 0 });
  });
});

describe('adapterConfigOf', () => {
  it('gives every member of a union the knobs its family has', () => {
    const config = adapterConfigOf({ method: 'unipelt', r: 4, alpha: 16, reductionFactor: 8, prefixLength: 5, promptLength: 7, dropout: 0.1, nonLinearity: 'gelu', leaveOut: [0] }) as ConfigUnion;
    const [prefix, bn, lora] = config.configs as [PrefixTuningConfig, BnConfig, LoRAConfig];
    expect(prefix).toMatchObject({ prefix_length: 5, dropout: 0.1, leave_out: [0], bottleneck_size: 512, use_gating: true });
    expect(bn).toMatchObject({ reduction_factor: 8, non_linearity: 'gelu', dropout: 0.1, leave_out: [0], use_gating: true });
    expect(lora).toMatchObject({ r: 4, alpha: 16, dropout: 0.1, leave_out: [0], use_gating: true });
  });

  it('keeps (IA)³ at rank 1 without dropout and prompt tuning without layers', () => {
    expect(adapterConfigOf({ method: 'ia3', r: 4, dropout: 0.2, alpha: 3, leaveOut: [1] })).toMatchObject({ composition_mode: 'scale', r: 1, dropout: 0, alpha: 3, leave_out: [1] });
    const prompt = adapterConfigOf({ method: 'prompt_tuning', promptLength: 3, leaveOut: [1], dropout: 0.3 }) as PromptTuningConfig;
    expect(prompt).toEqual({ ...(resolveAdapterConfig('prompt_tuning') as PromptTuningConfig), prompt_length: 3 });
  });

  it('leaves unset knobs at the preset\'s values', () => {
    expect(adapterConfigOf({ method: 'compacter' })).toEqual(resolveAdapterConfig('compacter'));
    expect(adapterConfigOf({ method: 'mam', reductionFactor: 4 })).toEqual(resolveAdapterConfig('prefix_tuning[bottleneck_size=800]|par_bn[reduction_factor=4]'));
  });
});
