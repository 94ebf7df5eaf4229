/** The adapter non-linearities' names (activation-names.ts); the formulas on tensors are `applyActivation` in src/core/ops.ts. */
export { ACTIVATIONS, type Activation, activationNamed } from './activation-names.ts';
