/** polyscore's version, printed by `polyscore --version` and recorded in every run. */
export const VERSION = "0.1.0";
