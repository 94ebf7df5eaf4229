/**
 * Reads up to `depth` items of `source` ahead of the consumer, so the next row group downloads (or the next batch
 * tokenises) while the current one is used. Errors surface when the consumer reaches the failed item.
 */
export async function* prefetch<T>(source: AsyncIterable<T>, depth: number): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  const ahead: Promise<IteratorResult<T>>[] = [];
  const pull = () => {
    const next = it.next();
    next.catch(() => undefined); // Handled when awaited below; an early stop must not leave an unhandled rejection.
    ahead.push(next);
  };
  try {
    for (;;) {
      while (ahead.length < Math.max(1, depth)) pull();
      const result = await ahead.shift()!;
      if (result.done) return;
      yield result.value;
    }
  } finally {
    await it.return?.();
  }
}
