import { useEffect, useId, useState } from 'react';
import { HubError, type HubFetchOptions } from '../../hub/client.ts';
import type { HubEndpoint } from '../../hub/endpoint.ts';
import { useStudio } from '../store.ts';
import { useDebouncedValue } from '../use-debounced-value.ts';

/** Longest wait for one search before it is reported as unanswered. */
const SEARCH_TIMEOUT_MS = 15_000;
const SEARCH_RETRY: HubFetchOptions['retry'] = { retries: 1, baseDelayMs: 500, maxDelayMs: 5000 };
const DEBOUNCE_MS = 300;

export interface RepoSearchProps<T extends { id: string }> {
  /** What is searched, singular: "model", "dataset". */
  noun: string;
  /** Where to search; undefined while it is not known yet. */
  endpoint: HubEndpoint | undefined;
  search: (endpoint: HubEndpoint, query: string, options: HubFetchOptions) => Promise<T[]>;
  /** One line of facts under the id, e.g. "text-classification · 1.2M downloads". */
  describe: (item: T) => string;
  /** Id of the chosen repository. */
  selected?: string;
  onSelect: (id: string) => void;
}

type Results<T> =
  | { status: 'waiting' }
  | { status: 'loading'; previous: T[] }
  | { status: 'done'; items: T[]; query: string }
  | { status: 'error'; message: string };

/** A search box over Hub repositories with a single-choice result list (radio buttons: arrow keys move the choice). */
export function RepoSearch<T extends { id: string }>({ noun, endpoint, search, describe, selected, onSelect }: RepoSearchProps<T>) {
  const [query, setQuery] = useState('');
  const settledQuery = useDebouncedValue(query.trim(), DEBOUNCE_MS);
  const [results, setResults] = useState<Results<T>>({ status: 'waiting' });
  const inputId = useId();
  const statusId = useId();
  // When the Hub is known to be down, the notice at the top says so once (with what to do); each search stays calm.
  const hubDown = useStudio((s) => s.hubChoice.kind === 'real' && s.realHub === 'unreachable');

  useEffect(() => {
    if (!endpoint) {
      setResults({ status: 'waiting' });
      return;
    }
    const cancel = new AbortController();
    const timeout = AbortSignal.timeout(SEARCH_TIMEOUT_MS);
    setResults((r) => ({ status: 'loading', previous: r.status === 'done' ? r.items : r.status === 'loading' ? r.previous : [] }));
    search(endpoint, settledQuery, { signal: AbortSignal.any([cancel.signal, timeout]), retry: SEARCH_RETRY }).then(
      (items) => setResults({ status: 'done', items, query: settledQuery }),
      (err: unknown) => {
        if (cancel.signal.aborted) return;
        const message = timeout.aborted
          ? `The Hub at ${endpoint.hubUrl} did not answer within ${SEARCH_TIMEOUT_MS / 1000} s. Check the connection, or choose another Hub in Settings.`
          : err instanceof HubError ? err.message : `Searching ${noun}s failed: ${(err as Error).message}`;
        setResults({ status: 'error', message });
      },
    );
    return () => cancel.abort();
  }, [endpoint, settledQuery, search, noun]);

  const items = results.status === 'done' ? results.items : results.status === 'loading' ? results.previous : [];
  return (
    <div className="repo-search">
      <label htmlFor={inputId}>Search {noun}s</label>
      <input
        id={inputId}
        type="search"
        value={query}
        placeholder={`e.g. ${noun === 'model' ? 'bert' : 'sentiment'}`}
        autoComplete="off"
        spellCheck={false}
        aria-describedby={statusId}
        onChange={(e) => setQuery(e.target.value)}
      />
      <p id={statusId} className="search-status" role="status" aria-live="polite">
        {hubDown && results.status !== 'done' ? `Searching ${noun}s needs the Hub: see the message at the top.` : statusText(results, noun)}
      </p>
      {results.status === 'error' && !hubDown && <p className="error" role="alert">{results.message}</p>}
      {items.length > 0 && (
        <fieldset className="results" aria-busy={results.status === 'loading'}>
          <legend className="visually-hidden">Matching {noun}s</legend>
          {items.map((item) => (
            <label key={item.id} className="result" data-selected={item.id === selected || undefined}>
              <input type="radio" name={`${noun}-choice`} value={item.id} checked={item.id === selected} onChange={() => onSelect(item.id)} />
              <span className="result-id">{item.id}</span>
              <span className="result-meta">{describe(item)}</span>
            </label>
          ))}
        </fieldset>
      )}
    </div>
  );
}

function statusText<T>(results: Results<T>, noun: string): string {
  switch (results.status) {
    case 'waiting': return 'Waiting for the Hub endpoint…';
    case 'loading': return `Searching ${noun}s…`;
    case 'error': return 'Search failed.';
    case 'done': {
      const { items, query } = results;
      if (items.length === 0) return query ? `No ${noun}s match “${query}”.` : `The Hub lists no ${noun}s.`;
      return `${items.length} ${noun}${items.length === 1 ? '' : 's'}${query ? ` matching “${query}”` : ''}`;
    }
  }
}
