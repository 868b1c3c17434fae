/**
 * Keeps the written grammar in step with the parser:
 *   - spec/grammar.ebnf has one production per parser rule, each referring to exactly the rules
 *     and tokens the chevrotain rule refers to, and of the same shape;
 *   - its lexical productions (NAME, WORD, NUMBER, STRING, COMMENT) accept what the lexer accepts;
 *   - spec/syntax-diagrams.html is what spec/gen-syntax-diagrams.ts generates now;
 *   - spec/language.md lists exactly the keywords and units the code knows.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import fc from 'fast-check';
import {
  Alternation, Alternative, NonTerminal, Option, Repetition, RepetitionMandatory,
  RepetitionMandatoryWithSeparator, RepetitionWithSeparator, Rule, Terminal,
  type IProduction, type TokenType,
} from 'chevrotain';
import { parse } from '../lang/parse.js';
import { parser } from '../lang/parser.js';
import * as T from '../lang/tokens.js';
import { knownUnitNames } from '../compiler/units.js';
import { SYNTAX_DIAGRAMS_PATH, syntaxDiagramsHtml } from './gen-syntax-diagrams.js';

const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));
/* Files are read inside hooks and tests, never while mocha loads this file: an exception at load
   time aborts the whole run (and mocha then reports a confusing module-loading error). */
const readSpec = (name: string): string => readFileSync(here(name), 'utf8');

// ------------------------------------------------------------------------------------------
// Terminals: token names <-> how the EBNF writes them

/** Tokens the EBNF writes by name rather than as a quoted literal. */
const NAMED_TERMINALS: Readonly<Record<string, TokenType>> = {
  NAME: T.Identifier,
  WORD: T.AnyName,
  NUMBER: T.NumberLiteral,
  STRING: T.StringLiteral,
};

/** The literal a token stands for: its label without the quotes (`'neuron'` -> `neuron`). */
function literalOf(t: TokenType): string | undefined {
  const label = t.LABEL;
  return label !== undefined && label.length >= 3 && label.startsWith("'") && label.endsWith("'") ? label.slice(1, -1) : undefined;
}

const TOKEN_BY_LITERAL = new Map<string, TokenType>();
for (const t of T.allTokens) {
  const lit = literalOf(t);
  if (lit !== undefined) TOKEN_BY_LITERAL.set(lit, t);
}

/** How the EBNF writes a token: `"neuron"`, `"'"`, `NAME`; `<Name>` for a token it cannot write. */
function display(tokenName: string): string {
  for (const [k, t] of Object.entries(NAMED_TERMINALS)) if (t.name === tokenName) return k;
  const t = T.allTokens.find((x) => x.name === tokenName);
  const lit = t && literalOf(t);
  return lit !== undefined ? JSON.stringify(lit) : `<${tokenName}>`;
}

// ------------------------------------------------------------------------------------------
// A grammar expression shared by both sides

type G =
  | { k: 'seq' | 'alt'; items: G[] }
  | { k: 'opt' | 'star' | 'plus'; item: G }
  | { k: 'nt'; name: string }
  | { k: 't'; name: string } // token name, e.g. 'Identifier', 'LBrace'
  | { k: 'lex'; text: string }; // lexical only: a character class or #xN

function seq(items: G[]): G {
  const flat = items.flatMap((g) => (g.k === 'seq' ? g.items : [g]));
  return flat.length === 1 ? flat[0]! : { k: 'seq', items: flat };
}

function alt(items: G[]): G {
  const flat = items.flatMap((g) => (g.k === 'alt' ? g.items : [g]));
  return flat.length === 1 ? flat[0]! : { k: 'alt', items: flat };
}

/** EBNF text with as few parentheses as the precedence (postfix > sequence > |) needs. */
function show(g: G, ctx: 'top' | 'seq' | 'postfix' = 'top'): string {
  switch (g.k) {
    case 'nt':
      return g.name;
    case 't':
      return display(g.name);
    case 'lex':
      return g.text;
    case 'opt':
    case 'star':
    case 'plus':
      return show(g.item, 'postfix') + { opt: '?', star: '*', plus: '+' }[g.k];
    case 'seq': {
      if (g.items.length === 0) return '()';
      const s = g.items.map((x) => show(x, 'seq')).join(' ');
      return ctx === 'postfix' ? `( ${s} )` : s;
    }
    case 'alt': {
      const s = g.items.map((x) => show(x, 'top')).join(' | ');
      return ctx === 'top' ? s : `( ${s} )`;
    }
  }
}

