/**
 * A Lambda entry point whose dependencies are built on the first invocation, once per
 * container, so importing a handler module (tests, the local runtime) reads no environment.
 */
export function lazyHandler<E, C, R>(
  build: () => (event: E, context: C) => Promise<R>,
): (event: E, context: C) => Promise<R> {
  let handler: ((event: E, context: C) => Promise<R>) | undefined;
  return (event, context) => {
    handler ??= build();
    return handler(event, context);
  };
}
