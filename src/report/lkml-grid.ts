/**
 * Text layout for the mail form (`--format lkml`): word wrapping, cutting,
 * and a grid of labelled rows with strategy columns that fits a line width,
 * split into blocks of columns (each repeating the row labels) only when the
 * columns do not fit side by side.
 */

/** Cut `s` to `w` columns, marking the cut with `~`. */
export function fit(s: string, w: number): string {
  return s.length <= w ? s : `${s.slice(0, Math.max(0, w - 1))}~`;
}

/** Word-wrap `text` to `width` columns; continuation lines get `indent`. Words longer than a line are split. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const out: string[] = [];
  let line = '';
  const words = text.split(/\s+/).filter((w) => w !== '');
  const lead = text.match(/^\s*/)![0];
  for (let w of words) {
    for (;;) {
      const prefix = out.length === 0 && line === '' ? lead : line === '' ? indent : '';
      const cand = line === '' ? prefix + w : `${line} ${w}`;
      if (cand.length <= width) {
        line = cand;
        break;
      }
      if (line !== '') {
        out.push(line);
        line = '';
        continue;
      }
      const room = width - prefix.length;
      out.push(prefix + w.slice(0, room));
      w = w.slice(room);
      if (w === '') break;
    }
  }
  if (line !== '' || out.length === 0) out.push(line);
  return out;
}

/**
 * Break a header word into lines of at most `w` columns after its hyphens
 * (`+writeback-aware` -> `+writeback-`, `aware`); a piece with no hyphen to
 * break at is cut.
 */
export function breakAtHyphens(word: string, w: number): string[] {
  const pieces = word.match(/[^-]*-|[^-]+$/g) ?? [word];
  const out: string[] = [];
  let line = '';
  for (const p of pieces) {
    if (line !== '' && (line + p).length > w) {
      out.push(line);
      line = '';
    }
    line += p;
  }
  if (line !== '') out.push(line);
  return out.map((l) => fit(l, w));
}

/** A column of the grid: its header lines (top to bottom) and one cell per row. */
export interface GridColumn {
  head: string[];
  cells: string[];
}

/** A labelled group of rows: a heading line (may be '') and the row labels. */
export interface GridGroup {
  heading: string;
  labels: string[];
}

export interface GridLayout {
  width: number;
  /** Between the label and each column. */
  gap: string;
  /** Width of every column (cells are right-aligned within it). */
  colW: number;
  labelW: number;
}

/**
 * Column and label widths so that as many columns as possible fit beside the
 * labels: headers break at hyphens rather than widen the columns.
 */
export function layout(groups: readonly GridGroup[], cellW: number, heads: readonly string[][], width: number, gap = '  '): GridLayout {
  const headWords = heads.flat();
  const longestLabel = Math.max(0, ...groups.flatMap((g) => g.labels).map((l) => l.length));
  const make = (w: number): GridLayout => {
    const colW = Math.min(w, width - gap.length - 12);
    return { width, gap, colW, labelW: Math.min(longestLabel, width - gap.length - colW) };
  };
  const fits = columnsPerBlock;
  // Whole header words when every column still fits beside the labels; else break them at hyphens.
  const whole = make(Math.max(cellW, ...headWords.map((h) => h.length)));
  if (fits(whole) >= heads.length) return whole;
  const pieces = headWords.flatMap((h) => h.match(/[^-]*-|[^-]+$/g) ?? [h]);
  const broken = make(Math.max(cellW, ...pieces.map((p) => p.length)));
  return fits(broken) > fits(whole) ? broken : whole;
}

/** How many columns fit beside the labels. */
export function columnsPerBlock(l: GridLayout): number {
  return Math.max(1, Math.floor((l.width - l.labelW) / (l.gap.length + l.colW)));
}

/**
 * The grid: for each block of columns that fits, the header lines
 * (bottom-aligned) and then every group (its heading, its rows). Groups are
 * given row by row in `columns[i].cells`, in group order.
 */
export function renderGrid(groups: readonly GridGroup[], columns: readonly GridColumn[], l: GridLayout): string[] {
  const perBlock = columnsPerBlock(l);
  const row = (label: string, cols: string[]) => `${fit(label, l.labelW).padEnd(l.labelW)}${l.gap}${cols.join(l.gap)}`.trimEnd();
  const out: string[] = [];
  for (let b = 0; b < columns.length; b += perBlock) {
    const block = columns.slice(b, b + perBlock);
    const heads = block.map((c) => c.head.flatMap((h) => breakAtHyphens(h, l.colW)));
    const depth = Math.max(...heads.map((h) => h.length));
    if (b > 0) out.push('');
    for (let d = 0; d < depth; d++) out.push(row('', heads.map((h) => (h[d - (depth - h.length)] ?? '').padEnd(l.colW))));
    let r = 0;
    for (const g of groups) {
      if (g.heading !== '') out.push(...wrap(g.heading, l.width));
      for (const label of g.labels) {
        out.push(row(label, block.map((c) => fit(c.cells[r]!, l.colW).padStart(l.colW))));
        r++;
      }
    }
  }
  return out;
}
