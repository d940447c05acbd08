/**
 * Python's number semantics, where MADSci's reports depend on them: `round()` (half-even on the
 * exact binary value), `f"{x:.1f}"`, float `repr()`, the built-in `sum()` (Neumaier-compensated
 * on floats, Python 3.12+), `statistics.mean()` (exact, then correctly rounded) and the int/float
 * distinction that decides whether a CSV cell reads `0` or `0.0`.
 *
 * Report trees hold Python ints as plain numbers and Python floats as {@link PyFloat}; `toPlain`
 * turns a tree into JSON numbers, the CSV writer prints floats with {@link pyRepr}.
 */

/** A Python float inside a report tree. Serialises to a plain JSON number. */
export class PyFloat {
  constructor(readonly value: number) {}

  toJSON(): number {
    return this.value;
  }
}

/** A Python number: a plain number is an int, a {@link PyFloat} a float. */
export type PyNum = number | PyFloat;

/** A report tree as MADSci builds it: JSON with Python ints and floats told apart. */
export type PyJson = null | string | boolean | number | PyFloat | PyJson[] | { [key: string]: PyJson };

/** Wraps a number as a Python float. */
export const F = (value: number): PyFloat => new PyFloat(value);

/** The numeric value of a Python number. */
export const val = (x: PyNum): number => (typeof x === 'number' ? x : x.value);

/** A report tree with every {@link PyFloat} replaced by its number (what JSON consumers get). */
export function toPlain(tree: PyJson): unknown {
  if (tree instanceof PyFloat) return tree.value;
  if (Array.isArray(tree)) return tree.map(toPlain);
  if (tree !== null && typeof tree === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(tree)) out[key] = toPlain(value);
    return out;
  }
  return tree;
}

/** Python's built-in `sum()` starting at int 0: ints add exactly until the first float, then floats with Neumaier compensation (CPython 3.12+). */
export function pySum(values: Iterable<PyNum>): PyNum {
  let intTotal = 0;
  let floating = false;
  let f = 0;
  let c = 0;
  for (const item of values) {
    if (!floating) {
      if (typeof item === 'number') {
        intTotal += item;
        continue;
      }
      // The first float is added plainly to the int total; compensation starts after it.
      floating = true;
      f = intTotal + item.value;
      continue;
    }
    if (item instanceof PyFloat) {
      const x = item.value;
      const t = f + x;
      c += Math.abs(f) >= Math.abs(x) ? f - t + x : x - t + f;
      f = t;
    } else {
      f += item;
    }
  }
  if (!floating) return intTotal;
  if (c !== 0 && Number.isFinite(c)) f += c;
  return F(f);
}

/** Python's `a / b`: always a float. */
export const div = (a: PyNum, b: PyNum): PyFloat => F(val(a) / val(b));

/** Python's `a + b` (int + int stays int). */
export function add(a: PyNum, b: PyNum): PyNum {
  return typeof a === 'number' && typeof b === 'number' ? a + b : F(val(a) + val(b));
}

/** Python's `max(a, b)`: the first of equal values wins (so `max(0, 0.0)` is the int 0). */
export function pyMax(a: PyNum, b: PyNum): PyNum {
  return val(b) > val(a) ? b : a;
}

// ---------------------------------------------------------------------------------------------
// Exact arithmetic on doubles (BigInt)

