/**
 * A kernel path is a generator (KPath): calling one without `yield*` builds
 * the generator and runs none of it, silently (a lock not taken, an
 * anon_vma not prepared). That is what happens to every caller when a plain
 * function becomes a path that may sleep, so the type checker is asked here:
 * no statement in src/ may discard a value whose type is a Generator.
 */
import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `file:line: text` of every expression statement in `files` whose value is a Generator. */
export function droppedGenerators(configPath: string, only?: (file: string) => boolean): string[] {
  const cfg = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (cfg === undefined) throw new Error(`cannot read ${configPath}`);
  const program = ts.createProgram(cfg.fileNames, cfg.options);
  const checker = program.getTypeChecker();
  const found: string[] = [];
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || (only !== undefined && !only(sf.fileName))) continue;
    const visit = (n: ts.Node): void => {
      if (ts.isExpressionStatement(n)) {
        let e: ts.Expression = n.expression;
        while (ts.isParenthesizedExpression(e)) e = e.expression;
        if (ts.isCallExpression(e)) {
          const name = checker.getTypeAtLocation(e).getSymbol()?.getName();
          if (name === 'Generator') {
            const { line } = sf.getLineAndCharacterOfPosition(n.getStart());
            found.push(`${path.relative(root, sf.fileName)}:${line + 1}: ${n.getText().slice(0, 80)}`);
          }
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return found;
}

describe('kernel paths are never called without yield*', () => {
  it('no statement in src/ discards a Generator', () => {
    const src = path.join(root, 'src') + path.sep;
    expect(droppedGenerators(path.join(root, 'tsconfig.json'), (f) => path.resolve(f).startsWith(src))).toEqual([]);
  }, 120_000);

  it('finds one when it is there (the check can fail)', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(path.join(tmpdir(), 'faultline-gen-'));
    writeFileSync(path.join(dir, 'a.ts'), 'function* lock(): Generator<number, void, unknown> { yield 1; }\nexport function caller(): void {\n  lock();\n}\n');
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'ES2022', noEmit: true }, files: ['a.ts'] }));
    expect(droppedGenerators(path.join(dir, 'tsconfig.json'))).toEqual([`${path.relative(root, path.join(dir, 'a.ts'))}:3: lock();`]);
  });
});
