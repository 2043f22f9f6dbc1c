// Links the optimizer (src/greater) into the worker. Until src/greater exports an OptimizerService factory
// this stays undefined and every optimizer method answers OptimizerUnavailable ("optimizer not available").
// When it lands, replace the line below with:
//   export const loadOptimizer: ServiceLoader = async () => (await import('../greater/service')).createOptimizerService();
import type { ServiceLoader } from './service';

export const loadOptimizer: ServiceLoader | undefined = undefined;
