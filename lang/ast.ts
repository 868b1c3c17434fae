/**
 * The .snn abstract syntax tree. Every node carries a source range; nodes rebuilt from a
 * parser-recovered CST are marked `recovered` and may miss children (fields typed optional
 * where recovery can drop them). Only `cst-to-ast.ts` knows the concrete syntax.
 */
import type { Range } from './source.js';

export interface NodeBase {
  range: Range;
  /** Built from a CST node the parser re-synchronised; later stages must treat it as incomplete. */
  recovered?: boolean;
  /** The expression was written in parentheses (kept by the formatter). */
  parenthesized?: boolean;
}

export interface Ident extends NodeBase {
  kind: 'Ident';
  name: string;
}

/** A `# …` comment. Comments are not part of the tree; the formatter and hover re-attach them by position. */
export interface Comment {
  text: string;
  range: Range;
}

export interface Document extends NodeBase {
  kind: 'Document';
  path: string;
  items: TopItem[];
  comments: Comment[];
}

export type TopItem = UseDecl | ModelDecl | NetworkDecl;

/** `use "other.snn"`, `use stdlib.pynn`, `use A, B from "other.snn"`. */
export interface UseDecl extends NodeBase {
  kind: 'Use';
  /** A file path (string literal) or a dotted module name such as `stdlib.pynn`. */
  source: { kind: 'path'; path: string; range: Range } | { kind: 'module'; parts: Ident[]; range: Range };
  /** Selected names; empty means everything the module exports. */
  names: Ident[];
}

export type ModelKind = 'neuron' | 'synapse' | 'plasticity';

export interface ModelDecl extends NodeBase {
  kind: 'Model';
  modelKind: ModelKind;
  name?: Ident;
  members: ModelMember[];
}

export type ModelMember = VarBlock | EquationsBlock | Handler | SpikeRule | Refractory | TracesBlock | Bounds;

/** `parameters { … }` or `state { … }`. */
export interface VarBlock extends NodeBase {
  kind: 'VarBlock';
  section: 'parameters' | 'state';
  decls: VarDecl[];
}

/** `name = value` inside parameters/state. The default's unit fixes the variable's dimension. */
export interface VarDecl extends NodeBase {
  kind: 'VarDecl';
  name: Ident;
  value?: Expr;
}

export interface EquationsBlock extends NodeBase {
  kind: 'Equations';
  items: (Ode | Alias)[];
}

/** `x' = rhs` (order = number of primes). */
export interface Ode extends NodeBase {
  kind: 'Ode';
  target: Ident;
  order: number;
  rhs?: Expr;
}

/** `name = expr` inside equations: a named subexpression, recomputed whenever it is read. */
export interface Alias extends NodeBase {
  kind: 'Alias';
  name: Ident;
  value?: Expr;
}

/** `on input(w) { … }`, `on input excitatory(w) { … }`, `on pre { … }`, `on post { … }`. */
export interface Handler extends NodeBase {
  kind: 'Handler';
  event: Ident;
  /** Receptor (port) name for `on input NAME(w)`. */
  port?: Ident;
  params: Ident[];
  body: Stmt[];
}

/** `spike when cond [reset { … }]`. */
export interface SpikeRule extends NodeBase {
  kind: 'Spike';
  condition?: Expr;
  reset?: Stmt[];
  resetRange?: Range;
}

/** `refractory period`: state is clamped for `period` after a spike. */
export interface Refractory extends NodeBase {
  kind: 'Refractory';
  period?: Expr;
}

/** `pre traces { r1: tau_plus }` / `post traces { … }`: exponentially decaying spike traces. */
export interface TracesBlock extends NodeBase {
  kind: 'Traces';
  side: Ident;
  traces: TraceDecl[];
}

export interface TraceDecl extends NodeBase {
  kind: 'Trace';
  name: Ident;
  tau?: Expr;
}

/** `bounds w in [lo, hi]`. */
export interface Bounds extends NodeBase {
  kind: 'Bounds';
  variable: Ident;
  lower?: Expr;
  upper?: Expr;
}

export type AssignOp = '=' | '+=' | '-=' | '*=' | '/=';

export interface Assign extends NodeBase {
  kind: 'Assign';
  target: Ident;
  op: AssignOp;
  value?: Expr;
}

/** A call used as a statement, e.g. `deliver(w * u * x)`. */
export interface ExprStmt extends NodeBase {
  kind: 'ExprStmt';
  expr: Expr;
}

export type Stmt = Assign | ExprStmt;

export interface NetworkDecl extends NodeBase {
  kind: 'Network';
  name?: Ident;
  items: NetItem[];
}

export type NetItem = Binding | ExprStmt | Record | Inject | TrainBlock | TargetBlock;

