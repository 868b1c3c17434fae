/**
 * The checker's entry points. A document moves through named stages:
 *   parsed → resolved (imports, stdlib) → checked (models, then networks, then unused imports).
 * Checking stops after syntax errors in a file, as Langium's `stopAfterParsingErrors` does:
 * a broken tree would only produce follow-on noise.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type * as A from '../../lang/ast.js';
import { hasErrors, makeDiagnostic, sortDiagnostics, type Diagnostic } from '../../lang/diagnostics.js';
import { parse } from '../../lang/parse.js';
import { fileStartRange, type SourceFile } from '../../lang/source.js';
import { stdlibDir } from '../paths.js';
import { didYouMean, Reporter } from './context.js';
import { ModelChecker } from './model.js';
import { NetworkChecker, type ModelLookup } from './network.js';
import type { ModelInfo } from './types.js';

export interface CheckOptions {
  /** Reads a file for `use "…"`; defaults to the file system. Returns undefined when unreadable. */
  readFile?: (path: string) => string | undefined;
}

export interface CheckResult {
  diagnostics: Diagnostic[];
  sources: Map<string, SourceFile>;
  documents: Map<string, A.Document>;
}

/** A checked file: its tree, its models and what it reported. */
export interface CheckedFile {
  path: string;
  source: SourceFile;
  ast: A.Document;
  diagnostics: Diagnostic[];
  /** Models declared in this file. */
  models: Map<string, ModelInfo>;
  /** Every model its networks can name: the stdlib, imports, then its own (the compiler reads it). */
  scope: Map<string, ModelInfo>;
}

interface StdlibModule {
  name: string;
  file: CheckedFile;
}

let stdlibCache: StdlibModule[] | undefined;

/** The stdlib modules (`stdlib.pynn`, …), parsed and checked once per process. */
export function stdlibModules(): StdlibModule[] {
  if (stdlibCache) return stdlibCache;
  const dir = stdlibDir();
  const files = readdirSync(dir).filter((f) => f.endsWith('.snn')).sort();
  const modules: StdlibModule[] = [];
  for (const f of files) {
    const path = join(dir, f);
    const file = new Session({}).checkFile(path, readFileSync(path, 'utf8'), { stdlib: true, modules });
    modules.push({ name: `stdlib.${basename(f, '.snn')}`, file });
  }
  return (stdlibCache = modules);
}

/** All stdlib models by name. */
export function stdlibModels(): Map<string, ModelInfo> {
  const out = new Map<string, ModelInfo>();
  for (const m of stdlibModules()) for (const [k, v] of m.file.models) out.set(k, v);
  return out;
}

/** One checking session: files imported by several checked files are checked once. */
class Session {
  private readonly cache = new Map<string, CheckedFile>();
  private readonly stack: string[] = [];

  constructor(private readonly opts: CheckOptions) {}

  private read(path: string): string | undefined {
    if (this.opts.readFile) return this.opts.readFile(path);
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  }

  checkFile(path: string, text: string, ctx: { stdlib?: boolean; modules?: StdlibModule[] } = {}): CheckedFile {
    const key = resolve(path);
    const cached = this.cache.get(key);
    if (cached) return cached;
    if (!ctx.stdlib && dirname(key) === resolve(stdlibDir())) {
      // A stdlib file checked directly is checked as part of the stdlib (no shadowing warnings).
      const mod = stdlibModules().find((m) => resolve(m.file.path) === key);
      if (mod) return mod.file;
    }
    const parsed = parse(text, path);
    const file: CheckedFile = { path, source: parsed.source, ast: parsed.ast, diagnostics: [...parsed.diagnostics], models: new Map(), scope: new Map() };
    if (hasErrors(parsed.diagnostics)) {
      this.cache.set(key, file);
      return file;
    }
    this.stack.push(key);
    const reporter = new Reporter(path);
    const stdlib = ctx.stdlib ? new Map<string, ModelInfo>() : stdlibModels();
    // Models visible in this file: earlier stdlib modules (while loading the stdlib), imports, then local ones.
    const visible = new Map<string, ModelInfo>();
    if (ctx.modules) for (const m of ctx.modules) for (const [k, v] of m.file.models) visible.set(k, v);
    const imported = new Map<string, { model: ModelInfo; at: A.Ident | undefined; used: boolean }>();
    const unresolved = new Set<string>();
    for (const item of parsed.ast.items) {
      if (item.kind === 'Use') reporter.guard('use', item.range, () => this.use(item, path, reporter, imported, unresolved, ctx.modules));
    }
    for (const [k, v] of imported) visible.set(k, v.model);
    const local = new Map<string, A.ModelDecl>();
    const topNames = new Map<string, A.Ident>();
    for (const item of parsed.ast.items) {
      if (item.kind === 'Use' || !item.name) continue;
      const prev = topNames.get(item.name.name);
      if (prev) {
        reporter.report('DuplicateDeclaration', item.name.range, [item.name.name, 'file'], { related: [{ file: path, range: prev.range, message: 'first declared here' }] });
        continue;
      }
      topNames.set(item.name.name, item.name);
      if (item.kind === 'Model') {
        local.set(item.name.name, item);
        const std = stdlib.get(item.name.name);
        if (std && !ctx.stdlib) reporter.report('ShadowsStdlib', item.name.range, [item.name.name, `${std.kind} model`]);
      }
    }
    for (const [name, decl] of local) {
      const info = new ModelChecker(decl, reporter, path, ctx.stdlib === true).check();
      file.models.set(name, info);
      visible.set(name, info);
    }
    const lookup: ModelLookup = {
      get: (name) => visible.get(name) ?? stdlib.get(name),
      names: () => new Set([...visible.keys(), ...stdlib.keys()]),
      markUsed: (name) => {
        const imp = imported.get(name);
        if (imp) imp.used = true;
      },
      isUnresolved: (name) => (unresolved.has(name) || unresolved.has('*')) && !visible.has(name) && !stdlib.has(name),
    };
    file.scope = new Map([...stdlib, ...visible]);
    for (const item of parsed.ast.items) {
      if (item.kind === 'Network') reporter.guard('network', item.range, () => new NetworkChecker(item, reporter, lookup).check());
    }
    // A selected import no network names is unused (models cannot refer to other models).
    for (const [name, imp] of imported) {
      if (!imp.used && imp.at) reporter.report('UnusedImport', imp.at.range, [name]);
    }
    file.diagnostics.push(...reporter.diagnostics);
    this.stack.pop();
    this.cache.set(key, file);
    return file;
  }

