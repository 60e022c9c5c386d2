import { DDSketch } from '@datadog/sketches-js';

/**
 * Relative accuracy of the sketch: once percentiles come from it, each is within 1 %
 * of the exact value (DDSketch's guarantee, for any distribution and any count).
 */
export const SKETCH_RELATIVE_ACCURACY = 0.01;

/** Percentiles of one population of completion times, in hours. */
export interface PercentilesModel {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** False once the figures come from the sketch. */
  exact: boolean;
}

/** The rank a quantile reads, 0-based, as DDSketch reads it: ⌊q · (n − 1)⌋ of the sorted values. */
function quantileRank(q: number, count: number): number {
  return Math.floor(q * (count - 1));
}

/** One population (everyone, one assignee, one bucket) of a report. */
export interface Distribution {
  add(value: number): void;
  readonly count: number;
  /** The value at `quantileRank(q, count)`; null when empty. */
  quantile(q: number): number | null;
  percentiles(): PercentilesModel | null;
}

/**
 * Distributions that stay exact while, together, they hold at most `exactLimit`
 * values; past that every one of them moves to a DDSketch (memory: a few hundred
 * bins each, whatever the number of rows), so a report's memory is bounded by its
 * populations, not its rows.
 */
export interface DistributionPool {
  create(): Distribution;
  /** True while every distribution of the pool is exact. */
  readonly exact: boolean;
}

export function createDistributionPool(exactLimit: number): DistributionPool {
  const members: PooledDistribution[] = [];
  const pool = {
    stored: 0,
    exact: exactLimit > 0,
    /** Called by a member before it stores one more exact value. */
    reserve(): boolean {
      if (!pool.exact) return false;
      if (pool.stored < exactLimit) {
        pool.stored++;
        return true;
      }
      pool.exact = false;
      for (const member of members) member.toSketch();
      pool.stored = 0;
      return false;
    },
  };
  return {
    create() {
      const member = new PooledDistribution(pool);
      members.push(member);
      return member;
    },
    get exact() {
      return pool.exact;
    },
  };
}

class PooledDistribution implements Distribution {
  count = 0;
  private max = Number.NEGATIVE_INFINITY;
  private min = Number.POSITIVE_INFINITY;
  /** The exact values, until the pool runs out; then null, and values go to the sketch. */
  private values: number[] | null = [];
  private sorted = false;
  /** Made at the first value past the limit: a report may hold thousands of empty buckets. */
  private sketch: DDSketch | null = null;

  constructor(private readonly pool: { exact: boolean; reserve(): boolean }) {
    if (!pool.exact) this.values = null;
  }

  add(value: number): void {
    this.count++;
    if (value > this.max) this.max = value;
    if (value < this.min) this.min = value;
    // reserve() may move this distribution (and every other) to a sketch.
    if (this.values && this.pool.reserve()) {
      this.values.push(value);
      this.sorted = false;
    } else {
      this.sketch ??= newSketch();
      this.sketch.accept(value);
    }
  }

  toSketch(): void {
    if (!this.values) return;
    if (this.values.length > 0) {
      this.sketch = newSketch();
      for (const value of this.values) this.sketch.accept(value);
    }
    this.values = null;
  }

  quantile(q: number): number | null {
    if (this.count === 0) return null;
    if (this.values) {
      if (!this.sorted) {
        this.values.sort((a, b) => a - b);
        this.sorted = true;
      }
      return this.values[quantileRank(q, this.count)]!;
    }
    // A bin's representative may lie just outside the values seen; the true quantile never does.
    return Math.min(this.max, Math.max(this.min, this.sketch!.getValueAtQuantile(q)));
  }

  percentiles(): PercentilesModel | null {
    if (this.count === 0) return null;
    return {
      count: this.count,
      p50: this.quantile(0.5)!,
      p90: this.quantile(0.9)!,
      p99: this.quantile(0.99)!,
      max: this.max,
      exact: this.values !== null,
    };
  }
}

function newSketch(): DDSketch {
  return new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });
}
