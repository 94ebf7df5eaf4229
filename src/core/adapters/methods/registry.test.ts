/** The method registry's own consistency: families under their architecture, offered presets whose sliders do something. */
import { describe, expect, it } from 'vitest';
import { FAMILIES } from '../../model/families/index.ts';
import { resolveAdapterConfig } from '../config.ts';
import { ADAPTER_PRESETS, METHOD_FAMILIES, OFFERED_METHODS, architectureOf, familyOf, methodConfigs } from './registry.ts';

describe('method registry', () => {
  it('files every family under the architecture its configs carry', () => {
    for (const [key, family] of Object.entries(METHOD_FAMILIES)) expect(family.architecture).toBe(key);
    for (const make of Object.values(ADAPTER_PRESETS)) {
      for (const member of methodConfigs(make())) expect(familyOf(member).architecture).toBe(architectureOf(member));
    }
  });

  it('offers presets whose every slider is a knob of one of their members, with its wording from that family', () => {
    for (const [name, info] of Object.entries(OFFERED_METHODS)) {
      const members = methodConfigs(resolveAdapterConfig(name));
      for (const slider of info.sliders) {
        const owners = members.filter((m) => slider in familyOf(m).knobsOf(m) && familyOf(m).sliders[slider]);
        expect(owners.length, `${name}: ${slider}`).toBeGreaterThan(0);
      }
    }
  });

  it('gives every layer slot of every model family to exactly one method family\'s planner', () => {
    for (const [model, definition] of Object.entries(FAMILIES)) {
      for (const slot of definition.adapterInsertionPoints.slots) {
        const owners = Object.values(METHOD_FAMILIES).filter((f) => (f.planner.slots as readonly string[]).includes(slot));
        expect(owners.map((f) => f.architecture), `${model}: ${slot}`).toHaveLength(1);
      }
    }
  });

  it('has class defaults that pass the family schema', () => {
    for (const family of Object.values(METHOD_FAMILIES)) {
      for (const [field, value] of Object.entries(family.defaults)) {
        expect((family.schema as Record<string, (v: unknown) => string | undefined>)[field](value), `${family.architecture}.${field}`).toBeUndefined();
      }
    }
  });
});
