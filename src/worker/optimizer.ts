// Links the optimizer (src/greater, through ./adapter) into the worker, loaded lazily on the first optimizer
// request, with the built-in demo registered as the source of BUILTIN_DEMO_MODEL / BUILTIN_DEMO_TASK.
import type { ServiceLoader } from './service';

export const loadOptimizer: ServiceLoader | undefined = async () => {
  const [{ createOptimizerService }, { builtinDemo }] = await Promise.all([import('./adapter'), import('../demo/builtin')]);
  return createOptimizerService({ modelDir: () => builtinDemo().modelDir, taskFile: () => builtinDemo().taskFile });
};
