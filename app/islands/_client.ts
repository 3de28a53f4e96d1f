/**
 * The browser entry of every island (bundled by app/build.ts into static/islands/client.js): finds
 * `[data-island]` elements rendered by the server and hydrates each with its component and props.
 */

import { h, hydrate } from "preact";
import type { FunctionComponent } from "preact";
import type { Island } from "../island.tsx";
import { LineChart } from "./LineChart.tsx";
import { LiveRun } from "./LiveRun.tsx";
import { Playground } from "./Playground.tsx";
import { RunsWatch } from "./RunsWatch.tsx";

// deno-lint-ignore no-explicit-any
const ISLANDS: Island<any>[] = [LineChart, LiveRun, Playground, RunsWatch];
// deno-lint-ignore no-explicit-any
const byName = new Map<string, FunctionComponent<any>>(
  ISLANDS.map((i) => [i.islandName, i.component]),
);

for (const el of document.querySelectorAll<HTMLElement>("[data-island]")) {
  const C = byName.get(el.dataset.island ?? "");
  if (!C) {
    console.error(`Cannot hydrate island ${el.dataset.island}: not in the bundle`);
    continue;
  }
  hydrate(h(C, JSON.parse(el.dataset.props ?? "{}")), el);
}
document.documentElement.dataset.hydrated = "true";
