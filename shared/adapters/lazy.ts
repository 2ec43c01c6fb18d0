/**
 * A Lambda entry point whose dependencies are built on the first invocation, once per
 * container, so importing a handler module (tests, the local runtime) reads no environment. The
 * build may be asynchronous (a secret to fetch); a failed build is retried on the next call.
 */
export function lazyHandler<E, C, R>(
  build: () => ((event: E, context: C) => Promise<R>) | Promise<(event: E, context: C) => Promise<R>>,
): (event: E, context: C) => Promise<R> {
  let handler: Promise<(event: E, context: C) => Promise<R>> | undefined;
  return async (event, context) => {
    handler ??= Promise.resolve()
      .then(build)
      .catch((error: unknown) => {
        handler = undefined;
        throw error;
      });
    return (await handler)(event, context);
  };
}
