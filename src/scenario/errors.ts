/**
 * Scenario errors: one line each, `file:line:col: path: what was expected`.
 * Bad input must never surface as a stack trace or a silent default.
 */

/** A position in the scenario file (1-based). */
export interface SourcePos {
  line: number;
  col: number;
}

/** One problem found in a scenario file. */
export interface ScenarioIssue {
  /** File the scenario came from, as shown to the user. */
  source: string;
  /** Where in the file, when known. */
  pos?: SourcePos;
  /** Path inside the document, e.g. `threads[2].ops[0].vma` ('' for the file itself). */
  path: string;
  /** What is wrong and what was expected. */
  message: string;
}

/** Formats an issue as one line: `source:line:col: path: message`. */
export function formatIssue(issue: ScenarioIssue): string {
  let s = issue.source;
  if (issue.pos !== undefined) s += `:${issue.pos.line}:${issue.pos.col}`;
  if (issue.path !== '') s += `: ${issue.path}`;
  const line = oneLine(`${s}: ${issue.message}`);
  // A message can quote a user's string (a name of a million spaces): keep the line readable.
  return line.length <= MAX_ISSUE_CHARS ? line : `${line.slice(0, MAX_ISSUE_CHARS)}… (cut at ${MAX_ISSUE_CHARS} characters)`;
}

/** Longest issue line printed. */
const MAX_ISSUE_CHARS = 1000;

/**
 * A scenario that cannot be loaded. `message` is the first problem, on one
 * line; `issues` lists every problem found (in document order where possible).
 */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  readonly issues: readonly ScenarioIssue[];

  constructor(issues: ScenarioIssue | readonly ScenarioIssue[]) {
    const list = Array.isArray(issues) ? (issues as readonly ScenarioIssue[]) : [issues as ScenarioIssue];
    if (list.length === 0) throw new TypeError('ScenarioError needs at least one issue');
    super(formatIssue(list[0]!));
    this.issues = list;
  }

  /** Every issue, one per line. */
  get details(): string {
    return this.issues.map(formatIssue).join('\n');
  }
}

/**
 * Collapses line breaks (and the white space around them) so a message stays
 * on one line. Linear in the length: a regex with `\s*` before the line
 * break backtracked quadratically on long runs of spaces.
 */
export function oneLine(s: string): string {
  if (!/[\r\n]/.test(s)) return s.trim();
  return s.split(/[\r\n]+/).map((p) => p.trim()).filter((p) => p !== '').join(' ');
}

/** Short description of a value for "got ..." in messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') {
    const q = JSON.stringify(v.length > 40 ? v.slice(0, 37) + '...' : v);
    return `string ${q}`;
  }
  if (typeof v === 'number') return `number ${Number.isNaN(v) ? 'NaN' : String(v)}`;
  if (typeof v === 'boolean') return `boolean ${v}`;
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}

/** Edit distance (optimal string alignment), for "did you mean" hints. */
function editDistance(a: string, b: string): number {
  const m = a.length, n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let prevprev = prev;
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      // a swap of two neighbours counts as one edit ("frok" -> "fork")
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) cur[j] = Math.min(cur[j]!, prevprev[j - 2]! + 1);
    }
    prevprev = prev;
    prev = cur;
  }
  return prev[n]!;
}

/** The closest candidate to `word`, if it is close enough to be a likely typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  // one edit per three letters, at most three: 'hep' -> 'heap', but no hint from 'c' to 'a'
  const limit = Math.min(3, Math.floor(Math.max(word.length, best.length) / 3));
  return bestD <= limit ? best : undefined;
}

/** `'a', 'b'` or `a, b` lists for messages. */
export function listOf(items: readonly string[]): string {
  return items.join(', ');
}
