/** Pieces of train.py that every task's script shares (python-project.ts and each task's python-*.ts). */

/** The TrainingArguments of the studio run and the early-stopping callback; `extra` holds more argument lines. */
function trainerArguments(lengthArg: string, extra = ''): string {
  return `    # Keep the global batch of the studio run whatever the number of processes accelerate starts.
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    per_device = max(1, BATCH_SIZE // world_size)
    if per_device * world_size != BATCH_SIZE:
        print(f"BATCH_SIZE {BATCH_SIZE} does not split over {world_size} processes; using {per_device} per device.")
    strategy = "steps" if EVAL_STEPS else "epoch"
    training_args = TrainingArguments(
        output_dir=args.output_dir,
        learning_rate=LEARNING_RATE,
        ${lengthArg},
        per_device_train_batch_size=per_device,
        per_device_eval_batch_size=per_device,
        gradient_accumulation_steps=GRADIENT_ACCUMULATION,
        warmup_ratio=WARMUP_RATIO,
        warmup_steps=WARMUP_STEPS,
        weight_decay=WEIGHT_DECAY,
        lr_scheduler_type=LR_SCHEDULER,
        max_grad_norm=MAX_GRAD_NORM,
        seed=SEED,
        eval_strategy=strategy,
        save_strategy=strategy,
        eval_steps=EVAL_STEPS,
        save_steps=EVAL_STEPS,
        load_best_model_at_end=True,
        metric_for_best_model=METRIC_FOR_BEST,
        greater_is_better=GREATER_IS_BETTER,
        save_total_limit=2,
        logging_steps=50,
        report_to="none",
${extra}    )
    callbacks = [EarlyStoppingCallback(early_stopping_patience=EARLY_STOPPING_PATIENCE)] if EARLY_STOPPING_PATIENCE else []
`;
}

/**
 * The start of every task's main(): the arguments (`newHead`: the head function that --new-head calls instead of
 * keeping the studio's head, e.g. "question-answering head (add_qa_head)"; none for sentence classification).
 */
export function mainArguments(newHead?: string): string {
  const newHeadLine = newHead ? `    parser.add_argument("--new-head", action="store_true", help="start a fresh ${newHead} instead of the studio's")\n` : '';
  return `def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output-dir", default="checkpoints", help="checkpoints of this run")
    parser.add_argument("--save-to", default="adapter-continued", help="where the best adapter and head are saved")
${newHeadLine}    args = parser.parse_args()
`;
}

/** What an AdapterTrainer gets beyond the model, the arguments and the callbacks: Python expressions. */
export interface TrainerInputs {
  train: string;
  validation: string;
  collator: string;
  metrics: string;
}

/**
 * The rest of every task's main(): its TrainingArguments (`extraArguments`: more argument lines), the AdapterTrainer
 * over the task's datasets, collator and metrics, then training and the save.
 */
export function trainerAndTail(lengthArg: string, inputs: TrainerInputs, extraArguments = ''): string {
  return `${trainerArguments(lengthArg, extraArguments)}    trainer = AdapterTrainer(
        model=model,
        args=training_args,
        train_dataset=${inputs.train},
        eval_dataset=${inputs.validation},
        data_collator=${inputs.collator},
        compute_metrics=${inputs.metrics},
        callbacks=callbacks,
    )
${TRAIN_AND_SAVE}`;
}

/** Train, print the last evaluation, save the best adapter with its head; the script's entry point. */
const TRAIN_AND_SAVE = `    trainer.train()
    print(trainer.evaluate())
    if trainer.is_world_process_zero():
        model.save_adapter(args.save_to, name, with_head=True)
        print(f"Saved adapter {name!r} with its head to {args.save_to}")


if __name__ == "__main__":
    main()
`;

/** The text of a cell as the studio reads it (to_text), then the two blank lines before the next definition. */
export const TO_TEXT = `def to_text(value):
    """The text of a cell, or None when it is empty (the studio skips such rows)."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    if isinstance(value, (int, float)):
        value = str(value)
    return value if isinstance(value, str) and value.strip() else None


`;

/** The training target of a label cell as the studio reads it (to_label, by LABEL_KIND and LABELS), then two blank lines. */
export const TO_LABEL = `def to_label(value):
    """The training target of a label cell, or None when the studio skips the row."""
    if value is None or value == "":
        return None
    if LABEL_KIND == "float":
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        return number if number == number and abs(number) != float("inf") else None
    if LABEL_KIND == "string":
        return LABELS.index(str(value)) if str(value) in LABELS else None
    if LABEL_KIND == "bool":
        return 1 if value is True or value == "true" else 0 if value is False or value == "false" else None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not number.is_integer() or number < 0 or number >= len(LABELS):
        return None
    return int(number)


`;
