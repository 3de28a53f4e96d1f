/** The typed `define` of this server's routes (Fresh's `utils.ts`). */

import { createDefine } from "../app/define.ts";
import type { ServerState } from "./state.ts";

/** Typed identity helpers for route files. */
export const define = createDefine<ServerState>();
