// The environment an engine process (the CLI's or the extension's worker) is started with. On Linux with glibc,
// malloc is told to back its large blocks with transparent huge pages (glibc.malloc.hugetlb=1, read by glibc at
// process start only, hence here, at launch): a model's weights are gigabytes of fresh memory, and with 4 KiB pages
// loading and session creation spend most of their time in page faults (Qwen2.5-0.5B shape, README "CPU at a real
// model's scale", "Huge pages": load 7.3 → 1.7 s, warm-up 38 → 7 s). Import-free: both launchers, on either side of
// the walls, use it.

export const HUGE_PAGES_TUNABLE = 'glibc.malloc.hugetlb=1';
/** Set to 0 to start engine processes with the system's page policy unchanged. */
export const HUGE_PAGES_ENV = 'GREATER_HUGE_PAGES';

/**
 * `env` with the huge-pages tunable added, or null where nothing is to change: not Linux, not glibc (musl ignores
 * GLIBC_TUNABLES), opted out, or the user's own GLIBC_TUNABLES already decides malloc.hugetlb.
 */
export function withHugePages(env: Readonly<Record<string, string | undefined>>, platform: string, glibc: boolean): Record<string, string | undefined> | null {
  if (platform !== 'linux' || !glibc || env[HUGE_PAGES_ENV] === '0') return null;
  const tunables = env.GLIBC_TUNABLES ?? '';
  if (/(^|:)glibc\.malloc\.hugetlb=/.test(tunables)) return null;
  return { ...env, GLIBC_TUNABLES: tunables ? `${tunables}:${HUGE_PAGES_TUNABLE}` : HUGE_PAGES_TUNABLE };
}

/** Whether this process runs on glibc (Node's diagnostic report names its runtime version; absent on musl). */
export function runsOnGlibc(report: { getReport?: () => unknown } | undefined = process.report): boolean {
  const header = (report?.getReport?.() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return typeof header?.glibcVersionRuntime === 'string';
}
