import { expect } from 'chai';
import { Lexer } from 'chevrotain';
import { SnnParser } from './parser.js';
import { allTokens, SnnLexer } from './tokens.js';

describe('the lexer and the parser', () => {
  it("pass chevrotain's grammar validations (the shared instances skip them at start-up)", () => {
    // performSelfAnalysis throws on a left-recursive rule, an ambiguous alternative, a duplicate
    // occurrence index and the like.
    expect(() => new SnnParser(true)).not.to.throw();
    // ensureOptimizations: the lexer throws instead of falling back to its slow path.
    const lexer = new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: true });
    expect(lexer.lexerDefinitionErrors).to.deep.equal([]);
    const text = 'neuron N { parameters { tau = 10 ms } }  # µS Ω';
    expect(lexer.tokenize(text).tokens.map((t) => t.image)).to.deep.equal(SnnLexer.tokenize(text).tokens.map((t) => t.image));
  });
});