/** The exact value of a finite double as `mantissa * 2^exponent` (integers). */
function decompose(x: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const sign = hi >>> 31 ? -1n : 1n;
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exponent: number;
  if (biased === 0) {
    exponent = -1074;
  } else {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  return { mantissa: sign * mantissa, exponent };
}

const bitLength = (n: bigint): number => (n === 0n ? 0 : n.toString(2).length);

/** The double nearest to `num / den` (`den > 0`), ties to even: what Python's `float(Fraction)` gives. */
function ratioToDouble(num: bigint, den: bigint): number {
  if (num === 0n) return 0;
  const negative = num < 0n;
  const n = negative ? -num : num;
  // Scale so the quotient carries at least 55 significant bits, then round to 53.
  const shift = 55 + bitLength(den) - bitLength(n);
  const scaledNum = shift > 0 ? n << BigInt(shift) : n;
  const scaledDen = shift < 0 ? den << BigInt(-shift) : den;
  let q = scaledNum / scaledDen;
  const sticky = scaledNum % scaledDen !== 0n;
  const extra = bitLength(q) - 53;
  let exp = -shift;
  if (extra > 0) {
    const low = q & ((1n << BigInt(extra)) - 1n);
    q >>= BigInt(extra);
    exp += extra;
    const half = 1n << BigInt(extra - 1);
    if (low > half || (low === half && (sticky || (q & 1n) === 1n))) q += 1n;
  }
  const value = Number(q) * 2 ** exp;
  return negative ? -value : value;
}

/** `statistics.mean()`: the exact mean, correctly rounded; an int when every value is an int and the mean is whole. */
export function pyMean(values: readonly PyNum[]): PyNum {
  if (values.length === 0) throw new Error('mean requires at least one data point');
  const parts = values.map((v) => decompose(val(v)));
  const minExp = Math.min(...parts.map((p) => p.exponent));
  let total = 0n;
  for (const p of parts) total += p.mantissa << BigInt(p.exponent - minExp);
  // mean = total * 2^minExp / n
  let num = total;
  let den = BigInt(values.length);
  if (minExp >= 0) num <<= BigInt(minExp);
  else den <<= BigInt(-minExp);
  const allInts = values.every((v) => typeof v === 'number');
  if (allInts && num % den === 0n) return Number(num / den);
  return F(ratioToDouble(num, den));
}

/** `|x| * 10^digits`, rounded half-even on the exact binary value, as an integer. */
function scaledHalfEven(x: number, digits: number): bigint {
  const { mantissa, exponent } = decompose(Math.abs(x));
  let num = mantissa * 10n ** BigInt(digits);
  let den = 1n;
  if (exponent >= 0) num <<= BigInt(exponent);
  else den <<= BigInt(-exponent);
  const q = num / den;
  const twiceRemainder = (num - q * den) * 2n;
  if (twiceRemainder > den || (twiceRemainder === den && (q & 1n) === 1n)) return q + 1n;
  return q;
}

/** Python's `round(x, digits)` for a float (`digits >= 0`); an int is returned unchanged. */
export function pyRound(x: PyNum, digits: number): PyNum {
  if (typeof x === 'number') return x;
  return F(roundFloat(x.value, digits));
}

/** Python's `round(x, digits)` of a float value. */
export function roundFloat(x: number, digits: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const q = scaledHalfEven(x, digits);
  const value = Number(`${q}e-${digits}`);
  return x < 0 ? -value : value;
}

/** Python's `f"{x:.{digits}f}"`. */
export function pyFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const text = scaledHalfEven(x, digits)
    .toString()
    .padStart(digits + 1, '0');
  const body = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return x < 0 || Object.is(x, -0) ? `-${body}` : body;
}

/** Python's float `repr()`: shortest round-trip digits; exponent form below 1e-4 and from 1e16. */
export function pyRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // JavaScript's shortest round-trip digits (Number::toString picks the same digits as Python's
  // repr), as a digit string and a decimal exponent: value = 0.d1d2... * 10^decpt.
  const [coefficient, exponentText = '0'] = String(Math.abs(x)).split('e') as [string, string?];
  const point = coefficient.indexOf('.');
  const intDigits = point === -1 ? coefficient.length : point;
  const allDigits = coefficient.replace('.', '');
  const leadingZeros = allDigits.length - allDigits.replace(/^0+/, '').length;
  const digits = allDigits.slice(leadingZeros).replace(/0+$/, '');
  const decpt = intDigits - leadingZeros + Number(exponentText);
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const exp = decpt - 1;
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** Python's `str()` of a JSON value where MADSci converts ids to text. */
export function pyStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pyRepr(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value === null || value === undefined) return 'None';
  return JSON.stringify(value);
}

/** Python truthiness of a JSON value. */
export function pyTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** Python's `s[-8:]`. */
export const last8 = (text: string): string => text.slice(-8);

/** Python's `str.title()` for the ASCII words MADSci titles (`workcell` -> `Workcell`). */
export function pyTitle(text: string): string {
  return text
    .toLowerCase()
    .replace(/(^|[^a-z])([a-z])/g, (_m, before: string, letter: string) => before + letter.toUpperCase());
}

/** Python's `isoformat()` of a naive UTC datetime at `ms`: `YYYY-MM-DDTHH:MM:SS[.ffffff]`. */
export function pyIso(ms: number): string {
  const text = new Date(ms).toISOString();
  const base = text.slice(0, 19);
  const millis = ((ms % 1000) + 1000) % 1000;
  return millis === 0 ? base : `${base}.${String(millis * 1000).padStart(6, '0')}`;
}

/** `datetime.now(timezone.utc).isoformat()` of an instant: `...+00:00`, microseconds when not zero. */
export function pyIsoUtc(ms: number): string {
  return `${pyIso(ms)}+00:00`;
}

/** A CSV cell as Python's csv module writes it: None empty, booleans True/False, floats by repr. */
export function csvCell(value: PyJson | undefined): string {
  if (value === null || value === undefined) return '';
  if (value instanceof PyFloat) return pyRepr(value.value);
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pyRepr(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return value;
  return JSON.stringify(toPlain(value));
}
