/**
 * Writes spec/syntax-diagrams.html: railroad diagrams drawn from the parser itself
 * (chevrotain's `createSyntaxDiagramsCode`), so the pictures cannot drift from the grammar.
 * spec/grammar.test.ts fails when the committed file differs from a fresh generation.
 *
 *   npx tsx spec/gen-syntax-diagrams.ts
 *
 * The page loads chevrotain's diagram renderer from a CDN (unpkg) when opened in a browser.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createSyntaxDiagramsCode } from 'chevrotain';
import { parser } from '../lang/parser.js';

export const SYNTAX_DIAGRAMS_PATH = fileURLToPath(new URL('./syntax-diagrams.html', import.meta.url));

/** The HTML page, generated from the live parser's grammar. */
export function syntaxDiagramsHtml(): string {
  return createSyntaxDiagramsCode(parser.getSerializedGastProductions());
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SYNTAX_DIAGRAMS_PATH, syntaxDiagramsHtml());
  console.log(`wrote ${SYNTAX_DIAGRAMS_PATH}`);
}
