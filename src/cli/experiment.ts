/**
 * `faultline experiment NAME`: rerun one of the experiments that answer the
 * LKML thread (docs/experiments.md) and print its table; `--list` names them;
 * `all` runs every one in order.
 */
import type { Command } from 'commander';
import { didYouMean } from '../scenario/index.js';
import {
  countRuns, EXPERIMENTS, findExperiment, renderExperimentJson, renderExperimentTable, runExperiment, type Experiment,
} from '../experiments/index.js';
import { UsageError, type CliIo } from './io.js';
import { MAX_SEED, MAX_SEEDS, parseInteger } from './options.js';
import { Progress } from './progress.js';

export interface ExperimentOptions {
  list?: boolean;
  seeds?: string;
  seed?: string;
  json?: boolean;
}

export function listExperiments(io: CliIo): void {
  const w = Math.max(...EXPERIMENTS.map((e) => e.name.length));
  const out = ['experiments (faultline experiment NAME or NUMBER; `all` runs every one; docs/experiments.md):'];
  for (const e of EXPERIMENTS) {
    out.push(`  ${String(e.number).padStart(2)}  ${e.name.padEnd(w)}  ${e.title}`);
  }
  io.stdout.write(out.join('\n') + '\n');
}

function pick(name: string): Experiment[] {
  if (name === 'all') return [...EXPERIMENTS];
  const e = findExperiment(name);
  if (e !== undefined) return [e];
  const names = EXPERIMENTS.map((x) => x.name);
  const hint = didYouMean(name, names);
  throw new UsageError(`unknown experiment '${name}'${hint !== undefined ? ` (did you mean '${hint}'?)` : ''} (experiments: ${names.join(', ')}, or 1-${EXPERIMENTS.length}, or all; see --list)`);
}

export function experimentCommand(name: string | undefined, opts: ExperimentOptions, io: CliIo, version: string): void {
  if (opts.list === true) {
    listExperiments(io);
    return;
  }
  if (name === undefined) throw new UsageError(`missing experiment name (experiments: ${EXPERIMENTS.map((e) => e.name).join(', ')}; see --list)`);
  const exps = pick(name);
  const seeds = opts.seeds === undefined ? undefined : parseInteger('--seeds', opts.seeds, 1, MAX_SEEDS);
  const seed = opts.seed === undefined ? undefined : parseInteger('--seed', opts.seed, 0, MAX_SEED);
  const progress = new Progress(io, exps.reduce((n, e) => n + countRuns(e, seeds ?? e.seeds), 0));
  const tick = () => progress.tick();
  const results = exps.map((e) => runExperiment(e, { ...(seeds !== undefined ? { seeds } : {}), ...(seed !== undefined ? { seed } : {}), tick }));
  progress.end();
  if (opts.json === true) {
    if (results.length === 1) io.stdout.write(renderExperimentJson(results[0]!, version));
    else io.stdout.write(`{"faultline":${JSON.stringify(version)},"experiments":[\n${results.map((r) => renderExperimentJson(r, version).trimEnd()).join(',\n')}\n]}\n`);
    return;
  }
  io.stdout.write(results.map((r) => renderExperimentTable(r)).join('\n'));
}

/** Registers `experiment` on the program (src/cli/main.ts). */
export function addExperimentCommand(p: Command, io: CliIo, version: string): void {
  p.command('experiment')
    .description("rerun one of the experiments that answer the LKML thread's questions and print its table (docs/experiments.md)")
    .argument('[name]', 'experiment name or number (see --list), or all')
    .option('--list', 'list the experiments')
    .option('--seeds <n>', "seeds per configuration (default: the experiment's)")
    .option('--seed <s>', "first seed (default: the experiment's)")
    .option('--json', 'print a JSON document (values per configuration and per seed, and the headline) instead of the table')
    .action((name: string | undefined, opts: ExperimentOptions) => experimentCommand(name, opts, io, version));
}
