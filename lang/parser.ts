/**
 * The .snn grammar as a pure chevrotain CstParser: no semantic actions (cst-to-ast.ts turns the
 * CST into the AST). Error recovery is on so one run reports every syntax error. One parser
 * instance is created when the module loads and reused (chevrotain's performance guide).
 * spec/grammar.ebnf mirrors these rules; a test keeps the two in step.
 */
import { CstParser, EOF, type IOrAlt, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';
import * as T from './tokens.js';

/** Operators that make a statement an assignment. */
export const ASSIGN_OPS = [T.Assign, T.PlusAssign, T.MinusAssign, T.TimesAssign, T.DivAssign];
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
  /**
   * OR alternatives are built once and reused: a fresh array of closures on every call is most of
   * the parser's garbage (chevrotain's performance guide, "caching arrays of alternatives").
   */
  private readonly alts: Record<string, IOrAlt<unknown>[]> = {};

  /**
   * `validate`: run chevrotain's grammar validations (ambiguities, left recursion, …). They cost
   * start-up time on every `snn` run and cannot fail once the grammar is fixed, so the shared
   * instance skips them and a test (lang/parser.test.ts) builds one with them on.
   */
  constructor(validate = false) {
    super(T.allTokens, {
      recoveryEnabled: true,
      nodeLocationTracking: 'onlyOffset',
      maxLookahead: 3,
      errorMessageProvider,
      skipValidations: !validate,
    });
    this.performSelfAnalysis();
  }

  // ------------------------------------------------------------------ top level
  document = this.RULE('document', () => {
    this.MANY(() => {
      this.OR(this.alts.documentOR ??= [
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
    this.OR(this.alts.useDeclOR ??= [
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
            this.OR2(this.alts.useDeclOR2 ??= [
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
    this.OR(this.alts.modelDeclOR ??= [
      { ALT: () => this.CONSUME(T.Neuron, { LABEL: 'modelKind' }) },
      { ALT: () => this.CONSUME(T.Synapse, { LABEL: 'modelKind' }) },
      { ALT: () => this.CONSUME(T.Plasticity, { LABEL: 'modelKind' }) },
    ]);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR2(this.alts.modelDeclOR2 ??= [
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
    this.OR(this.alts.varBlockOR ??= [
      { ALT: () => this.CONSUME(T.Parameters, { LABEL: 'section' }) },
      { ALT: () => this.CONSUME(T.State, { LABEL: 'section' }) },
    ]);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR2(this.alts.varBlockOR2 ??= [{ ALT: () => this.SUBRULE(this.varDecl) }, { ALT: () => this.CONSUME(T.Semicolon) }]);
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
      this.OR(this.alts.equationsBlockOR ??= [{ ALT: () => this.SUBRULE(this.equation) }, { ALT: () => this.CONSUME(T.Semicolon) }]);
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
      this.OR(this.alts.tracesBlockOR ??= [{ ALT: () => this.SUBRULE(this.traceDecl) }, { ALT: () => this.CONSUME(T.Semicolon) }]);
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
      this.OR(this.alts.blockOR ??= [{ ALT: () => this.SUBRULE(this.statement) }, { ALT: () => this.CONSUME(T.Semicolon) }]);
    });
    this.CONSUME(T.RBrace);
  });

  /** `x op= expr` or a call used as a statement. */
  statement = this.RULE('statement', () => {
    this.OR(this.alts.statementOR ??= [
      {
        GATE: () => ASSIGN_OPS.includes(this.LA(2).tokenType),
        ALT: () => {
          this.CONSUME(T.Identifier, { LABEL: 'target' });
          this.OR2(this.alts.statementOR2 ??= ASSIGN_OPS.map((t) => ({ ALT: () => this.CONSUME(t, { LABEL: 'op' }) })));
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
      this.OR(this.alts.networkDeclOR ??= [
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
      this.OR(this.alts.entryBlockOR ??= [
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
   * One flat rule for every operator level: operands (a primary with its prefix operators and
   * its call, member and index suffixes) joined by binary operators. cst-to-ast.ts puts the pieces
   * back in source order and applies the precedence (BINARY_PRECEDENCE in lang/ast.ts). A chain of
   * nine precedence rules built about eight CST nodes per operand; this builds one, which made
   * `snn check` of a 20,000-line model about three times faster (bench/check-speed.ts).
   */
  expression = this.RULE('expression', () => {
    this.operand(0);
    this.MANY(() => {
      this.OR(this.alts.binaryOps ??= BINARY_OPS.map((t) => ({ ALT: () => this.CONSUME(t, { LABEL: 'ops' }) })));
      this.operand(1);
    });
  });

  /**
   * The first (`which` 0) or a later (1) operand of `expression`. Written once and used twice, so
   * it takes chevrotain's explicit occurrence indices (`consume(idx, …)`), distinct per copy.
   */
  private operand(which: 0 | 1): void {
    const k = which === 0 ? 'first' : 'later';
    const i = 10 + which * 10;
    this.many(i, () => this.or(i, (this.alts[`${k}Prefix`] ??= PREFIX_OPS.map((t) => ({ ALT: () => this.consume(i, t, { LABEL: 'prefix' }) })))));
    this.or(i + 1, (this.alts[`${k}Primary`] ??= [
      { ALT: () => this.subrule(i, this.quantity) },
      { ALT: () => this.consume(i + 1, T.StringLiteral) },
      { ALT: () => this.consume(i, T.True) },
      { ALT: () => this.consume(i, T.False) },
      { ALT: () => this.consume(i, T.Identifier) },
      {
        ALT: () => {
          this.consume(i, T.LParen);
          this.subrule(i, this.expression, { LABEL: 'parenthesized' });
          this.consume(i, T.RParen);
        },
      },
      { ALT: () => this.subrule(i, this.listLiteral) },
      { ALT: () => this.subrule(i, this.objectLiteral) },
    ]));
    this.many(i + 1, () => {
      this.or(i + 2, (this.alts[`${k}Suffix`] ??= [
        { ALT: () => this.subrule(i, this.callSuffix, { LABEL: 'suffixes' }) },
        { ALT: () => this.subrule(i, this.memberSuffix, { LABEL: 'suffixes' }) },
        { ALT: () => this.subrule(i, this.indexSuffix, { LABEL: 'suffixes' }) },
      ]));
    });
  }

  /** `(a, name: b)`: arguments, each optionally named (taken only when the second token is ":"). */
  callSuffix = this.RULE('callSuffix', () => {
    this.CONSUME(T.LParen);
    this.MANY(() => {
      this.OPTION({
        GATE: () => this.LA(2).tokenType === T.Colon,
        DEF: () => {
          this.CONSUME(T.AnyName, { LABEL: 'argNames' });
          this.CONSUME(T.Colon);
        },
      });
      this.SUBRULE(this.expression, { LABEL: 'args' });
      this.OPTION2(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RParen);
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
            this.OR(this.alts.quantityOR ??= [{ ALT: () => this.CONSUME(T.Star, { LABEL: 'unitOps' }) }, { ALT: () => this.CONSUME(T.Slash, { LABEL: 'unitOps' }) }]);
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
export { SnnParser };
