// Turns a producer that calls emit(event) into an AsyncIterable, so deep code (selection callbacks) can
// report progress without every layer being a generator. Events queue; the producer's error ends the
// stream with that error; a consumer that stops early (break / return) aborts the producer's signal.

export function streamFrom<T>(run: (emit: (e: T) => void, stopped: AbortSignal) => Promise<void>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const queue: T[] = [];
      const stop = new AbortController();
      let done = false;
      let failure: { error: unknown } | null = null;
      let wake: (() => void) | null = null;
      const notify = () => { const w = wake; wake = null; w?.(); };
      const emit = (e: T) => {
        if (stop.signal.aborted) throw new Error('event consumer stopped');
        queue.push(e);
        notify();
      };
      run(emit, stop.signal).then(
        () => { done = true; notify(); },
        (error: unknown) => { failure = { error }; done = true; notify(); },
      );
      return {
        async next(): Promise<IteratorResult<T>> {
          for (;;) {
            if (queue.length) return { value: queue.shift()!, done: false };
            if (done) {
              if (failure) { const f = failure as { error: unknown }; failure = null; throw f.error; }
              return { value: undefined, done: true };
            }
            await new Promise<void>((r) => { wake = r; });
          }
        },
        async return(): Promise<IteratorResult<T>> {
          stop.abort();
          return { value: undefined, done: true };
        },
      };
    },
  };
}
