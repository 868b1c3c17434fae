/**
 * Optimizers with PyTorch's update rules and parameter names (torch.optim.Adam, Adamax, SGD), so
 * a training run configured as in a PyTorch script steps the same way, and learning-rate
 * schedules (StepLR, CosineAnnealingLR). The state is plain arrays, saved in checkpoints.
 */
import type { IRTrain } from '../../compiler/ir/types.js';

export interface OptimizerState {
  step: number;
  /** First moments (Adam, Adamax) or momentum buffers (SGD), per parameter tensor. */
  m: Float64Array[];
  /** Second moments (Adam) or infinity norms (Adamax). */
  v: Float64Array[];
}

export class Optimizer {
  state: OptimizerState;

  constructor(
    readonly spec: IRTrain['optimizer'],
    sizes: number[],
  ) {
    this.state = { step: 0, m: sizes.map((n) => new Float64Array(n)), v: sizes.map((n) => new Float64Array(n)) };
  }

  /** One step on `params` (changed in place) with gradients `grads` at learning rate `lr`. */
  step(params: Float64Array[], grads: Float64Array[], lr: number): void {
    const p = this.spec.params;
    const wd = p.weight_decay ?? 0;
    const t = ++this.state.step;
    params.forEach((x, i) => {
      const g = grads[i]!;
      const m = this.state.m[i]!;
      const v = this.state.v[i]!;
      if (this.spec.kind === 'sgd') {
        const mu = p.momentum ?? 0;
        for (let k = 0; k < x.length; k++) {
          let d = g[k]! + wd * x[k]!;
          if (mu !== 0) {
            m[k] = t === 1 ? d : mu * m[k]! + d;
            d = m[k]!;
          }
          x[k]! -= lr * d;
        }
        return;
      }
      const b1 = p.beta1 ?? 0.9;
      const b2 = p.beta2 ?? 0.999;
      const eps = p.eps ?? 1e-8;
      const bc1 = 1 - b1 ** t;
      if (this.spec.kind === 'adam') {
        const bc2 = 1 - b2 ** t;
        for (let k = 0; k < x.length; k++) {
          const d = g[k]! + wd * x[k]!;
          m[k] = b1 * m[k]! + (1 - b1) * d;
          v[k] = b2 * v[k]! + (1 - b2) * d * d;
          x[k]! -= (lr * (m[k]! / bc1)) / (Math.sqrt(v[k]! / bc2) + eps);
        }
      } else {
        // Adamax: u = max(beta2 u, |g| + eps)
        for (let k = 0; k < x.length; k++) {
          const d = g[k]! + wd * x[k]!;
          m[k] = b1 * m[k]! + (1 - b1) * d;
          v[k] = Math.max(b2 * v[k]!, Math.abs(d) + eps);
          x[k]! -= ((lr / bc1) * m[k]!) / v[k]!;
        }
      }
    });
  }
}

/** The learning rate of epoch `epoch` (0-based). */
export function learningRate(base: number, schedule: IRTrain['schedule'], epoch: number, epochs: number): number {
  if (!schedule) return base;
  if (schedule.kind === 'step_lr') return base * schedule.gamma ** Math.floor(epoch / schedule.stepSize);
  const tMax = schedule.tMax ?? epochs;
  return schedule.lrMin + ((base - schedule.lrMin) * (1 + Math.cos((Math.PI * Math.min(epoch, tMax)) / tMax))) / 2;
}
