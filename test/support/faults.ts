import type { InitializeHandler, InitializeMiddleware, MiddlewareStack } from '@smithy/types';

/** An error shaped like the SDK's for a service that is down. */
export function serviceDown(name = 'ServiceUnavailable'): Error {
  return Object.assign(new Error(`${name} (injected)`), {
    name,
    $fault: 'server',
    $metadata: { httpStatusCode: 503 },
  });
}

export interface FaultPlan {
  /** SDK command names that fail (`PutObjectCommand`, `BatchWriteItemCommand`, ...). */
  readonly commands: readonly string[];
  /** How many matching calls fail before calls go through again; all of them when absent. */
  times?: number;
  /** Only calls whose input this accepts fail (an S3 key under a prefix, say); every call when absent. */
  readonly matching?: (input: Record<string, unknown>) => boolean;
  readonly error?: () => Error;
}

/**
 * Makes chosen calls of a real SDK client fail, by a middleware at the start of its stack; the
 * rest go to the server as usual. Returns a function that removes the fault.
 */
export function injectFault(
  // biome-ignore lint/suspicious/noExplicitAny: any SDK client's stack, whatever its input and output types
  client: { middlewareStack: MiddlewareStack<any, any> },
  plan: FaultPlan,
): () => void {
  const name = `fault-${Math.random().toString(36).slice(2)}`;
  const fault: InitializeMiddleware<object, object> =
    (next: InitializeHandler<object, object>, context) => async (args) => {
      const matches =
        plan.commands.includes(String(context.commandName)) &&
        (plan.matching?.((args as { input: Record<string, unknown> }).input) ?? true);
      if (matches && (plan.times === undefined || plan.times > 0)) {
        if (plan.times !== undefined) plan.times -= 1;
        throw (plan.error ?? serviceDown)();
      }
      return next(args);
    };
  client.middlewareStack.add(fault, { step: 'initialize', name });
  return () => client.middlewareStack.remove(name);
}
