/**
 * The dashboard's typed `define` (Fresh's `utils.ts` role, written by hand because Fresh lives on JSR):
 * route files declare handlers and pages through it so the data a handler returns is the data its
 * page receives. Types only, plus identity helpers; no server logic lives here.
 */

import type { ComponentChildren, VNode } from "preact";

/** Per-request context handed to handlers, pages and middleware. */
export interface Context<State> {
  req: Request;
  url: URL;
  /** Route parameters, percent-decoded but not validated (each route validates its own). */
  params: Record<string, string>;
  state: State;
}

/** What a page handler returns to render its page (instead of a Response). */
export interface PageData<Data> {
  data: Data;
  /** The document title; default "polyscore". */
  title?: string;
  status?: number;
  /** Reload the page every this many seconds (a plain meta refresh; e.g. while runs train). */
  refresh?: number;
}

/** A handler: a Response (API routes) or page data (page routes). */
export type HandlerFn<Data, State> = (
  ctx: Context<State>,
) => Response | PageData<Data> | Promise<Response | PageData<Data>>;

/** Handlers by HTTP method. */
export type Handlers<Data, State> = Partial<Record<"GET" | "POST", HandlerFn<Data, State>>>;

/** Props of a page component. */
export interface PageProps<Data, State> {
  data: Data;
  url: URL;
  params: Record<string, string>;
  state: State;
}

/** A page component. */
export type PageComponent<Data, State> = (props: PageProps<Data, State>) => VNode | null;

/** Middleware: may answer itself or call `next()` and decorate the response. */
export type Middleware<State> = (
  ctx: Context<State>,
  next: () => Promise<Response>,
) => Promise<Response>;

/** Props of the `_app` document shell. */
export interface AppProps {
  title: string;
  refresh?: number;
  children: ComponentChildren;
}

/** The data type a handlers object produces, for `define.page<typeof handler>`. */
export type DataOf<H> = H extends Handlers<infer D, infer _S> ? D : never;

/**
 * Creates typed identity helpers for one State type.
 *
 * @example
 * ```ts
 * const define = createDefine<{ runsRoot: string }>();
 * const handler = define.handlers({ GET: () => ({ data: 1 }) });
 * ```
 */
export function createDefine<State>() {
  return {
    handlers<Data>(h: Handlers<Data, State>): Handlers<Data, State> {
      return h;
    },
    page<Data>(p: PageComponent<Data, State>): PageComponent<Data, State> {
      return p;
    },
    middleware(m: Middleware<State>): Middleware<State> {
      return m;
    },
  };
}
