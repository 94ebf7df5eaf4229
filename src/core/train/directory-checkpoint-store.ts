/**
 * Checkpoints in a directory (Node, the CLI): one safetensors file per slot, `latest.safetensors` and
 * `best.safetensors`, holding the parameters under their names and the optimizer moments as
 * `exp_avg/<name>` and `exp_avg_sq/<name>` (torch's state names), with the run state as JSON in the header's
 * metadata. Files are written to a temporary name and renamed, so a crash never leaves half a checkpoint.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SafetensorsTensor, writeSafetensors } from '../export/safetensors-writer.ts';
import { parseSafetensorsHeader, readSafetensors } from '../model/safetensors.ts';
import type { ParameterMoments } from './adamw.ts';
import { type Checkpoint, CheckpointError, type CheckpointSlot, type CheckpointStore, type RunState } from './checkpoint.ts';

/** Metadata key holding the JSON run state and the moments' step counts. */
const STATE_KEY = 'adapter_studio_checkpoint';

interface StoredState {
  state: RunState;
  /** Parameter names in order. */
  parameters: string[];
  /** Optimizer step count per parameter name (absent in `best`). */
  steps: Record<string, number>;
}

export class DirectoryCheckpointStore implements CheckpointStore {
  constructor(readonly dir: string) {}

  private file(slot: CheckpointSlot): string {
    return join(this.dir, `${slot}.safetensors`);
  }

  async save(slot: CheckpointSlot, checkpoint: Checkpoint): Promise<void> {
    const tensors: SafetensorsTensor[] = checkpoint.parameters.map((p) => ({ name: p.name, dtype: 'F32', shape: p.shape, data: p.data }));
    const shapes = new Map(checkpoint.parameters.map((p) => [p.name, p.shape]));
    const steps: Record<string, number> = {};
    for (const moments of checkpoint.moments) {
      const shape = shapes.get(moments.name);
      if (!shape) throw new CheckpointError(`The ${slot} checkpoint has optimizer moments for "${moments.name}", which is not one of its parameters.`);
      tensors.push({ name: `exp_avg/${moments.name}`, dtype: 'F32', shape, data: moments.m });
      tensors.push({ name: `exp_avg_sq/${moments.name}`, dtype: 'F32', shape, data: moments.v });
      steps[moments.name] = moments.step;
    }
    const stored: StoredState = { state: checkpoint.state, parameters: checkpoint.parameters.map((p) => p.name), steps };
    const bytes = writeSafetensors(tensors, { format: 'pt', [STATE_KEY]: JSON.stringify(stored) });
    const target = this.file(slot);
    try {
      await mkdir(this.dir, { recursive: true });
      await writeFile(`${target}.tmp`, bytes);
      await rename(`${target}.tmp`, target);
    } catch (err) {
      throw new CheckpointError(`Writing the ${slot} checkpoint to ${target} failed (${(err as Error).message}). Check that the directory is writable and the disk has room.`, { cause: err });
    }
  }

  async load(slot: CheckpointSlot): Promise<Checkpoint | undefined> {
    const path = this.file(slot);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CheckpointError(`Reading the ${slot} checkpoint ${path} failed (${(err as Error).message}).`, { cause: err });
    }
    const raw = parseSafetensorsHeader(bytes, path).metadata[STATE_KEY];
    if (raw === undefined) throw new CheckpointError(`${path} is a safetensors file but not an Adapter Studio checkpoint (no "${STATE_KEY}" metadata).`);
    const stored = JSON.parse(raw) as StoredState;
    const tensors = readSafetensors(bytes, path);
    const tensor = (name: string) => {
      const t = tensors.get(name);
      if (!t) throw new CheckpointError(`The checkpoint ${path} lacks the tensor "${name}"; the file is damaged. Delete it and train from the start.`);
      return t;
    };
    const parameters = stored.parameters.map((name) => {
      const t = tensor(name);
      return { name, shape: t.shape, data: t.toFloat32() };
    });
    const moments: ParameterMoments[] = Object.entries(stored.steps).map(([name, step]) => ({
      name,
      step,
      m: tensor(`exp_avg/${name}`).toFloat32(),
      v: tensor(`exp_avg_sq/${name}`).toFloat32(),
    }));
    return { state: stored.state, parameters, moments };
  }

  async clear(): Promise<void> {
    await Promise.all((['latest', 'best'] as const).map((slot) => rm(this.file(slot), { force: true })));
  }
}
