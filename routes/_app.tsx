/** The document shell every page renders into (Fresh's `_app.tsx`): head, nav, island script. */

import type { AppProps } from "../app/define.ts";

/** The HTML document around a page. */
export default function App({ title, refresh, children }: AppProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title}</title>
        {refresh ? <meta http-equiv="refresh" content={String(refresh)} /> : null}
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/static/uplot.min.css" />
        <link rel="stylesheet" href="/static/style.css" />
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/">polyscore</a>
          <nav>
            <a href="/">Runs</a>
            <a href="/experiments">Experiments</a>
            <a href="/playground">Playground</a>
          </nav>
        </header>
        <main>{children}</main>
        <script type="module" src="/static/islands/client.js"></script>
      </body>
    </html>
  );
}
