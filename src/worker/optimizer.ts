// Links the optimizer (src/greater) into the worker, loaded lazily on the first optimizer request.
import type { ServiceLoader } from './service';

export const loadOptimizer: ServiceLoader | undefined = async () => (await import('../greater/service')).createOptimizerService();
