/**
 * The Python number semantics MADSci's reports depend on (docs/utilization-reports.md#python-numbers): the
 * analytics reproduce CPython's results, including where JavaScript's built-ins differ.
 */
import { describe, expect, it } from 'vitest';
import { csvCell, F, pyFixed, pyIso, pyMean, pyRepr, pyRound, pySum, roundFloat } from '../src/analytics/python';

describe('Python number semantics', () => {
  it('rounds half to even on the exact binary value, like round(x, n)', () => {
    expect(roundFloat(0.125, 2)).toBe(0.12); // an exact binary tie: toFixed would give 0.13
    expect(roundFloat(0.375, 2)).toBe(0.38);
    expect(roundFloat(2.675, 2)).toBe(2.67); // just below the tie in binary
    expect(roundFloat(2.5, 0)).toBe(2);
    expect(roundFloat(3.5, 0)).toBe(4);
    expect(roundFloat(-0.125, 2)).toBe(-0.12);
    expect(roundFloat(66.66666666666666, 2)).toBe(66.67);
    expect(roundFloat(17.142857142857142, 1)).toBe(17.1);
    // An int stays an int; a float stays a float.
    expect(pyRound(0, 2)).toBe(0);
    expect(pyRound(F(0), 2)).toEqual(F(0));
  });

  it('formats with a fixed number of decimals like f"{x:.1f}"', () => {
    expect(pyFixed(0.25, 1)).toBe('0.2'); // toFixed gives 0.3
    expect(pyFixed(0.35, 1)).toBe('0.3'); // 0.35 is below the tie in binary
    expect(pyFixed(2.4166666666666665, 1)).toBe('2.4');
    expect(pyFixed(30, 1)).toBe('30.0');
    expect(pyFixed(-0.04, 1)).toBe('-0.0');
  });

  it("prints floats as Python's repr", () => {
    const cases: [number, string][] = [
      [3, '3.0'],
      [0.75, '0.75'],
      [66.66666666666666, '66.66666666666666'],
      [2.0010000000000003, '2.0010000000000003'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [1.5e-7, '1.5e-07'],
      [1234567890123456, '1234567890123456.0'],
      [1e16, '1e+16'],
      [1.2345678901234567e19, '1.2345678901234567e+19'],
      [-2.5, '-2.5'],
      [0, '0.0'],
    ];
    for (const [value, text] of cases) expect(pyRepr(value)).toBe(text);
  });

  it('sums like sum() of Python 3.12 (compensated), and averages like statistics.mean (exact)', () => {
    expect(pySum([F(0.1), F(0.2), F(0.3)])).toEqual(F(0.6)); // plain addition gives 0.6000000000000001
    expect(pySum([F(1e100), F(1), F(-1e100)])).toEqual(F(1));
    expect(pySum([1, 2])).toBe(3);
    expect(pySum([])).toBe(0);
    expect(pyMean([F(0.1), F(0.2), F(0.3)])).toEqual(F(0.2)); // (0.1 + 0.2 + 0.3) / 3 is 0.19999999999999998
    expect(pyMean([1, 3])).toBe(2);
    expect(pyMean([1, 2])).toEqual(F(1.5));
  });

  it('writes CSV cells as the csv module does: ints bare, floats by repr, None empty', () => {
    expect([csvCell(0), csvCell(F(0)), csvCell(F(3)), csvCell(null), csvCell(true), csvCell('x')]).toEqual([
      '0',
      '0.0',
      '3.0',
      '',
      'True',
      'x',
    ]);
  });

  it("prints naive instants as Python's isoformat()", () => {
    expect(pyIso(Date.UTC(2025, 0, 6, 8))).toBe('2025-01-06T08:00:00');
    expect(pyIso(Date.UTC(2025, 0, 6, 8, 0, 0, 123))).toBe('2025-01-06T08:00:00.123000');
  });
});
