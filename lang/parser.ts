/**
 * The .snn grammar as a pure chevrotain CstParser: no semantic actions (cst-to-ast.ts turns the
 * CST into the AST). Error recovery is on so one run reports every syntax error. One parser
 * instance is created when the module loads and reused (chevrotain's performance guide).
 * spec/grammar.ebnf mirrors these rules; a test keeps the two in step.
 */
import { CstParser, EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';
import * as T from './tokens.js';

const ASSIGN_OPS = [T.Assign, T.PlusAssign, T.MinusAssign, T.TimesAssign, T.DivAssign];
/** Operators written before an operand. */
export const PREFIX_OPS = [T.Not, T.Minus, T.Plus];
/** Operators written between two operands; their precedence is applied by cst-to-ast.ts. */
export const BINARY_OPS = [T.Arrow, T.Or, T.And, T.Lt, T.Le, T.Gt, T.Ge, T.EqEq, T.NotEq, T.Plus, T.Minus, T.Star, T.Slash, T.Percent, T.Caret];

function describe(tok: IToken): string {
  if (tok.tokenType === EOF) return 'end of file';
  if (tok.tokenType === T.Identifier) return `name '${tok.image}'`;
  if (tok.tokenType === T.NumberLiteral) return `number ${tok.image}`;
  if (tok.tokenType === T.StringLiteral) return `string ${tok.image}`;
  if (T.keywordTokens.includes(tok.tokenType)) return `keyword '${tok.image}'`;
  return `'${tok.image}'`;
}

function labelOf(t: TokenType): string {
  return t.LABEL ?? t.name;
}

function alternatives(paths: TokenType[][][]): string {
  const firsts = new Set<string>();
  for (const alt of paths) for (const path of alt) if (path.length > 0) firsts.add(labelOf(path[0]));
  const list = [...firsts];
  if (list.length === 0) return 'something else';
  if (list.length > 6) return `${list.slice(0, 6).join(', ')} or …`;
  return list.length === 1 ? list[0] : `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
}

/** Messages are encoded as `found\u0000expected` and split into catalogue arguments by parse(). */
export const errorMessageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) => `${describe(actual)}\u0000${labelOf(expected)}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) => `${describe(firstRedundant)}\u0000a declaration (neuron, synapse, plasticity, network or use)`,
  buildNoViableAltMessage: ({ expectedPathsPerAlt, actual }) => `${describe(actual[0])}\u0000${alternatives(expectedPathsPerAlt)}`,
  buildEarlyExitMessage: ({ expectedIterationPaths, actual }) => `${describe(actual[0])}\u0000${alternatives([expectedIterationPaths])}`,
};

class SnnParser extends CstParser {
  constructor() {
    super(T.allTokens, {
      recoveryEnabled: true,
      nodeLocationTracking: 'onlyOffset',
      maxLookahead: 3,
      errorMessageProvider,
    });
    this.performSelfAnalysis();
  }

