import { type ReactNode, useId } from 'react';
import { GLOSSARY, type GlossaryTerm } from '../glossary.ts';

/**
 * A term with its one-line meaning, shown on hover and when the term has keyboard focus, and read by screen readers
 * as the term's description.
 */
export function Explain({ term, children }: { term: GlossaryTerm; children: ReactNode }) {
  const id = useId();
  return (
    <span className="explain">
      <span className="explain-term" tabIndex={0} aria-describedby={id} data-term={term}>{children}</span>
      <span className="explain-tip" role="tooltip" id={id}>{GLOSSARY[term]}</span>
    </span>
  );
}
