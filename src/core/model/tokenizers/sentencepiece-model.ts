/**
 * Reads a SentencePiece model file (sentencepiece.bpe.model, spm.model, spiece.model): the `ModelProto`
 * protobuf of google/sentencepiece's sentencepiece_model.proto, decoded by protobufjs from the subset of the
 * schema the converters read (field numbers as in that .proto; unknown fields are skipped). The same schema
 * writes models (`writeSentencePieceModel`), for the demo fixtures' spm.model files.
 */
import protobuf from 'protobufjs/light.js';
import { precompiledNormalizer } from './precompiled-charsmap.ts';
import { TokenizerFileError } from './tokenizer-file-error.ts';

/** SentencePiece.Type of the .proto. */
export const PIECE_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

export interface SentencePiece {
  piece: string;
  /** Log probability (Unigram) or negative merge order (BPE). */
  score: number;
  /** One of PIECE_TYPE. */
  type: number;
}

export interface SentencePieceModel {
  pieces: SentencePiece[];
  /** 'unigram' (TrainerSpec.model_type 1, the default) or 'bpe' (2). */
  modelType: 'unigram' | 'bpe';
  unkId: number;
  unkPiece: string;
  byteFallback: boolean;
  /** NormalizerSpec.precompiled_charsmap: the compiled normalisation rules (empty for `identity`). */
  precompiledCharsmap: Uint8Array;
  /** NormalizerSpec.name, e.g. "nmt_nfkc". */
  normalizerName: string;
}

const root = protobuf.Root.fromJSON({
  nested: {
    ModelProto: {
      fields: {
        pieces: { rule: 'repeated', type: 'SentencePiece', id: 1 },
        trainer_spec: { type: 'TrainerSpec', id: 2 },
        normalizer_spec: { type: 'NormalizerSpec', id: 3 },
      },
    },
    SentencePiece: { fields: { piece: { type: 'string', id: 1 }, score: { type: 'float', id: 2 }, type: { type: 'int32', id: 3 } } },
    TrainerSpec: {
      fields: {
        model_type: { type: 'int32', id: 3 },
        vocab_size: { type: 'int32', id: 4 },
        byte_fallback: { type: 'bool', id: 35 },
        unk_id: { type: 'int32', id: 40 },
        unk_piece: { type: 'string', id: 45 },
      },
    },
    NormalizerSpec: { fields: { name: { type: 'string', id: 1 }, precompiled_charsmap: { type: 'bytes', id: 2 } } },
  },
});
const ModelProto = root.lookupType('ModelProto');

interface DecodedModel {
  pieces?: { piece?: string; score?: number; type?: number }[];
  trainer_spec?: { model_type?: number; byte_fallback?: boolean; unk_id?: number; unk_piece?: string };
  normalizer_spec?: { name?: string; precompiled_charsmap?: Uint8Array };
}

export function readSentencePieceModel(bytes: Uint8Array, file: string): SentencePieceModel {
  let m: DecodedModel;
  try {
    m = ModelProto.toObject(ModelProto.decode(bytes), { defaults: false }) as DecodedModel;
  } catch (err) {
    throw new TokenizerFileError(`is not a SentencePiece model (${(err as Error).message})`, file, { cause: err });
  }
  const pieces = (m.pieces ?? []).map((p) => ({ piece: p.piece ?? '', score: p.score ?? 0, type: p.type ?? PIECE_TYPE.NORMAL }));
  if (pieces.length === 0) throw new TokenizerFileError('holds no pieces, so it is not a SentencePiece model', file);
  const modelType = m.trainer_spec?.model_type ?? 1;
  if (modelType !== 1 && modelType !== 2) {
    throw new TokenizerFileError(`is a SentencePiece ${modelType === 3 ? 'word' : modelType === 4 ? 'char' : `type-${modelType}`} model; only Unigram and BPE models have fast equivalents`, file);
  }
  // Defaults of the .proto for fields an older writer left out.
  const unkId = m.trainer_spec?.unk_id ?? 0;
  if (!Number.isInteger(unkId) || unkId < 0 || unkId >= pieces.length) {
    throw new TokenizerFileError(`gives unk_id ${unkId}, outside its ${pieces.length} pieces`, file);
  }
  const precompiledCharsmap = m.normalizer_spec?.precompiled_charsmap ?? new Uint8Array(0);
  if (precompiledCharsmap.length > 0) precompiledNormalizer(precompiledCharsmap, file);
  return {
    pieces,
    modelType: modelType === 1 ? 'unigram' : 'bpe',
    unkId,
    unkPiece: m.trainer_spec?.unk_piece ?? '<unk>',
    byteFallback: m.trainer_spec?.byte_fallback ?? false,
    precompiledCharsmap,
    normalizerName: m.normalizer_spec?.name ?? 'nmt_nfkc',
  };
}

/** Encodes a model as a `ModelProto` with the fields `readSentencePieceModel` reads. */
export function writeSentencePieceModel(model: SentencePieceModel): Uint8Array {
  const message = ModelProto.fromObject({
    pieces: model.pieces,
    trainer_spec: { model_type: model.modelType === 'unigram' ? 1 : 2, vocab_size: model.pieces.length, byte_fallback: model.byteFallback, unk_id: model.unkId, unk_piece: model.unkPiece },
    normalizer_spec: { name: model.normalizerName, precompiled_charsmap: model.precompiledCharsmap },
  });
  return ModelProto.encode(message).finish();
}
