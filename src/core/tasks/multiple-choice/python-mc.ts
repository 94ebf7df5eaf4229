/**
 * train.py's multiple-choice parts: rows usable as the studio reads them (context, header and every choice a
 * text, a label that is a choice's index), run_swag.py's pairs and its DataCollatorForMultipleChoice, accuracy,
 * and main() with the studio's MultipleChoiceHead (or a fresh one from add_multiple_choice_head).
 */
import { TO_LABEL, TO_TEXT, mainArguments, trainerAndTail } from '../../export/train-script-parts.ts';

/** to_label / to_text as for classification, is_usable over all the texts, and choice_pairs. */
export const MC_ROW_HELPERS = `${TO_LABEL}${TO_TEXT}def is_usable(example):
    texts = [example[TEXT_COLUMN]] + ([example[TEXT_PAIR_COLUMN]] if TEXT_PAIR_COLUMN else []) + [example[c] for c in CHOICE_COLUMNS]
    return all(to_text(t) is not None for t in texts) and to_label(example[LABEL_COLUMN]) is not None


def choice_pairs(context, header, choices):
    """run_swag's pairs: the context once per choice first, "{header} {choice}" second (the choice alone without a header)."""
    return [context] * len(choices), [choice if header is None else f"{header} {choice}" for choice in choices]


`;

/** accuracy over examples, the collator, and main(); `head` (head_config's config) for --new-head's add_multiple_choice_head. */
export function multipleChoiceMain(name: string, lengthArg: string, head: Record<string, unknown>): string {
  const activation = head.activation_function === null || head.activation_function === undefined ? 'None' : JSON.stringify(head.activation_function);
  return `class MultipleChoiceCollator:
    """run_swag's DataCollatorForMultipleChoice: every pair padded to the batch's longest, viewed as [batch, choices, seq]."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    def __call__(self, features):
        import torch

        labels = [feature.pop("labels") for feature in features]
        choices = len(features[0]["input_ids"])
        flat = [{k: v[i] for k, v in feature.items()} for feature in features for i in range(choices)]
        batch = self.tokenizer.pad(flat, padding=True, return_tensors="pt")
        batch = {k: v.view(len(features), choices, -1) for k, v in batch.items()}
        batch["labels"] = torch.tensor(labels, dtype=torch.int64)
        return batch


def metrics_function():
    import evaluate
    import numpy as np

    accuracy = evaluate.load("accuracy")

    def compute(prediction):
        predicted = np.argmax(prediction.predictions, axis=-1)
        return {"accuracy": accuracy.compute(predictions=predicted, references=prediction.label_ids)["accuracy"]}

    return compute


${mainArguments('multiple-choice head (add_multiple_choice_head)')}
    from adapters import AdapterTrainer, AutoAdapterModel
    from transformers import AutoTokenizer, EarlyStoppingCallback, TrainingArguments

    tokenizer = AutoTokenizer.from_pretrained(BASE_MODEL)

    def encode(batch):
        firsts, seconds = [], []
        for i in range(len(batch[LABEL_COLUMN])):
            header = to_text(batch[TEXT_PAIR_COLUMN][i]) if TEXT_PAIR_COLUMN else None
            first, second = choice_pairs(to_text(batch[TEXT_COLUMN][i]), header, [to_text(batch[c][i]) for c in CHOICE_COLUMNS])
            firsts += first
            seconds += second
        encoded = tokenizer(firsts, seconds, truncation=True, max_length=MAX_LENGTH)
        n = len(CHOICE_COLUMNS)
        features = {k: [v[i : i + n] for i in range(0, len(v), n)] for k, v in encoded.items()}
        features["labels"] = [to_label(v) for v in batch[LABEL_COLUMN]]
        return features

    train, validation = load_splits()
    train = train.map(encode, batched=True, remove_columns=train.column_names)
    validation = validation.map(encode, batched=True, remove_columns=validation.column_names)

    model = AutoAdapterModel.from_pretrained(BASE_MODEL)
    name = model.load_adapter(ADAPTER_DIR, set_active=True)  # adapter ${JSON.stringify(name)} and its multiple-choice head
    if args.new_head:
        model.add_multiple_choice_head(name, num_choices=${Number(head.num_choices)}, layers=${Number(head.layers)}, activation_function=${activation}, overwrite_ok=True)
    model.train_adapter(name)  # freezes the base model; the adapter and the head train

${trainerAndTail(lengthArg, { train: 'train', validation: 'validation', collator: 'MultipleChoiceCollator(tokenizer)', metrics: 'metrics_function()' })}`;
}
