/**
 * Reads a selector sent in a query string. MADSci's Python client calls
 * `POST /events/query` with `params={"selector": selector}`; httpx renders a dict parameter with
 * Python's `str()`, so the server receives `{'event_data.test': {'$gte': 10}}`: Python literal
 * syntax (single quotes, `True`/`False`/`None`, tuples), not JSON. This parser reads that subset
 * of Python literals, and JSON as well (JSON's `true`/`false`/`null` and double-quoted strings),
 * into plain JSON values. Anything else (a `datetime.datetime(...)`, an expression) is refused.
 */

/** Thrown with a message naming the position of the first problem. */
export class LiteralSyntaxError extends Error {
  override name = 'LiteralSyntaxError';
}

const MAX_DEPTH = 100;
const KEYWORDS: Record<string, unknown> = {
  True: true,
  False: false,
  None: null,
  true: true,
  false: false,
  null: null,
};
const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  n: '\n',
  r: '\r',
  t: '\t',
  b: '\b',
  f: '\f',
  v: '\v',
  a: '\x07',
  '/': '/',
};

/**
 * Parses a Python literal (as `repr`/`str` prints dicts, lists, tuples, strings, numbers,
 * booleans and `None`) or a JSON text.
 * @throws LiteralSyntaxError when `text` is not such a literal.
 */
export function parsePythonLiteral(text: string): unknown {
  const parser = new Parser(text);
  const value = parser.value(0);
  parser.skipSpace();
  if (!parser.atEnd()) parser.fail('unexpected text after the value');
  return value;
}

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  fail(message: string): never {
    throw new LiteralSyntaxError(`${message} at position ${this.pos}`);
  }

  skipSpace(): void {
    while (!this.atEnd() && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === undefined) this.fail('unexpected end of input');
    if (c === '{') return this.dict(depth);
    if (c === '[') return this.sequence(']', depth);
    if (c === '(') return this.sequence(')', depth);
    if (c === "'" || c === '"') return this.string();
    if (/[-+0-9.]/.test(c)) return this.number();
    const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(this.text.slice(this.pos))?.[0] ?? '';
    if (word in KEYWORDS) {
      this.pos += word.length;
      return KEYWORDS[word];
    }
    return this.fail(word ? `unsupported value ${word}` : `unexpected character ${JSON.stringify(c)}`);
  }

  private dict(depth: number): Record<string, unknown> {
    this.pos++; // {
    const out: Record<string, unknown> = {};
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return out;
      }
      const key = this.value(depth + 1);
      if (typeof key !== 'string') this.fail('dictionary keys must be strings');
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail('expected ":"');
      this.pos++;
      const value = this.value(depth + 1);
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      this.skipSpace();
      const next = this.text[this.pos];
      if (next === ',') this.pos++;
      else if (next !== '}') this.fail('expected "," or "}"');
    }
  }

  private sequence(close: ']' | ')', depth: number): unknown[] {
    this.pos++; // [ or (
    const out: unknown[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        return out;
      }
      out.push(this.value(depth + 1));
      this.skipSpace();
      const next = this.text[this.pos];
      if (next === ',') this.pos++;
      else if (next !== close) this.fail(`expected "," or "${close}"`);
    }
  }

  private string(): string {
    const quote = this.text[this.pos]!;
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined || c === '\n') this.fail('unterminated string');
      this.pos++;
      if (c === quote) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.text[this.pos];
      if (e === undefined) this.fail('unterminated string');
      this.pos++;
      if (e in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[e];
      else if (e === 'x') out += this.hexEscape(2);
      else if (e === 'u') out += this.hexEscape(4);
      else if (e === 'U') out += this.hexEscape(8);
      else if (/[0-7]/.test(e)) {
        let digits = e;
        while (digits.length < 3 && /[0-7]/.test(this.text[this.pos] ?? '')) digits += this.text[this.pos++];
        out += String.fromCodePoint(parseInt(digits, 8));
      } else out += `\\${e}`; // Python keeps unknown escapes as written.
    }
  }

  private hexEscape(length: number): string {
    const digits = this.text.slice(this.pos, this.pos + length);
    if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(digits)) this.fail('invalid escape');
    this.pos += length;
    const code = parseInt(digits, 16);
    if (code > 0x10ffff) this.fail('invalid escape');
    return String.fromCodePoint(code);
  }

  private number(): number {
    const match = /^[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?/.exec(this.text.slice(this.pos));
    const literal = match?.[0] ?? '';
    const value = Number(literal.replace(/_/g, ''));
    if (literal === '' || !/\d/.test(literal) || !Number.isFinite(value)) this.fail('invalid number');
    this.pos += literal.length;
    return value;
  }
}