  private use(
    u: A.UseDecl,
    fromPath: string,
    reporter: Reporter,
    imported: Map<string, { model: ModelInfo; at: A.Ident | undefined; used: boolean }>,
    unresolved: Set<string>,
    loadingStdlib: StdlibModule[] | undefined,
  ): void {
    // After a failed `use`, names it would have provided are unknown, not undeclared ('*': any name).
    const giveUp = (): void => {
      if (u.names.length === 0) unresolved.add('*');
      for (const n of u.names) unresolved.add(n.name);
    };
    let models: Map<string, ModelInfo>;
    let label: string;
    if (u.source.kind === 'module') {
      const name = u.source.parts.map((p) => p.name).join('.');
      label = name;
      const mods = loadingStdlib ?? stdlibModules();
      if (name === 'stdlib') {
        models = new Map(mods.flatMap((m) => [...m.file.models]));
      } else {
        const mod = mods.find((m) => m.name === name);
        if (!mod) {
          const hint = didYouMean(name, mods.map((m) => m.name)) ?? `modules: ${mods.map((m) => m.name).join(', ')}`;
          reporter.report('UnknownModule', u.source.range, [name], { hint });
          giveUp();
          return;
        }
        models = mod.file.models;
      }
    } else {
      const target = resolve(dirname(fromPath), u.source.path);
      label = u.source.path;
      if (this.stack.includes(target)) {
        const cycle = [...this.stack.slice(this.stack.indexOf(target)), target].map((p) => basename(p)).join(' -> ');
        reporter.report('ImportCycle', u.source.range, [cycle]);
        giveUp();
        return;
      }
      const text = this.read(target);
      if (text === undefined) {
        reporter.report('FileNotFound', u.source.range, [u.source.path]);
        giveUp();
        return;
      }
      const f = this.checkFile(target, text);
      // A cycle through the imported file runs through this one too: report it here, not as an error count.
      const cycleDiag = f.diagnostics.find((d) => d.name === 'ImportCycle');
      const errors = f.diagnostics.filter((d) => d.severity === 'error' && d.name !== 'ImportCycle').length;
      if (cycleDiag) reporter.report('ImportCycle', u.source.range, [cycleDiag.message.replace(/^import cycle: /, '')]);
      if (errors > 0) reporter.report('ImportHasErrors', u.source.range, [u.source.path, errors]);
      models = f.models;
    }
    if (u.names.length === 0) {
      for (const [k, v] of models) if (!imported.has(k)) imported.set(k, { model: v, at: undefined, used: true });
      return;
    }
    for (const n of u.names) {
      const m = models.get(n.name);
      if (!m) {
        const hint = didYouMean(n.name, models.keys());
        reporter.report('ImportedNameNotFound', n.range, [label, n.name], hint ? { hint } : {});
        unresolved.add(n.name);
        continue;
      }
      imported.set(n.name, { model: m, at: n, used: false });
    }
  }
}

/** Check one file's text. Diagnostics of imported files are summarised at the `use` (SNN1016). */
export function checkText(text: string, path: string, opts: CheckOptions = {}): CheckResult {
  const f = new Session(opts).checkFile(path, text);
  return {
    diagnostics: sortDiagnostics([...f.diagnostics]),
    sources: new Map([[path, f.source]]),
    documents: new Map([[path, f.ast]]),
  };
}

/** Check files from disk; unreadable files give SNN6001. */
export function checkFiles(paths: readonly string[], opts: CheckOptions = {}): CheckResult {
  const session = new Session(opts);
  const result: CheckResult = { diagnostics: [], sources: new Map(), documents: new Map() };
  for (const p of paths) {
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch (e) {
      result.diagnostics.push(makeDiagnostic('FileNotReadable', p, fileStartRange(), [p, (e as NodeJS.ErrnoException).code ?? String(e)]));
      continue;
    }
    const f = session.checkFile(p, text);
    result.diagnostics.push(...f.diagnostics);
    result.sources.set(p, f.source);
    result.documents.set(p, f.ast);
  }
  result.diagnostics = sortDiagnostics(result.diagnostics);
  return result;
}

/** Check a single file fully, returning its models too (used by the compiler). */
export function checkFileForCompile(path: string, text: string, opts: CheckOptions = {}): CheckedFile {
  return new Session(opts).checkFile(path, text);
}
