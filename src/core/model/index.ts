/** Encoders from the Hub: config, weights, tokenizer glue, forward pass. */
export { type EncoderConfig, type EncoderFamily, type HiddenAct, SUPPORTED_MODEL_TYPES, estimateMemoryBytes, estimateParameters, parseEncoderConfig } from './config.ts';
export {
  type EncoderHooks, type EncoderLayerWeights, type EncoderOutput, type EncoderWeights, type LayerNormFn, type Linear, type Norm, type ProjectionName,
  encoderForward, uploadEncoderWeights,
} from './encoder.ts';
export {
  CorruptWeightsError, IncompatibleWeightsError, ModelLoadError, type ModelLoadReason, NoWeightsError, UnsafePickleError, UnsupportedModelError,
} from './errors.ts';
export { fetchEncoderConfig } from './hub-files.ts';
export { type EncoderInfo, type LoadEncoderOptions, type LoadProgress, type LoadedEncoder, loadEncoder } from './load-encoder.ts';
export { readSafetensors } from './safetensors.ts';
export type { StoredTensor, StoredTensors } from './stored-tensor.ts';
export { type EncodeOptions, type EncodedBatch, type EncoderTokenizer, type TokenizerSource, createEncoderTokenizer, loadTokenizer } from './tokenizer.ts';
export { readTorchBin } from './torch-bin-reader.ts';
export { CacheStorageWeightCache, MemoryWeightCache, WEIGHT_CACHE_NAME, type WeightCache, defaultWeightCache, weightCacheKey } from './weight-cache.ts';
export {
  type HostTensor, type HostWeights, type LoadedWeights, type WeightFormat, type WeightLoadOptions, type WeightProgress,
  canonicalTensorName, expectedTensors, loadEncoderWeights, selectEncoderTensors,
} from './weights.ts';
