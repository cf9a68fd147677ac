// Which plans are SPA ones, apart from the SPA code (plan.ts), so that the knock path can tell
// without loading it.
import type { KnockPlan } from '../knock/plan.js';
import type { SpaPlan } from './plan.js';

export function isSpaPlan(plan: KnockPlan): plan is SpaPlan {
  return (plan as Partial<SpaPlan>).spa !== undefined;
}
