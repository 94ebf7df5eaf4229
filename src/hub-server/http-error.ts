/** A failed request: the status, the Hub's `X-Error-Code` (if any) and a message sent as `{"error": message}`. */
export class HubHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HubHttpError';
  }
}

export const badRequest = (message: string) => new HubHttpError(400, message);

/** Rejects a repository file path that could leave the repository folder. */
export function checkFilePath(path: string): string {
  const parts = path.split('/');
  if (
    path === '' || path.startsWith('/') || path.includes('\\') || path.includes('\0')
    || parts.some((p) => p === '' || p === '.' || p === '..')
  ) {
    throw badRequest(`"${path}" is not a valid file path in a repository: use relative paths with "/" separators and no "." or ".." parts.`);
  }
  return path;
}
