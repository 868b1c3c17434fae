/** `parse(text, path)`: lex and parse one .snn file into an AST plus syntax diagnostics. */
import { EOF, type IRecognitionException, type IToken } from 'chevrotain';
import type { Document } from './ast.js';
import { CstToAst } from './cst-to-ast.js';
import { fastParse } from './fast-parse.js';
import { makeDiagnostic, sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { parser } from './parser.js';
import { SourceFile } from './source.js';
import { SnnLexer, UnterminatedString } from './tokens.js';

export interface ParseResult {
  ast: Document;
  source: SourceFile;
  diagnostics: Diagnostic[];
}

export interface ParseOptions {
  /**
   * Try the fast path (lang/fast-parse.ts) first; default true. false always runs the chevrotain
   * parser, as the tests do to compare the two.
   */
  fast?: boolean;
}

export function parse(text: string, path = '<input>', options: ParseOptions = {}): ParseResult {
  const source = new SourceFile(path, text);
  const diagnostics: Diagnostic[] = [];
  const lexed = SnnLexer.tokenize(text);
  for (const e of lexed.errors) {
    const ch = text.slice(e.offset, e.offset + Math.max(1, Math.min(e.length, 1)));
    diagnostics.push(makeDiagnostic('UnexpectedCharacter', path, source.rangeOf(e.offset, e.offset + Math.max(1, e.length)), [printable(ch)]));
  }
  const tokens: IToken[] = [];
  for (const t of lexed.tokens) {
    if (t.tokenType === UnterminatedString) {
      diagnostics.push(makeDiagnostic('UnterminatedString', path, source.rangeOf(t.startOffset, (t.endOffset ?? t.startOffset) + 1)));
      // Treat the rest of the line as a string so parsing continues sensibly.
      tokens.push({ ...t, image: `${t.image}"` });
      continue;
    }
    tokens.push(t);
  }
  if (options.fast !== false && diagnostics.length === 0) {
    const ast = fastParse(tokens, source, lexed.groups.comments ?? []);
    if (ast) return { ast, source, diagnostics };
  }
  // Re-type unterminated strings as strings for the parser.
  parser.input = tokens.map((t) => (t.tokenType === UnterminatedString ? { ...t, tokenType: stringType, tokenTypeIdx: stringType.tokenTypeIdx! } : t));
  const cst = parser.document();
  const seen = new Set<number>();
  for (const err of parser.errors) {
    const at = anchorToken(err, tokens);
    if (seen.has(at.offset)) continue; // one diagnostic per position: recovery may retry at the same token
    seen.add(at.offset);
    const [found, expected] = err.message.split('\u0000');
    const range = source.rangeOf(at.offset, at.end);
    if (err.token.tokenType === EOF) diagnostics.push(makeDiagnostic('UnexpectedEnd', path, range, [expected ?? 'more input']));
    else diagnostics.push(makeDiagnostic('UnexpectedToken', path, range, [found ?? `'${err.token.image}'`, expected ?? 'something else']));
  }
  const builder = new CstToAst(source);
  const ast = builder.document(cst, lexed.groups.comments ?? []);
  diagnostics.push(...builder.diagnostics);
  return { ast, source, diagnostics: sortDiagnostics(diagnostics) };
}

import { StringLiteral as stringType } from './tokens.js';

function anchorToken(err: IRecognitionException, tokens: IToken[]): { offset: number; end: number } {
  const t = err.token;
  if (t.tokenType !== EOF && !Number.isNaN(t.startOffset)) return { offset: t.startOffset, end: (t.endOffset ?? t.startOffset) + 1 };
  // At end of file: point just after the last real token.
  const last = tokens[tokens.length - 1];
  if (!last) return { offset: 0, end: 0 };
  const end = (last.endOffset ?? last.startOffset) + 1;
  return { offset: end, end };
}

function printable(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return code < 32 || code === 127 ? `\\u${code.toString(16).padStart(4, '0')}` : ch;
}
