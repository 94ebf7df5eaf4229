/**
 * train.py's multi-label parts: the row helpers that read a list-of-labels cell or several 0/1 columns into float
 * targets as the studio does (label-set.ts), scikit-learn's micro / macro F1 of the labels each threshold
 * predicts, and main() with the adapters library's multilabel head (BCEWithLogitsLoss on float labels).
 */
import { TO_TEXT, mainArguments, trainerAndTail } from '../../export/train-script-parts.ts';

/** to_targets / is_usable: the rows the studio keeps, with their 0/1 targets (floats, as BCEWithLogitsLoss takes). */
export const MULTI_LABEL_ROW_HELPERS = `def binary_value(value):
    """1.0 / 0.0 of a 0/1 label cell (numbers, booleans, "0"/"1", "true"/"false"), else None."""
    if value is True or value == "1" or value == "true" or (not isinstance(value, (str, bool)) and value == 1):
        return 1.0
    if value is False or value == "0" or value == "false" or (not isinstance(value, (str, bool)) and value == 0):
        return 0.0
    return None


def to_targets(example):
    """The 0/1 target per label of a row, or None when the studio skips the row."""
    if LABEL_KIND == "binaryColumns":
        bits = [binary_value(example[c]) if example[c] not in (None, "") else None for c in LABEL_COLUMNS]
        return None if any(b is None for b in bits) else bits
    cell = example[LABEL_COLUMN]
    if not isinstance(cell, (list, tuple)):
        return None
    targets = [0.0] * len(LABELS)
    for item in cell:
        if isinstance(item, str):
            if item not in LABELS:
                return None
            index = LABELS.index(item)
        else:
            try:
                number = float(item)
            except (TypeError, ValueError):
                return None
            if not number.is_integer() or number < 0 or number >= len(LABELS):
                return None
            index = int(number)
        targets[index] = 1.0
    return targets


${TO_TEXT}def is_usable(example):
    texts = [example[TEXT_COLUMN]] + ([example[TEXT_PAIR_COLUMN]] if TEXT_PAIR_COLUMN else [])
    return all(to_text(t) is not None for t in texts) and to_targets(example) is not None


`;

/** compute_metrics and main() of the multi-label script. */
export function multiLabelMain(name: string, lengthArg: string): string {
  return `def metrics_function():
    """Micro and macro F1 (sklearn's f1_score on the indicator matrix) of the labels at or above THRESHOLDS."""
    import numpy as np
    from sklearn.metrics import f1_score

    def compute(prediction):
        logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
        probabilities = 1 / (1 + np.exp(-np.asarray(logits)))
        predicted = (probabilities >= np.asarray(THRESHOLDS)).astype(int)
        targets = np.asarray(prediction.label_ids).astype(int)
        return {
            "micro_f1": f1_score(targets, predicted, average="micro", zero_division=0),
            "macro_f1": f1_score(targets, predicted, average="macro", zero_division=0),
        }

    return compute


${mainArguments()}
    from adapters import AdapterTrainer, AutoAdapterModel
    from transformers import AutoTokenizer, DataCollatorWithPadding, EarlyStoppingCallback, TrainingArguments

    tokenizer = AutoTokenizer.from_pretrained(BASE_MODEL)

    def encode(batch):
        rows = [dict(zip(batch, values)) for values in zip(*batch.values())]
        texts = [to_text(t) for t in batch[TEXT_COLUMN]]
        pairs = [to_text(t) for t in batch[TEXT_PAIR_COLUMN]] if TEXT_PAIR_COLUMN else None
        encoded = tokenizer(texts, pairs, truncation=True, max_length=MAX_LENGTH)
        encoded["labels"] = [to_targets(row) for row in rows]
        return encoded

    train, validation = load_splits()
    train = train.map(encode, batched=True, remove_columns=train.column_names)
    validation = validation.map(encode, batched=True, remove_columns=validation.column_names)

    model = AutoAdapterModel.from_pretrained(BASE_MODEL)
    name = model.load_adapter(ADAPTER_DIR, set_active=True)  # adapter ${JSON.stringify(name)} and its multilabel_classification head
    model.train_adapter(name)  # freezes the base model; the adapter and the head train

${trainerAndTail(lengthArg, { train: 'train', validation: 'validation', collator: 'DataCollatorWithPadding(tokenizer)', metrics: 'metrics_function()' })}`;
}
