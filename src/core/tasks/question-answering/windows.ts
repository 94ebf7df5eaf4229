/**
 * SQuAD preprocessing as transformers' run_qa.py (prepare_train_features / prepare_validation_features) does it:
 * the question (left-stripped) first and the context second, only the context truncated ("only_second"), a long
 * context cut into windows that overlap by `docStride` tokens (return_overflowing_tokens with stride), each token's
 * character offsets kept for the context (None elsewhere), and the first answer's start / end token in each window,
 * or the CLS position (0: [CLS] / <s> comes first in every supported family) when the window does not hold the
 * whole answer. Two deliberate bounds: the question is cut to `maxQuestionTokens` (run_squad's max_query_length
 * 64), so a long question cannot leave no room for the context, and the start / end scans stay inside the
 * window's context tokens (run_qa's loops can run into the [SEP] and question tokens at a window's edge).
 */
import type { EncoderTokenizer } from '../../model/tokenizer.ts';
import type { Answers } from './answers.ts';

/** The tokenizer parts the windows need. */
export type QaTokenizer = Pick<EncoderTokenizer, 'tokenize' | 'tokenizeWithOffsets' | 'assemble' | 'specialTokenCount'>;

export interface WindowOptions {
  /** Tokens per window, special tokens included (run_qa's max_seq_length). */
  maxLength: number;
  /** Context tokens two neighbouring windows share (run_qa's doc_stride). */
  docStride: number;
  /** Most question tokens kept (default 64). */
  maxQuestionTokens?: number;
}

/** One window (a "feature" in run_qa's words). */
export interface QaWindow {
  inputIds: number[];
  tokenTypeIds: number[];
  /** [start, end) code points in the context of each position, two numbers a position; −1, −1 outside the context. */
  offsets: Int32Array;
  /** Answer start and end token (inclusive), 0 / 0 when the window does not hold the answer or there is none. */
  startPosition: number;
  endPosition: number;
}

export const DEFAULT_MAX_QUESTION_TOKENS = 64;

/** run_qa's default doc_stride (128 for 384 tokens), scaled to shorter windows: a third of the window, at most 128. */
export function defaultDocStride(maxLength: number): number {
  return Math.min(128, Math.floor(maxLength / 3));
}

/** The character span of the first answer, [start, end) in code points, or undefined when there is none. */
function firstAnswerSpan(answers: Answers | undefined): [number, number] | undefined {
  if (!answers || answers.answerStart.length === 0) return undefined;
  const start = answers.answerStart[0];
  return [start, start + [...answers.text[0]].length];
}

/** The windows of one question and its context; `answers` labels them (absent when predicting). */
export function questionWindows(tokenizer: QaTokenizer, question: string, context: string, answers: Answers | undefined, options: WindowOptions): QaWindow[] {
  const maxQuestion = options.maxQuestionTokens ?? DEFAULT_MAX_QUESTION_TOKENS;
  const questionTokens = tokenizer.tokenize(question.trimStart()).slice(0, maxQuestion);
  const { tokens: contextTokens, offsets: contextOffsets } = tokenizer.tokenizeWithOffsets(context);
  const budget = options.maxLength - tokenizer.specialTokenCount(true) - questionTokens.length;
  if (budget < 1) {
    throw new RangeError(`A window of ${options.maxLength} tokens holds no context next to a question of ${questionTokens.length} tokens and the ${tokenizer.specialTokenCount(true)} special tokens; raise the maximum length.`);
  }
  if (!(Number.isInteger(options.docStride) && options.docStride >= 0 && options.docStride < budget)) {
    throw new RangeError(`The doc stride (${options.docStride}) must be a whole number below the ${budget} context tokens a window holds (maximum length ${options.maxLength} less the question and special tokens).`);
  }
  const span = firstAnswerSpan(answers);
  const windows: QaWindow[] = [];
  for (let from = 0; ; from += budget - options.docStride) {
    const to = Math.min(from + budget, contextTokens.length);
    const { ids, tokenTypeIds, bStart } = tokenizer.assemble(questionTokens, contextTokens.slice(from, to));
    const offsets = new Int32Array(ids.length * 2).fill(-1);
    offsets.set(contextOffsets.subarray(2 * from, 2 * to), 2 * bStart);
    const first = bStart;
    const last = bStart + (to - from) - 1;
    let startPosition = 0;
    let endPosition = 0;
    if (span && to > from && offsets[2 * first] <= span[0] && offsets[2 * last + 1] >= span[1]) {
      let s = first;
      while (s <= last && offsets[2 * s] <= span[0]) s++;
      let e = last;
      while (e >= first && offsets[2 * e + 1] >= span[1]) e--;
      startPosition = s - 1;
      endPosition = e + 1;
    }
    windows.push({ inputIds: ids, tokenTypeIds, offsets, startPosition, endPosition });
    if (to >= contextTokens.length) break;
  }
  return windows;
}
