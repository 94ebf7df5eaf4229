/** The words the page and the worker share about a loaded encoder. Types only: importing this file pulls in no tensors. */
import type { TokenizerSource } from '../model/tokenizer.ts';
import type { WeightFormat } from '../model/weights.ts';

/** What the page shows about a loaded encoder. */
export interface LoadedModelInfo {
  repoId: string;
  /** The branch, tag, commit id or pull request loaded; absent for main. */
  revision?: string;
  /** config.json's model_type, e.g. "bert". */
  modelType: string;
  /** Transformer layers. */
  layers: number;
  /** Width of the residual stream. */
  hidden: number;
  /** Longest input in tokens. */
  maxLength: number;
  /** Parameters of the base model, counted from its tensors. */
  parameters: number;
  /** Bytes of the weight files. */
  downloadBytes: number;
  /** Bytes fetched from the network this time (0 when Cache Storage had every file). */
  networkBytes: number;
  /** Checkpoint layout read. */
  format: WeightFormat;
  /** Stored dtypes of the weights, e.g. ["F32"]. */
  dtypes: string[];
  /** tfjs backend the weights live on ("webgpu", "wasm", "cpu"). */
  backend: string;
  /** The repo file(s) the tokenizer was built from (tokenizer.json, or slow files converted in memory). */
  tokenizerSource: TokenizerSource;
}
