/**
 * Reading a scenario file: only a regular file (not a FIFO, device or
 * directory: `faultline run /dev/zero` must not hang), at most MAX_FILE_BYTES,
 * valid UTF-8 without NUL bytes. Every refusal is a one-line ScenarioError.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { ScenarioError } from './errors.js';

/** Largest scenario file: 4 MiB (the built-ins are under 40 KiB). */
export const MAX_FILE_BYTES = 4 << 20;

function fail(source: string, message: string): never {
  throw new ScenarioError({ source, path: '', message });
}

/** The text of the scenario file at `file`, shown to the user as `display`. */
export function readScenarioText(file: string, display: string): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer must not block before fstat can refuse it.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'EISDIR') fail(display, 'is a directory, not a scenario file');
    return fail(display, `cannot read file${code !== undefined ? ` (${code})` : ''}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) fail(display, 'is a directory, not a scenario file');
    if (!st.isFile()) fail(display, 'is not a regular file (a device, FIFO or socket): give a scenario file');
    if (st.size > MAX_FILE_BYTES) fail(display, `is ${st.size.toLocaleString('en-US')} bytes: a scenario file is at most ${MAX_FILE_BYTES.toLocaleString('en-US')} bytes (4 MiB)`);
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, buf, got, st.size - got, got);
      if (n === 0) break;
      got += n;
    }
    const bytes = buf.subarray(0, got);
    const nul = bytes.indexOf(0);
    if (nul >= 0) fail(display, `holds a NUL byte (at byte ${nul}): a scenario file is YAML or JSON text`);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return fail(display, 'is not valid UTF-8 text');
    }
  } finally {
    closeSync(fd);
  }
}
