/** Where the CLI writes, injectable for tests. */
export interface OutStream {
  write(s: string): unknown;
  /** True when the stream is a terminal (progress is shown only then). */
  isTTY?: boolean;
}

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  /** Wall clock in ms, for progress and timing on stderr only. */
  now(): number;
}

/** Bad input from the user: printed as one line `faultline: <message>`, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, now: () => performance.now() };
}
