import { type FormEvent, useState } from 'react';
import type { EmbeddedEvent } from '../../worker/protocol.ts';
import { useStudio } from '../store.ts';

/** Vector values shown. */
const SHOWN_VALUES = 8;

type CheckState =
  | { status: 'idle' }
  | { status: 'running' }
  | { status: 'done'; result: EmbeddedEvent }
  | { status: 'failed'; message: string };

/** "Check the encoder": a sentence in, its tokens and ids and the first numbers of its first-token vector out. */
export function EncoderCheck() {
  const embedText = useStudio((s) => s.embedText);
  const [text, setText] = useState('The film was wonderful.');
  const [state, setState] = useState<CheckState>({ status: 'idle' });
  const run = async (event: FormEvent) => {
    event.preventDefault();
    setState({ status: 'running' });
    try {
      setState({ status: 'done', result: await embedText(text) });
    } catch (err) {
      setState({ status: 'failed', message: (err as Error).message });
    }
  };
  const result = state.status === 'done' ? state.result : undefined;
  const vector = result?.firstToken[0];
  return (
    <details className="encoder-check">
      <summary>Check the encoder</summary>
      <form className="row" onSubmit={(e) => void run(e)}>
        <label htmlFor="encoder-check-text" className="visually-hidden">Sentence to encode</label>
        <input id="encoder-check-text" type="text" value={text} spellCheck={false} onChange={(e) => setText(e.target.value)} />
        <button type="submit" className="button" disabled={!text.trim() || state.status === 'running'}>Encode</button>
      </form>
      {state.status === 'failed' && <p className="error" role="alert">{state.message}</p>}
      {result && vector && (
        <div className="encoder-output" role="status">
          <p className="help">Tokens and their ids:</p>
          <ol className="tokens" aria-label="Tokens">
            {result.tokens[0].map((token, i) => (
              <li key={i}><span className="token">{token}</span><span className="token-id">{result.inputIds[0][i]}</span></li>
            ))}
          </ol>
          <p className="help">The last layer's vector for the first token ({vector.length} numbers), which a classifier head reads:</p>
          <p className="vector" role="group" aria-label="First-token vector">
            [{vector.slice(0, SHOWN_VALUES).map((v) => v.toFixed(3)).join(', ')}{vector.length > SHOWN_VALUES ? ', …' : ''}]
          </p>
        </div>
      )}
    </details>
  );
}
