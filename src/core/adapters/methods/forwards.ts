/**
 * The tfjs half of the method registry: each family's hooks (methods/<family>.forward.ts), one line a family (the
 * type makes every family of METHOD_FAMILIES have one). createAdapter (adapter.ts) composes the hooks of the
 * families an adapter uses in this order: LoRA's projection, the bottlenecks' attentionOutput / ffnOutput, prefix
 * tuning's attentionPrefix, prompt tuning's embeddingsOutput. Each hook point has at most one family.
 */
import { bottleneckHooks } from './bottleneck.forward.ts';
import type { FamilyHooks, ForwardContext } from './forward-context.ts';
import { loraHooks } from './lora.forward.ts';
import { prefixHooks } from './prefix-tuning.forward.ts';
import { promptHooks } from './prompt-tuning.forward.ts';
import type { FamilyModules, FamilyName } from './registry.ts';

export const FAMILY_HOOKS: { [K in FamilyName]: (ctx: ForwardContext, modules: FamilyModules[K]) => FamilyHooks } = {
  lora: loraHooks,
  bottleneck: bottleneckHooks,
  prefix_tuning: prefixHooks,
  prompt_tuning: promptHooks,
};
