/** Process exit codes of the `faultline` command. */
export const ExitCode = {
  /** Success. */
  OK: 0,
  /** Reserved for the model checker (a property was violated). */
  RESERVED_CHECK_1: 1,
  /** Bad input: unknown scenario, strategy or option value, invalid scenario file, usage error. */
  BAD_INPUT: 2,
  /** The result is incomplete: `check` searched a bounded space or was stopped; `merge` lacks runs. */
  INCOMPLETE: 3,
  /** A bug in faultline itself (an exception that is not about the input). */
  INTERNAL: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
