/**
 * A small evaluator for `${…}` expressions: literals, `event`/`entry`/`steps`/
 * `currentContract` paths, `document(pointer)`, array literals, arithmetic, comparison, logic, `??`, `?:`,
 * `typeof`, optional chaining. It follows JavaScript's semantics for that subset exactly
 * (it applies the same operators to the same values) and is much cheaper than a sandbox call.
 * Anything else is {@link Unsupported}, and the caller evaluates it in the sandbox instead.
 */

export type Scope = Readonly<Record<string, unknown>>;

export class Unsupported extends Error {}

type Node =
  | { k: 'lit'; v: unknown }
  | { k: 'array'; items: Node[] }
  | { k: 'id'; name: string }
  | { k: 'member'; obj: Node; prop: Node; optional: boolean }
  | { k: 'call'; callee: Node; args: Node[] }
  | { k: 'unary'; op: string; arg: Node }
  | { k: 'binary'; op: string; left: Node; right: Node }
  | { k: 'cond'; test: Node; then: Node; else: Node };

type Token = { t: 'num' | 'str' | 'id' | 'op'; v: string };

const OPERATORS = [
  '===',
  '!==',
  '?.',
  '??',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '+',
  '-',
  '*',
  '/',
  '%',
  '<',
  '>',
  '!',
  '?',
  ':',
  '.',
  '(',
  ')',
  '[',
  ']',
  ',',
];
const BINARY_PRECEDENCE: Readonly<Record<string, number>> = {
  '??': 1,
  '||': 2,
  '&&': 3,
  '==': 4,
  '!=': 4,
  '===': 4,
  '!==': 4,
  '<': 5,
  '>': 5,
  '<=': 5,
  '>=': 5,
  '+': 6,
  '-': 6,
  '*': 7,
  '/': 7,
  '%': 7,
};
const LITERAL_IDS: Readonly<Record<string, unknown>> = {
  true: true,
  false: false,
  null: null,
  undefined,
};

const cache = new Map<string, Node | Unsupported>();

/** Evaluates `source` against `scope`; throws {@link Unsupported} outside the subset. */
export function evaluateExpression(source: string, scope: Scope): unknown {
  const node = parsed(source);
  if (node instanceof Unsupported) throw node;
  return evaluate(node, scope);
}

/**
 * True when this evaluator reads `source`; anything else goes to the sandbox (the linter asks,
 * so that it checks an expression where it will run).
 */
export function isBuiltInExpression(source: string): boolean {
  return !(parsed(source) instanceof Unsupported);
}

function parsed(source: string): Node | Unsupported {
  let node = cache.get(source);
  if (node === undefined) {
    try {
      node = parse(source);
    } catch (error) {
      node = error instanceof Unsupported ? error : new Unsupported(String(error));
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(source, node);
  }
  return node;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (/\s/.test(c)) {
      i += 1;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const match = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(source.slice(i));
      if (!match) throw new Unsupported('number');
      tokens.push({ t: 'num', v: match[0] });
      i += match[0].length;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let text = '';
      while (j < source.length && source[j] !== c) {
        if (source[j] === '\\') {
          const escaped = source[j + 1];
          const map: Record<string, string> = {
            n: '\n',
            t: '\t',
            r: '\r',
            '\\': '\\',
            "'": "'",
            '"': '"',
          };
          if (escaped === undefined || !Object.hasOwn(map, escaped))
            throw new Unsupported('escape');
          text += map[escaped];
          j += 2;
        } else {
          text += source[j];
          j += 1;
        }
      }
      if (j >= source.length) throw new Unsupported('unterminated string');
      tokens.push({ t: 'str', v: text });
      i = j + 1;
    } else if (/[A-Za-z_$]/.test(c)) {
      const match = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(source.slice(i)) as RegExpExecArray;
      tokens.push({ t: 'id', v: match[0] });
      i += match[0].length;
    } else {
      const op = OPERATORS.find((candidate) => source.startsWith(candidate, i));
      if (op === undefined || (op === '?.' && /[0-9]/.test(source[i + 2] ?? ''))) {
        if (op === '?.') {
          tokens.push({ t: 'op', v: '?' });
          i += 1;
          continue;
        }
        throw new Unsupported(`character ${c}`);
      }
      tokens.push({ t: 'op', v: op });
      i += op.length;
    }
  }
  return tokens;
}

