/**
 * Islands by hand (Fresh's mechanism, simplified): on the server an island renders inside
 * `<div data-island="Name" data-props="json">`; in the browser `static/islands/client.js` finds
 * those elements and hydrates the same component with the same props. Props must be JSON (numbers,
 * strings, arrays, plain objects, null): convert typed arrays before passing them.
 */

import type { FunctionComponent } from "preact";

/** An island: callable as a component, and carrying its name and raw component for the client. */
export type Island<P> = FunctionComponent<P> & {
  islandName: string;
  component: FunctionComponent<P>;
};

/**
 * Wraps `component` as the island `name` (must be unique).
 *
 * @example
 * ```tsx
 * const Counter = island("Counter", (p: { start: number }) => <b>{p.start}</b>);
 * ```
 */
export function island<P>(name: string, component: FunctionComponent<P>): Island<P> {
  const Wrapper = ((props: P) => {
    const C = component as FunctionComponent<Record<string, unknown>>;
    return (
      <div data-island={name} data-props={JSON.stringify(props)}>
        <C {...(props as Record<string, unknown>)} />
      </div>
    );
  }) as Island<P>;
  Wrapper.islandName = name;
  Wrapper.component = component;
  return Wrapper;
}