/** Referenced rules and tokens, each as a sorted list. */
function refs(g: G): { rules: string[]; tokens: string[] } {
  const rules = new Set<string>();
  const tokens = new Set<string>();
  const walk = (x: G): void => {
    if (x.k === 'nt') rules.add(x.name);
    else if (x.k === 't') tokens.add(x.name);
    else if (x.k === 'seq' || x.k === 'alt') x.items.forEach(walk);
    else if (x.k === 'opt' || x.k === 'star' || x.k === 'plus') walk(x.item);
  };
  walk(g);
  return { rules: [...rules].sort(), tokens: [...tokens].sort() };
}

// ------------------------------------------------------------------------------------------
// The parser's side: chevrotain's grammar AST

function fromGast(p: IProduction): G {
  const body = (ps: IProduction[]): G => seq(ps.map(fromGast));
  if (p instanceof NonTerminal) return { k: 'nt', name: p.nonTerminalName };
  if (p instanceof Terminal) return { k: 't', name: p.terminalType.name };
  if (p instanceof Alternation) return alt(p.definition.map(fromGast));
  if (p instanceof Alternative) return body(p.definition);
  if (p instanceof Option) return { k: 'opt', item: body(p.definition) };
  if (p instanceof Repetition) return { k: 'star', item: body(p.definition) };
  if (p instanceof RepetitionMandatory) return { k: 'plus', item: body(p.definition) };
  if (p instanceof RepetitionWithSeparator) {
    // MANY_SEP(d, s) = ( d ( s d )* )?
    const d = body(p.definition);
    return { k: 'opt', item: seq([d, { k: 'star', item: seq([{ k: 't', name: p.separator.name }, d]) }]) };
  }
  if (p instanceof RepetitionMandatoryWithSeparator) {
    const d = body(p.definition);
    return seq([d, { k: 'star', item: seq([{ k: 't', name: p.separator.name }, d]) }]);
  }
  throw new Error(`unhandled grammar node ${p.constructor.name}`);
}

