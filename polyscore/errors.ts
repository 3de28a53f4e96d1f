/**
 * The error of a user's mistake — a missing or unreadable data folder, a runs folder that cannot be
 * written, a bad flag value — as opposed to a bug: the CLI prints its message alone (it names the
 * value and the fix), while any other error keeps its stack for a bug report.
 */

/** A problem with what the user gave (paths, folders, flags); the message says how to fix it. */
export class InputError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InputError";
  }
}
