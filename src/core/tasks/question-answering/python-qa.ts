/**
 * The question-answering parts of "continue in Python"'s train.py: rows read as the studio reads them (SQuAD's
 * answers cell), features made as transformers' run_qa.py makes them (prepare_train_features /
 * prepare_validation_features, with the studio's bounded start / end scans), the predictions turned back into
 * text as utils_qa.postprocess_qa_predictions does (SQuAD v1), scored with `evaluate`'s "squad" metric, and the
 * adapter with its question-answering head (load_adapter; `--new-head` starts one with add_qa_head) trained with
 * AdapterTrainer.
 */

import { TO_TEXT, mainArguments, trainerAndTail } from '../../export/train-script-parts.ts';

/** to_text, to_answers and is_usable (the rows the studio keeps). */
export const QA_ROW_HELPERS = `${TO_TEXT}def to_answers(value):
    """SQuAD's answers cell as {"text": [...], "answer_start": [...]}, or None when the studio skips the row."""
    if isinstance(value, str):
        import json

        try:
            value = json.loads(value)
        except ValueError:
            return None
    if isinstance(value, list):
        value = {"text": [a.get("text") for a in value], "answer_start": [a.get("answer_start") for a in value]}
    if not isinstance(value, dict):
        return None

    def as_list(cell):
        return cell if isinstance(cell, list) else [] if cell is None else [cell]

    texts, starts = as_list(value.get("text")), as_list(value.get("answer_start"))
    if len(texts) != len(starts) or not all(isinstance(t, str) for t in texts):
        return None
    if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in starts):
        return None
    return {"text": texts, "answer_start": starts}


def is_usable(example):
    return (
        to_text(example[TEXT_COLUMN]) is not None
        and to_text(example[TEXT_PAIR_COLUMN]) is not None
        and to_answers(example[LABEL_COLUMN]) is not None
    )


`;

/** metrics, features, postprocessing and main() of the QA train.py. */
export function questionAnsweringMain(name: string, lengthArg: string): string {
  return `def answer_labels(tokenizer, features, answers):
    """run_qa's start / end positions: the first answer's tokens, or the CLS index when the window lacks it."""
    starts, ends = [], []
    for i, offsets in enumerate(features["offset_mapping"]):
        input_ids = features["input_ids"][i]
        cls_index = input_ids.index(tokenizer.cls_token_id) if tokenizer.cls_token_id in input_ids else 0
        sequence_ids = features.sequence_ids(i)
        answer = answers[features["overflow_to_sample_mapping"][i]]
        first = sequence_ids.index(1)
        last = len(sequence_ids) - 1 - sequence_ids[::-1].index(1)
        if not answer["answer_start"]:
            starts.append(cls_index)
            ends.append(cls_index)
            continue
        start_char = answer["answer_start"][0]
        end_char = start_char + len(answer["text"][0])
        if not (offsets[first][0] <= start_char and offsets[last][1] >= end_char):
            starts.append(cls_index)
            ends.append(cls_index)
            continue
        # As run_qa, with the scans kept inside the window's context tokens (the studio does the same).
        start, end = first, last
        while start <= last and offsets[start][0] <= start_char:
            start += 1
        while end >= first and offsets[end][1] >= end_char:
            end -= 1
        starts.append(start - 1)
        ends.append(end + 1)
    return starts, ends


def features_function(tokenizer, training):
    """run_qa's prepare_train_features (training) or prepare_validation_features."""

    def prepare(batch):
        questions = [q.lstrip() for q in batch[TEXT_COLUMN]]
        features = tokenizer(
            questions,
            batch[TEXT_PAIR_COLUMN],
            truncation="only_second",
            max_length=MAX_LENGTH,
            stride=DOC_STRIDE,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            padding="max_length",
        )
        if training:
            features["start_positions"], features["end_positions"] = answer_labels(tokenizer, features, [to_answers(a) for a in batch[LABEL_COLUMN]])
            features.pop("offset_mapping")
        else:
            features["example_id"] = [batch["__row"][i] for i in features["overflow_to_sample_mapping"]]
            features["offset_mapping"] = [
                [o if features.sequence_ids(i)[k] == 1 else None for k, o in enumerate(offsets)]
                for i, offsets in enumerate(features["offset_mapping"])
            ]
        features.pop("overflow_to_sample_mapping")
        return features

    return prepare


def best_answer(start_logits, end_logits, offsets, n_best=N_BEST, max_answer_length=MAX_ANSWER_LENGTH):
    """The candidates of one window (utils_qa.postprocess_qa_predictions): (score, start_char, end_char)."""

    def top(values):
        return sorted(range(len(values)), key=lambda i: (-values[i], i))[:n_best]

    spans = []
    for s in top(start_logits):
        for e in top(end_logits):
            if s >= len(offsets) or e >= len(offsets) or offsets[s] is None or offsets[e] is None:
                continue
            if e < s or e - s + 1 > max_answer_length:
                continue
            spans.append((float(start_logits[s] + end_logits[e]), offsets[s][0], offsets[e][1]))
    return spans


def metrics_function(examples, features):
    """SQuAD's exact match and F1 of each example's best span over its windows."""
    import evaluate

    squad = evaluate.load("squad")

    def compute(prediction):
        start_logits, end_logits = prediction.predictions[:2]
        spans = {}
        for i, row in enumerate(features["example_id"]):
            spans.setdefault(row, []).extend(best_answer(start_logits[i], end_logits[i], features["offset_mapping"][i]))
        predictions, references = [], []
        for example in examples:
            row = example["__row"]
            candidates = sorted(spans.get(row, []), key=lambda c: -c[0])[:N_BEST]
            text = example[TEXT_PAIR_COLUMN][candidates[0][1] : candidates[0][2]] if candidates else ""
            predictions.append({"id": str(row), "prediction_text": text or "empty"})
            answers = to_answers(example[LABEL_COLUMN])
            references.append({"id": str(row), "answers": {"text": answers["text"], "answer_start": answers["answer_start"]}})
        return squad.compute(predictions=predictions, references=references)

    return compute


${mainArguments('question-answering head (add_qa_head)')}
    from adapters import AdapterTrainer, AutoAdapterModel
    from transformers import AutoTokenizer, EarlyStoppingCallback, TrainingArguments, default_data_collator

    tokenizer = AutoTokenizer.from_pretrained(BASE_MODEL)
    train, validation = load_splits()
    train = train.map(lambda _, i: {"__row": i}, with_indices=True)
    validation = validation.map(lambda _, i: {"__row": i}, with_indices=True)
    train_features = train.map(features_function(tokenizer, True), batched=True, remove_columns=train.column_names)
    validation_features = validation.map(features_function(tokenizer, False), batched=True, remove_columns=validation.column_names)

    model = AutoAdapterModel.from_pretrained(BASE_MODEL)
    name = model.load_adapter(ADAPTER_DIR, set_active=True)  # adapter ${JSON.stringify(name)} and its question-answering head
    if args.new_head:
        model.add_qa_head(name, num_labels=2, layers=1, activation_function="tanh", overwrite_ok=True)
    model.train_adapter(name)  # freezes the base model; the adapter and the head train

${trainerAndTail(lengthArg, { train: 'train_features', validation: 'validation_features.remove_columns(["example_id", "offset_mapping"])', collator: 'default_data_collator', metrics: 'metrics_function(validation, validation_features)' }, '        label_names=["start_positions", "end_positions"],\n')}`;
}