function parserGrammar(): Map<string, G> {
  const out = new Map<string, G>();
  for (const [name, rule] of Object.entries(parser.getGAstProductions())) {
    expect(rule).to.be.instanceOf(Rule);
    out.set(name, seq(rule.definition.map(fromGast)));
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// The EBNF's side: a small reader for the W3C notation used in grammar.ebnf

interface Ebnf {
  /** Productions named like parser rules (lowerCamelCase). */
  rules: Map<string, G>;
  /** Lexical productions (UPPER_CASE names), e.g. NAME. */
  lexical: Map<string, G>;
}

type Tok = { kind: 'lit' | 'id' | 'class' | 'hex' | 'op'; text: string };

function lexRhs(rhs: string, where: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < rhs.length) {
    const c = rhs[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'") {
      const j = rhs.indexOf(c, i + 1);
      if (j < 0) throw new Error(`${where}: unterminated literal`);
      out.push({ kind: 'lit', text: rhs.slice(i + 1, j) });
      i = j + 1;
    } else if (c === '[') {
      const j = rhs.indexOf(']', i + 1);
      if (j < 0) throw new Error(`${where}: unterminated character class`);
      out.push({ kind: 'class', text: rhs.slice(i, j + 1) });
      i = j + 1;
    } else if ('()|?*+'.includes(c)) {
      out.push({ kind: 'op', text: c });
      i++;
    } else {
      const m = /^(?:#x[0-9A-Fa-f]+|[A-Za-z_][A-Za-z0-9_]*)/.exec(rhs.slice(i));
      if (!m) throw new Error(`${where}: unexpected '${c}' in '${rhs.trim()}'`);
      out.push({ kind: m[0].startsWith('#x') ? 'hex' : 'id', text: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

const isLexicalName = (n: string): boolean => /^[A-Z][A-Z0-9_]*$/.test(n);

/** Parses a right-hand side; `lexical` productions keep literals as text. */
function parseRhs(rhs: string, where: string, lexical: boolean): G {
  const toks = lexRhs(rhs, where);
  let pos = 0;
  const peek = (): Tok | undefined => toks[pos];
  const isOp = (t: Tok | undefined, s: string): boolean => t?.kind === 'op' && t.text === s;

  const choice = (): G => {
    const items = [sequence()];
    while (isOp(peek(), '|')) {
      pos++;
      items.push(sequence());
    }
    return alt(items);
  };
  const sequence = (): G => {
    const items: G[] = [];
    while (peek() && !isOp(peek(), '|') && !isOp(peek(), ')')) items.push(postfix());
    if (items.length === 0) throw new Error(`${where}: empty alternative`);
    return seq(items);
  };
  const postfix = (): G => {
    let g = atom();
    for (;;) {
      const t = peek();
      if (isOp(t, '?')) g = { k: 'opt', item: g };
      else if (isOp(t, '*')) g = { k: 'star', item: g };
      else if (isOp(t, '+')) g = { k: 'plus', item: g };
      else return g;
      pos++;
    }
  };
  const atom = (): G => {
    const t = toks[pos++];
    if (!t) throw new Error(`${where}: unexpected end`);
    if (isOp(t, '(')) {
      const g = choice();
      if (!isOp(toks[pos++], ')')) throw new Error(`${where}: missing ')'`);
      return g;
    }
    if (t.kind === 'op') throw new Error(`${where}: unexpected '${t.text}'`);
    if (t.kind === 'class' || t.kind === 'hex') {
      if (!lexical) throw new Error(`${where}: character classes belong in lexical productions`);
      return { k: 'lex', text: t.text };
    }
    if (t.kind === 'lit') {
      if (lexical) return { k: 'lex', text: JSON.stringify(t.text) };
      const tok = TOKEN_BY_LITERAL.get(t.text);
      if (!tok) throw new Error(`${where}: "${t.text}" is not a token of lang/tokens.ts`);
      return { k: 't', name: tok.name };
    }
    if (isLexicalName(t.text)) {
      const tok = NAMED_TERMINALS[t.text];
      if (!lexical && !tok) throw new Error(`${where}: ${t.text} is not one of ${Object.keys(NAMED_TERMINALS).join(', ')}`);
      return tok && !lexical ? { k: 't', name: tok.name } : { k: 'nt', name: t.text };
    }
    return { k: 'nt', name: t.text };
  };

  const g = choice();
  if (pos !== toks.length) throw new Error(`${where}: unexpected '${toks[pos]!.text}'`);
  return g;
}

function readEbnf(text: string): Ebnf {
  const body = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '));
  const heads = [...body.matchAll(/^[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*::=/gm)];
  const out: Ebnf = { rules: new Map(), lexical: new Map() };
  heads.forEach((m, i) => {
    const name = m[1]!;
    const start = m.index + m[0].length;
    const end = i + 1 < heads.length ? heads[i + 1]!.index : body.length;
    const lexical = isLexicalName(name);
    const target = lexical ? out.lexical : out.rules;
    if (target.has(name) || (lexical ? out.rules : out.lexical).has(name)) throw new Error(`grammar.ebnf: '${name}' is defined twice`);
    target.set(name, parseRhs(body.slice(start, end), `grammar.ebnf, ${name}`, lexical));
  });
  const stray = body.slice(0, heads[0]?.index ?? body.length).trim();
  if (stray) throw new Error(`grammar.ebnf: text before the first production: ${stray.slice(0, 40)}`);
  return out;
}

/** Everything on which the EBNF and the parser disagree, one line each; empty when in step. */
function compareGrammars(parserRules: Map<string, G>, ebnf: Ebnf): string[] {
  const problems: string[] = [];
  for (const name of parserRules.keys()) if (!ebnf.rules.has(name)) problems.push(`rule '${name}' is missing from grammar.ebnf`);
  for (const name of ebnf.rules.keys()) if (!parserRules.has(name)) problems.push(`grammar.ebnf defines '${name}', which is not a parser rule`);
  for (const [name, pg] of parserRules) {
    const eg = ebnf.rules.get(name);
    if (!eg) continue;
    const [pr, er] = [refs(pg), refs(eg)];
    const diff = (a: string[], b: string[]): string[] => a.filter((x) => !b.includes(x));
    for (const r of diff(pr.rules, er.rules)) problems.push(`${name}: the parser refers to rule '${r}', grammar.ebnf does not`);
    for (const r of diff(er.rules, pr.rules)) problems.push(`${name}: grammar.ebnf refers to rule '${r}', the parser does not`);
    for (const t of diff(pr.tokens, er.tokens)) problems.push(`${name}: the parser uses token ${t} (${display(t)}), grammar.ebnf does not`);
    for (const t of diff(er.tokens, pr.tokens)) problems.push(`${name}: grammar.ebnf uses ${display(t)}, the parser does not`);
  }
  return problems;
}

/** Rules whose shape (sequence, alternatives, ?, *, +) differs, with the parser's shape to paste. */
function compareShapes(parserRules: Map<string, G>, ebnf: Ebnf): string[] {
  const problems: string[] = [];
  for (const [name, pg] of parserRules) {
    const eg = ebnf.rules.get(name);
    if (eg && show(pg) !== show(eg)) problems.push(`${name}\n    parser:       ${show(pg)}\n    grammar.ebnf: ${show(eg)}`);
  }
  return problems;
}

// ------------------------------------------------------------------------------------------
// Lexical productions as regular expressions, to compare with the token patterns

function toRegExpSource(g: G): string {
  switch (g.k) {
    case 'lex': {
      const hex = (h: string): string => `\\u${h.slice(2).padStart(4, '0')}`;
      if (g.text.startsWith('#x')) return hex(g.text);
      if (g.text.startsWith('[')) {
        const inner = g.text.slice(1, -1).replace(/\\/g, '\\\\').replace(/#x[0-9A-Fa-f]+/g, hex);
        return `[${inner}]`;
      }
      return (JSON.parse(g.text) as string).replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    }
    case 'seq':
      return g.items.map(toRegExpSource).join('');
    case 'alt':
      return `(?:${g.items.map(toRegExpSource).join('|')})`;
    case 'opt':
    case 'star':
    case 'plus':
      return `(?:${toRegExpSource(g.item)})${{ opt: '?', star: '*', plus: '+' }[g.k]}`;
    default:
      throw new Error(`a lexical production may not refer to ${show(g)}`);
  }
}

const whole = (source: string): RegExp => new RegExp(`^(?:${source})$`);

// ------------------------------------------------------------------------------------------

describe('spec/grammar.ebnf', () => {
  let ebnf: Ebnf;
  let rules: Map<string, G>;
  let EBNF_TEXT: string;
  before(() => {
    EBNF_TEXT = readSpec('./grammar.ebnf');
    ebnf = readEbnf(EBNF_TEXT);
    rules = parserGrammar();
  });

  it('has one production per parser rule, referring to the same rules and tokens', () => {
    expect(compareGrammars(rules, ebnf)).to.deep.equal([]);
  });

  it('has the shape of each parser rule', () => {
    const problems = compareShapes(rules, ebnf);
    expect(problems, `update spec/grammar.ebnf:\n  ${problems.join('\n  ')}\n`).to.deep.equal([]);
  });

  it('notices a rule or a token use the EBNF lacks', () => {
    const withoutPercent = readEbnf(EBNF_TEXT.replace('"/" | "%" | "^"', '"/" | "^"'));
    expect(compareGrammars(rules, withoutPercent)).to.deep.equal([
      'expression: the parser uses token Percent ("%"), grammar.ebnf does not',
    ]);
    const withoutMember = readEbnf(EBNF_TEXT.replace(/^memberSuffix\s*::=[^\n]*\n/m, ''));
    expect(compareGrammars(rules, withoutMember)).to.include("rule 'memberSuffix' is missing from grammar.ebnf");
    const extraRule = new Map(rules).set('lambda', seq([{ k: 't', name: 'Arrow' }, { k: 'nt', name: 'expression' }]));
    expect(compareGrammars(extraRule, ebnf)).to.deep.equal(["rule 'lambda' is missing from grammar.ebnf"]);
    const optionalMember = readEbnf(EBNF_TEXT.replace('memberSuffix   ::= "." NAME', 'memberSuffix   ::= "." NAME?'));
    expect(compareShapes(rules, optionalMember)).to.have.length(1);
  });

  it('writes every quoted literal as the label of exactly one token whose pattern matches it', () => {
    for (const [lit, tok] of TOKEN_BY_LITERAL) {
      const pattern = tok.PATTERN;
      expect(pattern, tok.name).to.be.instanceOf(RegExp);
      expect(whole((pattern as RegExp).source).test(lit), `${tok.name} /${String(pattern)}/ vs "${lit}"`).to.equal(true);
    }
    expect(TOKEN_BY_LITERAL.size).to.equal(T.allTokens.filter((t) => literalOf(t) !== undefined).length);
  });

  it('defines NAME, WORD, NUMBER, STRING and COMMENT exactly as the lexer matches them', () => {
    // WORD (AnyName) is a token category with no pattern of its own: it spells like a NAME.
    const cases: [string, TokenType][] = [
      ['NAME', T.Identifier], ['WORD', T.Identifier], ['NUMBER', T.NumberLiteral], ['STRING', T.StringLiteral], ['COMMENT', T.Comment],
    ];
    const chars = ['a', 'Z', 'e', 'E', '_', 'µ', 'Ω', '0', '7', '.', '+', '-', '"', '\\', '#', ' ', '\n', 'x', 'μ'];
    for (const [name, tok] of cases) {
      const prod = ebnf.lexical.get(name);
      expect(prod, `grammar.ebnf defines ${name}`).to.not.equal(undefined);
      const mine = whole(toRegExpSource(prod!));
      const theirs = whole((tok.PATTERN as RegExp).source);
      for (const s of ['x1', '1.5e-3', '.5', '1.', '"a\\"b"', '# note', 'µS', '"\n"', '']) {
        expect(mine.test(s), `${name} vs ${tok.name} on ${JSON.stringify(s)}`).to.equal(theirs.test(s));
      }
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...chars), { maxLength: 8 }).map((a) => a.join('')), (s) => mine.test(s) === theirs.test(s)),
        { numRuns: 2000 },
      );
    }
  });
});

describe('spec/syntax-diagrams.html', () => {
  it('is what spec/gen-syntax-diagrams.ts generates from the parser now', () => {
    const committed = readFileSync(SYNTAX_DIAGRAMS_PATH, 'utf8').replace(/\r\n/g, '\n');
    const fresh = syntaxDiagramsHtml().replace(/\r\n/g, '\n');
    expect(committed === fresh, 'spec/syntax-diagrams.html is stale: run `npx tsx spec/gen-syntax-diagrams.ts`').to.equal(true);
  });
});

describe('spec/language.md', () => {
  /** Backticked words between `<!-- NAME:begin -->` and `<!-- NAME:end -->`. */
  const listed = (name: string): string[] => {
    const md = readSpec('./language.md');
    const m = new RegExp(`<!-- ${name}:begin -->([\\s\\S]*?)<!-- ${name}:end -->`).exec(md);
    expect(m, `language.md marks the ${name} list`).to.not.equal(null);
    return [...m![1]!.matchAll(/`([^`\s]+)`/g)].map((x) => x[1]!).sort();
  };

  it('lists the hard and soft keywords of lang/tokens.ts', () => {
    const soft = T.keywordTokens.filter((t) => (t.CATEGORIES ?? []).includes(T.Identifier)).map((t) => literalOf(t)!);
    expect(listed('hard-keywords')).to.deep.equal([...T.HARD_KEYWORDS].sort());
    expect(listed('soft-keywords')).to.deep.equal(soft.sort());
  });

  it('lists exactly the units of compiler/units.ts', () => {
    expect(listed('units')).to.deep.equal(knownUnitNames().sort());
  });

  it('has ```snn examples that parse without a syntax error', () => {
    const blocks = [...readSpec('./language.md').matchAll(/^```snn\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
    expect(blocks.length).to.be.greaterThan(3);
    for (const [i, text] of blocks.entries()) {
      const problems = parse(text, `language.md example ${i + 1}`).diagnostics.map((d) => `${d.code} ${d.message} at ${d.range.start.line}:${d.range.start.column}`);
      expect(problems, `example ${i + 1}:\n${text}`).to.deep.equal([]);
    }
  });
});
