/** `--backend`: the tfjs backend a command that runs the encoder starts (wasm by default, cpu on request). */
import type { BackendName } from '../../core/backend/backend-info.ts';
import { initBackend } from '../../core/backend/init-backend.ts';
import { type CommandContext, UsageError } from '../cli-io.ts';

export const backendOption = { backend: { type: 'string' } } as const;
export const backendUsage = '  --backend B              wasm (default, fastest in Node) or cpu';

/** Starts the tfjs backend asked for (wasm by default); says so on stderr when it had to fall back. */
export async function startBackend(values: Record<string, unknown>, ctx: CommandContext): Promise<BackendName> {
  const name = (values.backend as string | undefined) ?? 'wasm';
  if (name !== 'wasm' && name !== 'cpu') throw new UsageError(`--backend must be wasm or cpu, got "${name}"`);
  const info = await initBackend(name);
  if (info.fallbackReason) ctx.err(`Backend: ${info.name} (${info.fallbackReason})`);
  return info.name;
}
