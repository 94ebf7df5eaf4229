import { type RefObject, useEffect, useRef } from 'react';

/**
 * Keeps keyboard focus from falling to <body> when the control that had it goes away (a "Load model" or "Train"
 * button replaced by progress, or disabled while it works): when `key` changes while focus was last inside `container` and now rests on nothing,
 * the first element matching `selector` there (give it tabIndex={-1}) takes it, so a screen reader reads the new status.
 */
export function useFocusRescue(container: RefObject<HTMLElement | null>, selector: string, key: unknown): void {
  const inside = useRef(false);
  useEffect(() => {
    const track = (event: FocusEvent) => {
      inside.current = container.current?.contains(event.target as Node) ?? false;
    };
    document.addEventListener('focusin', track);
    return () => document.removeEventListener('focusin', track);
  }, [container]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` is the change to react to (the state that replaced the focused control).
  useEffect(() => {
    const active = document.activeElement as (HTMLElement & { disabled?: boolean }) | null;
    // A button that turned disabled under the focus (Load model while loading) leaves it nowhere useful too.
    const lost = active === null || active === document.body || active.disabled === true;
    if (!inside.current || !lost) return;
    container.current?.querySelector<HTMLElement>(selector)?.focus();
  }, [container, selector, key]);
}