/** `name = expr [from source]` — a population, view, assembly, projection or a setting such as `dt`. */
export interface Binding extends NodeBase {
  kind: 'Binding';
  name: Ident;
  value?: Expr;
  /** `from randman(…)`: where a spike source's spikes come from. */
  source?: Expr;
}

/** `record pop.spikes, pop[0:10].v [every 1 ms]`. */
export interface Record extends NodeBase {
  kind: 'Record';
  targets: Expr[];
  every?: Expr;
}

/** `inject DCSource(amplitude: 1 nA) into pop`. */
export interface Inject extends NodeBase {
  kind: 'Inject';
  source?: Expr;
  target?: Expr;
}

/** `key: value` inside train/target blocks. */
export interface Entry extends NodeBase {
  kind: 'Entry';
  key: Ident;
  value?: Expr;
}

export interface TrainBlock extends NodeBase {
  kind: 'Train';
  entries: Entry[];
}

/** `target bss2 { … }`: options for one backend. */
export interface TargetBlock extends NodeBase {
  kind: 'Target';
  name?: Ident;
  entries: Entry[];
}

// ---------------------------------------------------------------- expressions

/** A unit written after a number: factors such as `mV`, `ms^-1`, joined by `*` and `/` without spaces. */
export interface UnitExpr extends NodeBase {
  kind: 'Unit';
  factors: UnitFactor[];
}

export interface UnitFactor {
  name: string;
  /** Signed power: `/ms` gives -1, `um^2` gives 2. */
  power: number;
  range: Range;
}

export interface NumberLit extends NodeBase {
  kind: 'Number';
  value: number;
  /** The digits as written, kept by the formatter. */
  text: string;
  unit?: UnitExpr;
}

export interface StringLit extends NodeBase {
  kind: 'String';
  value: string;
}

export interface BoolLit extends NodeBase {
  kind: 'Bool';
  value: boolean;
}

export interface Name extends NodeBase {
  kind: 'Name';
  name: string;
}

export type UnaryOp = '-' | '+' | 'not';

export interface Unary extends NodeBase {
  kind: 'Unary';
  op: UnaryOp;
  operand?: Expr;
}

export type BinaryOp =
  | '->' | 'or' | 'and'
  | '<' | '<=' | '>' | '>=' | '==' | '!='
  | '+' | '-' | '*' | '/' | '%' | '^';

/**
 * Operator precedence, loosest (1) to tightest (9); postfix call/member/index is 10. Shared by the
 * parser's CST-to-AST step and the formatter; spec/language.md §Expressions is the prose.
 * `->` and the comparisons are non-associative, `^` is right-associative, the rest left.
 */
export const BINARY_PRECEDENCE: { readonly [op in BinaryOp]: number } = {
  '->': 1, or: 2, and: 3, '<': 5, '<=': 5, '>': 5, '>=': 5, '==': 5, '!=': 5,
  '+': 6, '-': 6, '*': 7, '/': 7, '%': 7, '^': 9,
};
/** `not x < y` is not (x < y); `-x^2` is -(x^2); `-a * b` is (-a) * b. */
export const UNARY_PRECEDENCE: { readonly [op in UnaryOp]: number } = { not: 4, '-': 8, '+': 8 };
export const POSTFIX_PRECEDENCE = 10;

export interface Binary extends NodeBase {
  kind: 'Binary';
  op: BinaryOp;
  left: Expr;
  right?: Expr;
}

export interface Arg extends NodeBase {
  kind: 'Arg';
  name?: Ident;
  value?: Expr;
}

export interface Call extends NodeBase {
  kind: 'Call';
  callee: Expr;
  args: Arg[];
}

export interface Member extends NodeBase {
  kind: 'Member';
  object: Expr;
  member?: Ident;
}

export interface Slice extends NodeBase {
  kind: 'Slice';
  start?: Expr;
  end?: Expr;
  step?: Expr;
}

export interface Index extends NodeBase {
  kind: 'Index';
  object: Expr;
  index?: Expr | Slice;
}

export interface List extends NodeBase {
  kind: 'List';
  items: Expr[];
}

/** `{ v: -65 mV, i: 0 nA }`: named values, e.g. initial values or parameter sets. */
export interface ObjectLit extends NodeBase {
  kind: 'Object';
  entries: Entry[];
}

export type Expr = NumberLit | StringLit | BoolLit | Name | Unary | Binary | Call | Member | Index | List | ObjectLit;

export type AnyNode =
  | Document | TopItem | ModelMember | VarDecl | Ode | Alias | TraceDecl | Stmt | NetItem | Entry
  | Expr | Arg | Slice | UnitExpr | Ident;
