/**
 * Tokens of the .snn language. Hard keywords cannot be names; soft keywords (input, pre, post,
 * traces, in, every, from, into) are in the Identifier category so they can also be names.
 */
import { createToken, Lexer, type TokenType } from 'chevrotain';

/** Names. `µ` and `Ω` are allowed so unit names such as `µs` and `MΩ` lex as identifiers. */


/**
 * Any word, keyword or not: argument names and option keys (`plasticity: STDP(…)`,
 * `target: …`) may be keywords because the following ':' makes them unambiguous.
 */
export const AnyName = createToken({ name: 'AnyName', pattern: Lexer.NA, label: 'name' });

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_µΩ][A-Za-z0-9_µΩ]*/, label: 'name', categories: [AnyName] });

function keyword(word: string, soft = false): TokenType {
  return createToken({
    name: word[0].toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories: soft ? [Identifier, AnyName] : [AnyName],
    label: `'${word}'`,
  });
}

export const Neuron = keyword('neuron');
export const Synapse = keyword('synapse');
export const Plasticity = keyword('plasticity');
export const Network = keyword('network');
export const Parameters = keyword('parameters');
export const State = keyword('state');
export const Equations = keyword('equations');
export const On = keyword('on');
export const Spike = keyword('spike');
export const When = keyword('when');
export const Reset = keyword('reset');
export const Refractory = keyword('refractory');
export const Use = keyword('use');
export const RecordKw = keyword('record');
export const Train = keyword('train');
export const Target = keyword('target');
export const BoundsKw = keyword('bounds');
export const InjectKw = keyword('inject');
export const True = keyword('true');
export const False = keyword('false');
export const And = keyword('and');
export const Or = keyword('or');
export const Not = keyword('not');

export const Traces = keyword('traces', true);
export const In = keyword('in', true);
export const Every = keyword('every', true);
export const From = keyword('from', true);
export const Into = keyword('into', true);

export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/,
  label: 'number',
});
export const StringLiteral = createToken({
  name: 'StringLiteral',
  pattern: /"(?:[^"\\\r\n]|\\.)*"/,
  label: 'string',
});
/** A string that reaches the end of the line: lexed so the error is precise rather than a stray '"'. */
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"(?:[^"\\\r\n]|\\.)*/ });

export const Comment = createToken({ name: 'Comment', pattern: /#[^\n\r]*/, group: 'comments' });
export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f\uFEFF]+/, group: Lexer.SKIPPED });

export const Arrow = createToken({ name: 'Arrow', pattern: /->/, label: "'->'" });
export const PlusAssign = createToken({ name: 'PlusAssign', pattern: /\+=/, label: "'+='" });
export const MinusAssign = createToken({ name: 'MinusAssign', pattern: /-=/, label: "'-='" });
export const TimesAssign = createToken({ name: 'TimesAssign', pattern: /\*=/, label: "'*='" });
export const DivAssign = createToken({ name: 'DivAssign', pattern: /\/=/, label: "'/='" });
export const Le = createToken({ name: 'Le', pattern: /<=/, label: "'<='" });
export const Ge = createToken({ name: 'Ge', pattern: /\>=/, label: "'>='" });
export const EqEq = createToken({ name: 'EqEq', pattern: /==/, label: "'=='" });
export const NotEq = createToken({ name: 'NotEq', pattern: /!=/, label: "'!='" });
export const Lt = createToken({ name: 'Lt', pattern: /</, label: "'<'" });
export const Gt = createToken({ name: 'Gt', pattern: />/, label: "'>'" });
export const Assign = createToken({ name: 'Assign', pattern: /=/, label: "'='" });
export const Plus = createToken({ name: 'Plus', pattern: /\+/, label: "'+'" });
export const Minus = createToken({ name: 'Minus', pattern: /-/, label: "'-'" });
export const Star = createToken({ name: 'Star', pattern: /\*/, label: "'*'" });
export const Slash = createToken({ name: 'Slash', pattern: /\//, label: "'/'" });
export const Percent = createToken({ name: 'Percent', pattern: /%/, label: "'%'" });
export const Caret = createToken({ name: 'Caret', pattern: /\^/, label: "'^'" });
export const Prime = createToken({ name: 'Prime', pattern: /'/, label: "'''" });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const LBrace = createToken({ name: 'LBrace', pattern: /\{/, label: "'{'" });
export const RBrace = createToken({ name: 'RBrace', pattern: /\}/, label: "'}'" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /\]/, label: "']'" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });
export const Semicolon = createToken({ name: 'Semicolon', pattern: /;/, label: "';'" });
export const Dot = createToken({ name: 'Dot', pattern: /\./, label: "'.'" });
export const keywordTokens: TokenType[] = [
  Neuron, Synapse, Plasticity, Network, Parameters, State, Equations, On, Spike, When, Reset, Refractory,
  Use, RecordKw, Train, Target, BoundsKw, InjectKw, True, False, And, Or, Not,
  Traces, In, Every, From, Into,
];

export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  StringLiteral,
  UnterminatedString,
  NumberLiteral,
  Arrow,
  PlusAssign, MinusAssign, TimesAssign, DivAssign,
  Le, Ge, EqEq, NotEq, Lt, Gt, Assign,
  Plus, Minus, Star, Slash, Percent, Caret, Prime,
  LParen, RParen, LBrace, RBrace, LBracket, RBracket, Comma, Colon, Semicolon, Dot,
  // longer keywords first, so that `in` never shadows `into`
  ...[...keywordTokens].sort((a, b) => String(b.PATTERN).length - String(a.PATTERN).length),
  Identifier,
  AnyName,
];

/* Validations (unreachable patterns, missing first-character optimisations, …) run in
   lang/parser.test.ts with ensureOptimizations on; the shared lexer skips them at start-up. */
export const SnnLexer = new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: false, skipValidations: true });

export const HARD_KEYWORDS = keywordTokens.filter((t) => !(t.CATEGORIES ?? []).includes(Identifier)).map((t) => String(t.PATTERN).slice(1, -1));
