/**
 * The token-classification parts of "continue in Python"'s train.py: rows read as the studio reads them (a list of
 * words and a tag per word, ids or names), features made as transformers' run_ner.py makes them
 * (is_split_into_words, the first token of each word labelled, −100 elsewhere), scored as the studio scores them
 * (seqeval's strict IOB2 entity F1, IO runs for tags without prefixes, and token accuracy), and the adapter with its
 * tagging head (load_adapter; `--new-head` starts one with add_tagging_head) trained with AdapterTrainer.
 */
import { mainArguments, trainerAndTail } from '../../export/train-script-parts.ts';

/** Model types whose byte-level BPE needs add_prefix_space for pre-split words (run_ner's list, with DeBERTa v1's GPT-2 BPE). */
const PREFIX_SPACE_TYPES = new Set(['roberta', 'deberta', 'gpt2', 'bloom', 'longformer']);

/** train.py's tagging constant: whether the tokenizer is loaded with add_prefix_space. */
export function taggingConstants(modelType: string): [string, string, string?][] {
  return [['ADD_PREFIX_SPACE', PREFIX_SPACE_TYPES.has(modelType) ? 'True' : 'False', 'byte-level BPE tokenizers need it for words given one by one (run_ner)']];
}

/** to_words, to_tags and is_usable (the rows the studio keeps). */
export const TAG_ROW_HELPERS = `def to_words(value):
    """The words of a cell (a list of strings; numbers read as text), or None when the studio skips the row."""
    if not isinstance(value, list) or not value:
        return None
    if not all(isinstance(w, (str, int, float)) and not isinstance(w, bool) for w in value):
        return None
    return [w if isinstance(w, str) else str(w) for w in value]


def to_tags(value, words):
    """A tag id per word (ClassLabel ids, or names looked up in LABELS), or None when the studio skips the row."""
    if not isinstance(value, list) or not value or words is None or len(value) != len(words):
        return None
    tags = []
    for tag in value:
        if isinstance(tag, str):
            tag = LABELS.index(tag) if tag in LABELS else None
        elif isinstance(tag, bool) or not isinstance(tag, int):
            tag = None
        if tag is None or tag < 0 or tag >= len(LABELS):
            return None
        tags.append(tag)
    return tags


def is_usable(example):
    return to_tags(example[LABEL_COLUMN], to_words(example[TEXT_COLUMN])) is not None


`;

/** Scoring, features and main() of the tagging train.py. */
export function taggingMain(name: string, lengthArg: string): string {
  return `def align_labels(word_ids, tags):
    """run_ner's tokenize_and_align_labels: the tag at each word's first token, -100 elsewhere."""
    labels, previous = [], None
    for word in word_ids:
        labels.append(-100 if word is None or word == previous else tags[word])
        previous = word
    return labels


def is_iob2(names):
    return any(n.startswith("B-") for n in names) and all(n == "O" or (len(n) > 2 and n[:2] in ("B-", "I-")) for n in names)


def entities(tags, iob2):
    """seqeval's strict IOB2 entities (B-X then I-X...), or runs of one tag for tags without prefixes: (type, start, end)."""
    found, i = [], 0
    while i < len(tags):
        tag = tags[i]
        if (not tag.startswith("B-")) if iob2 else tag == "O":
            i += 1
            continue
        kind = tag[2:] if iob2 else tag
        inside = "I-" + kind if iob2 else tag
        end = i + 1
        while end < len(tags) and tags[end] == inside:
            end += 1
        found.append((kind, i, end))
        i = end
    return found


def entity_scores(gold, predicted):
    """Entity precision / recall / F1 (micro, as seqeval mode="strict", scheme=IOB2) and token accuracy over sentences."""
    iob2 = is_iob2(LABELS)
    correct = gold_count = predicted_count = right = total = 0
    for g, p in zip(gold, predicted):
        right += sum(a == b for a, b in zip(g, p))
        total += len(g)
        gold_entities, predicted_entities = set(entities(g, iob2)), set(entities(p, iob2))
        correct += len(gold_entities & predicted_entities)
        gold_count += len(gold_entities)
        predicted_count += len(predicted_entities)
    precision = correct / predicted_count if predicted_count else 0.0
    recall = correct / gold_count if gold_count else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"entity_precision": precision, "entity_recall": recall, "entity_f1": f1, "token_accuracy": right / total if total else float("nan")}


def metrics_function():
    import numpy as np

    def compute(prediction):
        predicted = np.argmax(prediction.predictions, axis=-1)
        gold_tags, predicted_tags = [], []
        for labels, guesses in zip(prediction.label_ids, predicted):
            kept = [(LABELS[l], LABELS[g]) for l, g in zip(labels, guesses) if l != -100]
            gold_tags.append([a for a, _ in kept])
            predicted_tags.append([b for _, b in kept])
        return entity_scores(gold_tags, predicted_tags)

    return compute


${mainArguments('tagging head (add_tagging_head)')}
    from adapters import AdapterTrainer, AutoAdapterModel
    from transformers import AutoTokenizer, DataCollatorForTokenClassification, EarlyStoppingCallback, TrainingArguments

    tokenizer = AutoTokenizer.from_pretrained(BASE_MODEL, **({"add_prefix_space": True} if ADD_PREFIX_SPACE else {}))

    def encode(batch):
        words = [to_words(w) for w in batch[TEXT_COLUMN]]
        encoded = tokenizer(words, is_split_into_words=True, truncation=True, max_length=MAX_LENGTH)
        encoded["labels"] = [align_labels(encoded.word_ids(i), to_tags(t, w)) for i, (t, w) in enumerate(zip(batch[LABEL_COLUMN], words))]
        return encoded

    train, validation = load_splits()
    train = train.map(encode, batched=True, remove_columns=train.column_names)
    validation = validation.map(encode, batched=True, remove_columns=validation.column_names)

    model = AutoAdapterModel.from_pretrained(BASE_MODEL)
    name = model.load_adapter(ADAPTER_DIR, set_active=True)  # adapter ${JSON.stringify(name)} and its tagging head
    if args.new_head:
        model.add_tagging_head(name, num_labels=len(LABELS), layers=1, activation_function="tanh", overwrite_ok=True, id2label=dict(enumerate(LABELS)))
    model.train_adapter(name)  # freezes the base model; the adapter and the head train

${trainerAndTail(lengthArg, { train: 'train', validation: 'validation', collator: 'DataCollatorForTokenClassification(tokenizer)', metrics: 'metrics_function()' })}`;
}