  // ------------------------------------------------------------------ top level
  document = this.RULE('document', () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.useDecl) },
        { ALT: () => this.SUBRULE(this.modelDecl) },
        { ALT: () => this.SUBRULE(this.networkDecl) },
        { ALT: () => this.CONSUME(T.Semicolon) },
      ]);
    });
  });

  /** `use a.b`, `use "file.snn"`, `use A, B from "file.snn"`. */
  useDecl = this.RULE('useDecl', () => {
    this.CONSUME(T.Use);
    this.OR([
      { ALT: () => this.CONSUME(T.StringLiteral, { LABEL: 'path' }) },
      {
        ALT: () => {
          this.SUBRULE(this.qualifiedName, { LABEL: 'names' });
          this.MANY(() => {
            this.CONSUME(T.Comma);
            this.SUBRULE2(this.qualifiedName, { LABEL: 'names' });
          });
          this.OPTION(() => {
            this.CONSUME(T.From);
            this.OR2([
              { ALT: () => this.CONSUME2(T.StringLiteral, { LABEL: 'fromPath' }) },
              { ALT: () => this.SUBRULE3(this.qualifiedName, { LABEL: 'fromModule' }) },
            ]);
          });
        },
      },
    ]);
  });

  qualifiedName = this.RULE('qualifiedName', () => {
    this.CONSUME(T.AnyName, { LABEL: 'parts' });
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME2(T.AnyName, { LABEL: 'parts' });
    });
  });

  // ------------------------------------------------------------------ models
  modelDecl = this.RULE('modelDecl', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Neuron, { LABEL: 'modelKind' }) },
      { ALT: () => this.CONSUME(T.Synapse, { LABEL: 'modelKind' }) },
      { ALT: () => this.CONSUME(T.Plasticity, { LABEL: 'modelKind' }) },
    ]);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR2([
        { ALT: () => this.SUBRULE(this.varBlock) },
        { ALT: () => this.SUBRULE(this.equationsBlock) },
        { ALT: () => this.SUBRULE(this.handler) },
        { ALT: () => this.SUBRULE(this.spikeRule) },
        { ALT: () => this.SUBRULE(this.refractory) },
        { ALT: () => this.SUBRULE(this.tracesBlock) },
        { ALT: () => this.SUBRULE(this.boundsDecl) },
        { ALT: () => this.CONSUME(T.Semicolon) },
      ]);
    });
    this.CONSUME(T.RBrace);
  });

  varBlock = this.RULE('varBlock', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Parameters, { LABEL: 'section' }) },
      { ALT: () => this.CONSUME(T.State, { LABEL: 'section' }) },
    ]);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR2([{ ALT: () => this.SUBRULE(this.varDecl) }, { ALT: () => this.CONSUME(T.Semicolon) }]);
    });
    this.CONSUME(T.RBrace);
  });

  varDecl = this.RULE('varDecl', () => {
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.Assign);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  equationsBlock = this.RULE('equationsBlock', () => {
    this.CONSUME(T.Equations);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR([{ ALT: () => this.SUBRULE(this.equation) }, { ALT: () => this.CONSUME(T.Semicolon) }]);
    });
    this.CONSUME(T.RBrace);
  });

  /** `x' = rhs` (an ODE) or `name = expr` (an alias). */
  equation = this.RULE('equation', () => {
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.MANY(() => this.CONSUME(T.Prime));
    this.CONSUME(T.Assign);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  handler = this.RULE('handler', () => {
    this.CONSUME(T.On);
    this.CONSUME(T.Identifier, { LABEL: 'event' });
    this.OPTION(() => this.CONSUME2(T.Identifier, { LABEL: 'port' }));
    this.OPTION2(() => {
      this.CONSUME(T.LParen);
      this.MANY_SEP({ SEP: T.Comma, DEF: () => this.CONSUME3(T.Identifier, { LABEL: 'params' }) });
      this.CONSUME(T.RParen);
    });
    this.SUBRULE(this.block);
  });

  spikeRule = this.RULE('spikeRule', () => {
    this.CONSUME(T.Spike);
    this.CONSUME(T.When);
    this.SUBRULE(this.expression, { LABEL: 'condition' });
    this.OPTION(() => {
      this.CONSUME(T.Reset);
      this.SUBRULE(this.block, { LABEL: 'reset' });
    });
  });

  refractory = this.RULE('refractory', () => {
    this.CONSUME(T.Refractory);
    this.SUBRULE(this.expression, { LABEL: 'period' });
  });

  tracesBlock = this.RULE('tracesBlock', () => {
    this.CONSUME(T.Identifier, { LABEL: 'side' });
    this.CONSUME(T.Traces);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR([{ ALT: () => this.SUBRULE(this.traceDecl) }, { ALT: () => this.CONSUME(T.Semicolon) }]);
    });
    this.CONSUME(T.RBrace);
  });

  traceDecl = this.RULE('traceDecl', () => {
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expression, { LABEL: 'tau' });
  });

  boundsDecl = this.RULE('boundsDecl', () => {
    this.CONSUME(T.BoundsKw);
    this.CONSUME(T.Identifier, { LABEL: 'variable' });
    this.CONSUME(T.In);
    this.CONSUME(T.LBracket);
    this.SUBRULE(this.expression, { LABEL: 'lower' });
    this.CONSUME(T.Comma);
    this.SUBRULE2(this.expression, { LABEL: 'upper' });
    this.CONSUME(T.RBracket);
  });

  block = this.RULE('block', () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR([{ ALT: () => this.SUBRULE(this.statement) }, { ALT: () => this.CONSUME(T.Semicolon) }]);
    });
    this.CONSUME(T.RBrace);
  });

  /** `x op= expr` or a call used as a statement. */
  statement = this.RULE('statement', () => {
    this.OR([
      {
        GATE: () => ASSIGN_OPS.includes(this.LA(2).tokenType),
        ALT: () => {
          this.CONSUME(T.Identifier, { LABEL: 'target' });
          this.OR2(ASSIGN_OPS.map((t) => ({ ALT: () => this.CONSUME(t, { LABEL: 'op' }) })));
          this.SUBRULE(this.expression, { LABEL: 'value' });
        },
      },
      { ALT: () => this.SUBRULE2(this.expression, { LABEL: 'expr' }) },
    ]);
  });

  // ------------------------------------------------------------------ networks
  networkDecl = this.RULE('networkDecl', () => {
    this.CONSUME(T.Network);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.recordStmt) },
        { ALT: () => this.SUBRULE(this.injectStmt) },
        { ALT: () => this.SUBRULE(this.trainBlock) },
        { ALT: () => this.SUBRULE(this.targetBlock) },
        { GATE: () => this.LA(2).tokenType === T.Assign, ALT: () => this.SUBRULE(this.binding) },
        { ALT: () => this.SUBRULE(this.expression, { LABEL: 'exprStmt' }) },
        { ALT: () => this.CONSUME(T.Semicolon) },
      ]);
    });
    this.CONSUME(T.RBrace);
  });

  binding = this.RULE('binding', () => {
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.Assign);
    this.SUBRULE(this.expression, { LABEL: 'value' });
    this.OPTION(() => {
      this.CONSUME(T.From);
      this.SUBRULE2(this.expression, { LABEL: 'source' });
    });
  });

  recordStmt = this.RULE('recordStmt', () => {
    this.CONSUME(T.RecordKw);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression, { LABEL: 'targets' }) });
    this.OPTION(() => {
      this.CONSUME(T.Every);
      this.SUBRULE2(this.expression, { LABEL: 'every' });
    });
  });

  injectStmt = this.RULE('injectStmt', () => {
    this.CONSUME(T.InjectKw);
    this.SUBRULE(this.expression, { LABEL: 'source' });
    this.CONSUME(T.Into);
    this.SUBRULE2(this.expression, { LABEL: 'target' });
  });

  trainBlock = this.RULE('trainBlock', () => {
    this.CONSUME(T.Train);
    this.SUBRULE(this.entryBlock);
  });

  targetBlock = this.RULE('targetBlock', () => {
    this.CONSUME(T.Target);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.SUBRULE(this.entryBlock);
  });

  entryBlock = this.RULE('entryBlock', () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.entry) },
        { ALT: () => this.CONSUME(T.Semicolon) },
        { ALT: () => this.CONSUME(T.Comma) },
      ]);
    });
    this.CONSUME(T.RBrace);
  });

  entry = this.RULE('entry', () => {
    this.CONSUME(T.AnyName, { LABEL: 'key' });
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  // ------------------------------------------------------------------ expressions
  /**
   * One flat rule for every operator level: operands with their prefix operators, joined by
   * binary operators. cst-to-ast.ts applies the precedence (PRECEDENCE there; spec/language.md
   * §Expressions). One rule instead of a chain of nine precedence rules makes the CST about three
   * times smaller, and parsing and CST-to-AST about twice as fast (bench/check-speed.ts).
   */
  expression = this.RULE('expression', () => {
    this.MANY(() => this.OR(PREFIX_OPS.map((t) => ({ ALT: () => this.CONSUME(t, { LABEL: 'prefix' }) }))));
    this.SUBRULE(this.postfix, { LABEL: 'operands' });
    this.MANY2(() => {
      this.OR2(BINARY_OPS.map((t) => ({ ALT: () => this.CONSUME2(t, { LABEL: 'ops' }) })));
      this.MANY3(() => this.OR3(PREFIX_OPS.map((t) => ({ ALT: () => this.CONSUME3(t, { LABEL: 'prefix' }) }))));
      this.SUBRULE2(this.postfix, { LABEL: 'operands' });
    });
  });

  /** An operand: a primary (inlined here to keep the CST shallow) and its suffixes. */
  postfix = this.RULE('postfix', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.quantity) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.Identifier) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.expression, { LABEL: 'parenthesized' });
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.listLiteral) },
      { ALT: () => this.SUBRULE(this.objectLiteral) },
    ]);
    this.MANY(() => {
      this.OR2([
        { ALT: () => this.SUBRULE(this.callSuffix, { LABEL: 'suffixes' }) },
        { ALT: () => this.SUBRULE(this.memberSuffix, { LABEL: 'suffixes' }) },
        { ALT: () => this.SUBRULE(this.indexSuffix, { LABEL: 'suffixes' }) },
      ]);
    });
  });

  callSuffix = this.RULE('callSuffix', () => {
    this.CONSUME(T.LParen);
    this.MANY(() => {
      this.SUBRULE(this.argument, { LABEL: 'args' });
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RParen);
  });

  argument = this.RULE('argument', () => {
    this.OPTION({
      GATE: () => this.LA(2).tokenType === T.Colon,
      DEF: () => {
        this.CONSUME(T.AnyName, { LABEL: 'name' });
        this.CONSUME(T.Colon);
      },
    });
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  memberSuffix = this.RULE('memberSuffix', () => {
    this.CONSUME(T.Dot);
    this.CONSUME(T.Identifier, { LABEL: 'member' });
  });

  /** `[i]`, `[a:b]`, `[a:b:step]`, `[::2]`. */
  indexSuffix = this.RULE('indexSuffix', () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => this.SUBRULE(this.expression, { LABEL: 'start' }));
    this.OPTION2(() => {
      this.CONSUME(T.Colon, { LABEL: 'colons' });
      this.OPTION3(() => this.SUBRULE2(this.expression, { LABEL: 'end' }));
      this.OPTION4(() => {
        this.CONSUME2(T.Colon, { LABEL: 'colons' });
        this.OPTION5(() => this.SUBRULE3(this.expression, { LABEL: 'step' }));
      });
    });
    this.CONSUME(T.RBracket);
  });

  /**
   * A number, optionally followed on the same line by a unit: factors joined by `*` or `/` written
   * without spaces, each with an optional whole power: `mV/ms`, `nA*ms`, `um^2`, `ms^-1`. The unit
   * is part of this rule (not a subrule) to keep the CST shallow; cst-to-ast.ts regroups the factors.
   */
  quantity = this.RULE('quantity', () => {
    this.CONSUME(T.NumberLiteral, { LABEL: 'number' });
    this.OPTION({
      GATE: () => this.unitFollows(),
      DEF: () => {
        this.CONSUME(T.Identifier, { LABEL: 'unitNames' });
        this.OPTION2({
          GATE: () => adjacent(this.LA(0), this.LA(1)),
          DEF: () => {
            this.CONSUME(T.Caret);
            this.OPTION4(() => this.CONSUME(T.Minus, { LABEL: 'signs' }));
            this.CONSUME2(T.NumberLiteral, { LABEL: 'powers' });
          },
        });
        this.MANY({
          GATE: () => this.adjacentUnitOperator(),
          DEF: () => {
            this.OR([{ ALT: () => this.CONSUME(T.Star, { LABEL: 'unitOps' }) }, { ALT: () => this.CONSUME(T.Slash, { LABEL: 'unitOps' }) }]);
            this.CONSUME2(T.Identifier, { LABEL: 'unitNames' });
            this.OPTION3({
              GATE: () => adjacent(this.LA(0), this.LA(1)),
              DEF: () => {
                this.CONSUME2(T.Caret);
                this.OPTION5(() => this.CONSUME2(T.Minus, { LABEL: 'signs' }));
                this.CONSUME3(T.NumberLiteral, { LABEL: 'powers' });
              },
            });
          },
        });
      },
    });
  });

  listLiteral = this.RULE('listLiteral', () => {
    this.CONSUME(T.LBracket);
    this.MANY(() => {
      this.SUBRULE(this.expression, { LABEL: 'items' });
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });

  objectLiteral = this.RULE('objectLiteral', () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.SUBRULE(this.entry, { LABEL: 'entries' });
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBrace);
  });

  /** After a number: an identifier on the same line that is not the start of the next statement. */
  private unitFollows(): boolean {
    const num = this.LA(0);
    const next = this.LA(1);
    if (next.tokenType !== T.Identifier && !(next.tokenType.CATEGORIES ?? []).includes(T.Identifier)) return false;
    if (next.tokenType !== T.Identifier) return false; // soft keywords (from, into, every, in) never start a unit
    if (next.startLine !== num.endLine) return false;
    const after = this.LA(2).tokenType;
    return !(after === T.Prime || after === T.Colon || after === T.LParen || ASSIGN_OPS.includes(after));
  }

  private adjacentUnitOperator(): boolean {
    const op = this.LA(1);
    return (op.tokenType === T.Star || op.tokenType === T.Slash) && adjacent(this.LA(0), op) && adjacent(op, this.LA(2)) && this.LA(2).tokenType === T.Identifier;
  }
}

function adjacent(a: IToken, b: IToken): boolean {
  return a.endOffset !== undefined && b.startOffset === a.endOffset + 1;
}

export const parser = new SnnParser();
export type { SnnParser };
