/** MADSci's trends over the periods report's series: first and last period with utilization compared. */
import { describe, expect, it } from 'vitest';
import { trends } from '../../src/analytics/periods-report';

const p = (utilization: number, experiments: number) => ({ utilization, experiments });

describe('periods report trends', () => {
  it('needs two periods with utilization', () => {
    const insufficient = { direction: 'insufficient_data', changePercent: 0 };
    expect(trends([p(50, 1)])).toEqual({ utilization: insufficient, experiments: insufficient });
    expect(trends([p(50, 1), p(0, 3), p(0, 0)])).toEqual({ utilization: insufficient, experiments: insufficient });
  });

  it('compares the first and last active period, ignoring idle ones; more than 5 % either way is a direction', () => {
    expect(trends([p(0, 0), p(40, 2), p(0, 0), p(30, 3)])).toEqual({
      utilization: {
        direction: 'decreasing',
        changePercent: -25,
        firstValue: 40,
        lastValue: 30,
        activePeriodsAnalyzed: 2,
      },
      experiments: {
        direction: 'increasing',
        changePercent: 50,
        firstValue: 2,
        lastValue: 3,
        activePeriodsAnalyzed: 2,
      },
    });
    expect(trends([p(60, 1), p(63, 1)]).utilization).toEqual({
      direction: 'stable',
      changePercent: 5,
      firstValue: 60,
      lastValue: 63,
      activePeriodsAnalyzed: 2,
    });
  });

  it('calls experiments stable when the first active period had none, and rounds to two decimals', () => {
    expect(trends([p(30, 0), p(40, 4)])).toEqual({
      utilization: {
        direction: 'increasing',
        changePercent: 33.33,
        firstValue: 30,
        lastValue: 40,
        activePeriodsAnalyzed: 2,
      },
      experiments: { direction: 'stable', changePercent: 0, firstValue: 0, lastValue: 4, activePeriodsAnalyzed: 2 },
    });
  });
});