function parse(source: string): Node {
  const tokens = tokenize(source);
  let position = 0;
  const peek = (): Token | undefined => tokens[position];
  const next = (): Token => {
    const token = tokens[position];
    if (token === undefined) throw new Unsupported('unexpected end');
    position += 1;
    return token;
  };
  const expect = (v: string): void => {
    const token = next();
    if (token.t !== 'op' || token.v !== v) throw new Unsupported(`expected ${v}`);
  };
  const isOp = (v: string): boolean => peek()?.t === 'op' && peek()?.v === v;

  const expression = (): Node => conditional();
  const conditional = (): Node => {
    const test = binary(0);
    if (!isOp('?')) return test;
    next();
    const then = expression();
    expect(':');
    return { k: 'cond', test, then, else: expression() };
  };
  const binary = (minPrecedence: number): Node => {
    let left = unary();
    for (;;) {
      const token = peek();
      const precedence =
        token?.t === 'op' && Object.hasOwn(BINARY_PRECEDENCE, token.v)
          ? BINARY_PRECEDENCE[token.v]
          : undefined;
      if (token === undefined || precedence === undefined || precedence <= minPrecedence)
        return left;
      next();
      left = { k: 'binary', op: token.v, left, right: binary(precedence) };
    }
  };
  const unary = (): Node => {
    const token = peek();
    if (token?.t === 'op' && (token.v === '!' || token.v === '-' || token.v === '+')) {
      next();
      return { k: 'unary', op: token.v, arg: unary() };
    }
    if (token?.t === 'id' && token.v === 'typeof') {
      next();
      return { k: 'unary', op: 'typeof', arg: unary() };
    }
    return postfix(primary());
  };
  const postfix = (start: Node): Node => {
    let node = start;
    for (;;) {
      if (isOp('.') || isOp('?.')) {
        const optional = next().v === '?.';
        if (optional && isOp('[')) {
          next();
          node = { k: 'member', obj: node, prop: expression(), optional };
          expect(']');
          continue;
        }
        const name = next();
        if (name.t !== 'id') throw new Unsupported('property name');
        node = { k: 'member', obj: node, prop: { k: 'lit', v: name.v }, optional };
      } else if (isOp('[')) {
        next();
        node = { k: 'member', obj: node, prop: expression(), optional: false };
        expect(']');
      } else if (isOp('(')) {
        next();
        const args: Node[] = [];
        while (!isOp(')')) {
          args.push(expression());
          if (!isOp(')')) expect(',');
        }
        next();
        node = { k: 'call', callee: node, args };
      } else {
        return node;
      }
    }
  };
  const primary = (): Node => {
    const token = next();
    if (token.t === 'num') return { k: 'lit', v: Number(token.v) };
    if (token.t === 'str') return { k: 'lit', v: token.v };
    if (token.t === 'id') {
      if (Object.hasOwn(LITERAL_IDS, token.v)) return { k: 'lit', v: LITERAL_IDS[token.v] };
      return { k: 'id', name: token.v };
    }
    if (token.v === '(') {
      const inner = expression();
      expect(')');
      return inner;
    }
    if (token.v === '[') {
      // An array literal (`document('/refunds') ?? []`); holes and spreads go to the sandbox.
      const items: Node[] = [];
      while (!isOp(']')) {
        items.push(expression());
        if (!isOp(']')) expect(',');
      }
      next();
      return { k: 'array', items };
    }
    throw new Unsupported(`unexpected ${token.v}`);
  };

  const root = expression();
  if (position !== tokens.length) throw new Unsupported('trailing input');
  return root;
}

function evaluate(node: Node, scope: Scope): unknown {
  switch (node.k) {
    case 'lit':
      return node.v;
    case 'array':
      return node.items.map((item) => evaluate(item, scope));
    case 'id':
      if (!Object.prototype.hasOwnProperty.call(scope, node.name))
        throw new Unsupported(`identifier ${node.name}`);
      return scope[node.name];
    case 'member': {
      const obj = evaluate(node.obj, scope);
      if (obj === null || obj === undefined) {
        if (node.optional) return undefined;
        throw new TypeError(`Cannot read properties of ${String(obj)}`);
      }
      const prop = evaluate(node.prop, scope);
      return readProperty(obj, prop);
    }
    case 'call': {
      if (node.callee.k !== 'id' || node.callee.name !== 'document') throw new Unsupported('call');
      const fn = scope.document as (pointer: unknown) => unknown;
      return fn(evaluate(node.args[0] ?? { k: 'lit', v: undefined }, scope));
    }
    case 'unary': {
      const value = evaluate(node.arg, scope);
      if (node.op === '!') return !value;
      if (node.op === 'typeof') return typeof value;
      return node.op === '-' ? -(value as number) : +(value as number);
    }
    case 'binary':
      return binaryOp(node.op, node.left, node.right, scope);
    case 'cond':
      return evaluate(node.test, scope) ? evaluate(node.then, scope) : evaluate(node.else, scope);
  }
}

/**
 * A member read. Field names are data: an own field is its value whatever it is called
 * (`event.constructor`, `steps.s.toString`). A name the value lacks but inherits (a method of
 * Object.prototype or Array.prototype, `__proto__`) is left to the sandbox, which answers as
 * JavaScript does; any other missing name is undefined, as in JavaScript.
 */
function readProperty(obj: unknown, prop: unknown): unknown {
  const key = String(prop);
  if (typeof obj === 'string') {
    if (key === 'length') return obj.length;
    if (/^\d+$/.test(key)) return obj[Number(key)];
    throw new Unsupported('string method');
  }
  if (Array.isArray(obj) && key === 'length') return obj.length;
  if (typeof obj !== 'object') throw new Unsupported('property of a primitive');
  if (Object.hasOwn(obj as object, key) && key !== '__proto__')
    return (obj as Record<string, unknown>)[key];
  if (key in (obj as object)) throw new Unsupported('inherited property');
  return undefined;
}

// The subset must behave exactly like JavaScript, loose equality included.
function binaryOp(op: string, leftNode: Node, rightNode: Node, scope: Scope): unknown {
  const left = evaluate(leftNode, scope);
  if (op === '&&') return left && evaluate(rightNode, scope);
  if (op === '||') return left || evaluate(rightNode, scope);
  if (op === '??') return left ?? evaluate(rightNode, scope);
  const right = evaluate(rightNode, scope);
  if (
    (typeof left === 'object' && left !== null) ||
    (typeof right === 'object' && right !== null)
  ) {
    if (op !== '===' && op !== '!==') throw new Unsupported('operator on objects');
  }
  const a = left as number;
  const b = right as number;
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '>=':
      return a >= b;
    case '==':
      return left == right;
    case '!=':
      return left != right;
    case '===':
      return left === right;
    case '!==':
      return left !== right;
    default:
      throw new Unsupported(op);
  }
}
