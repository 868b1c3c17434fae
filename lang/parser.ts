/**
 * The .snn grammar as a pure chevrotain CstParser: no semantic actions (cst-to-ast.ts turns the
 * CST into the AST). Error recovery is on so one run reports every syntax error. One parser
 * instance is created when the module loads and reused (chevrotain's performance guide).
 * spec/grammar.ebnf mirrors these rules; a test keeps the two in step.
 */
import { CstParser, EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';
import * as T from './tokens.js';

const ASSIGN_OPS = [T.Assign, T.PlusAssign, T.MinusAssign, T.TimesAssign, T.DivAssign];

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
      nodeLocationTracking: 'full',
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
  expression = this.RULE('expression', () => {
    this.SUBRULE(this.orExpr, { LABEL: 'lhs' });
    this.OPTION(() => {
      this.CONSUME(T.Arrow, { LABEL: 'op' });
      this.SUBRULE2(this.orExpr, { LABEL: 'rhs' });
    });
  });

  orExpr = this.RULE('orExpr', () => {
    this.SUBRULE(this.andExpr, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(T.Or, { LABEL: 'ops' });
      this.SUBRULE2(this.andExpr, { LABEL: 'operands' });
    });
  });

  andExpr = this.RULE('andExpr', () => {
    this.SUBRULE(this.notExpr, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(T.And, { LABEL: 'ops' });
      this.SUBRULE2(this.notExpr, { LABEL: 'operands' });
    });
  });

  notExpr = this.RULE('notExpr', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Not, { LABEL: 'op' });
          this.SUBRULE(this.notExpr, { LABEL: 'operand' });
        },
      },
      { ALT: () => this.SUBRULE(this.comparison, { LABEL: 'inner' }) },
    ]);
  });

  comparison = this.RULE('comparison', () => {
    this.SUBRULE(this.additive, { LABEL: 'operands' });
    this.OPTION(() => {
      this.OR([T.Lt, T.Le, T.Gt, T.Ge, T.EqEq, T.NotEq].map((t) => ({ ALT: () => this.CONSUME(t, { LABEL: 'ops' }) })));
      this.SUBRULE2(this.additive, { LABEL: 'operands' });
    });
  });

  additive = this.RULE('additive', () => {
    this.SUBRULE(this.multiplicative, { LABEL: 'operands' });
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Plus, { LABEL: 'ops' }) }, { ALT: () => this.CONSUME(T.Minus, { LABEL: 'ops' }) }]);
      this.SUBRULE2(this.multiplicative, { LABEL: 'operands' });
    });
  });

  multiplicative = this.RULE('multiplicative', () => {
    this.SUBRULE(this.unary, { LABEL: 'operands' });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Star, { LABEL: 'ops' }) },
        { ALT: () => this.CONSUME(T.Slash, { LABEL: 'ops' }) },
        { ALT: () => this.CONSUME(T.Percent, { LABEL: 'ops' }) },
      ]);
      this.SUBRULE2(this.unary, { LABEL: 'operands' });
    });
  });

  unary = this.RULE('unary', () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(T.Minus, { LABEL: 'op' }) }, { ALT: () => this.CONSUME(T.Plus, { LABEL: 'op' }) }]);
          this.SUBRULE(this.unary, { LABEL: 'operand' });
        },
      },
      { ALT: () => this.SUBRULE(this.power, { LABEL: 'inner' }) },
    ]);
  });

  /** `a ^ b` binds tighter than unary minus on its left and is right-associative. */
  power = this.RULE('power', () => {
    this.SUBRULE(this.postfix, { LABEL: 'base' });
    this.OPTION(() => {
      this.CONSUME(T.Caret);
      this.SUBRULE(this.unary, { LABEL: 'exponent' });
    });
  });

  postfix = this.RULE('postfix', () => {
    this.SUBRULE(this.primary, { LABEL: 'primary' });
    this.MANY(() => {
      this.OR([
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

  primary = this.RULE('primary', () => {
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
  });

  /** A number, optionally followed on the same line by a unit. */
  quantity = this.RULE('quantity', () => {
    this.CONSUME(T.NumberLiteral, { LABEL: 'number' });
    this.OPTION({ GATE: () => this.unitFollows(), DEF: () => this.SUBRULE(this.unit) });
  });

  /** Unit factors joined by `*` or `/` written without spaces: `mV/ms`, `nA*ms`, `um^2`, `ms^-1`. */
  unit = this.RULE('unit', () => {
    this.SUBRULE(this.unitFactor, { LABEL: 'factors' });
    this.MANY({
      GATE: () => this.adjacentUnitOperator(),
      DEF: () => {
        this.OR([{ ALT: () => this.CONSUME(T.Star, { LABEL: 'ops' }) }, { ALT: () => this.CONSUME(T.Slash, { LABEL: 'ops' }) }]);
        this.SUBRULE2(this.unitFactor, { LABEL: 'factors' });
      },
    });
  });

  unitFactor = this.RULE('unitFactor', () => {
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.OPTION({
      GATE: () => adjacent(this.LA(0), this.LA(1)),
      DEF: () => {
        this.CONSUME(T.Caret);
        this.OPTION2(() => this.CONSUME(T.Minus, { LABEL: 'sign' }));
        this.CONSUME(T.NumberLiteral, { LABEL: 'power' });
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
