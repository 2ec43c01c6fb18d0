/**
 * Runs a Step Functions definition (ASL JSON, as CDK synthesises it) on a real ASL interpreter,
 * aws-local-stepfunctions, with every Lambda task served by an in-process function and faults
 * injected per task. Nothing here calls AWS: a Task without a handler fails before the run starts.
 *
 * What the interpreter (3.0.0) does, and where it differs from AWS:
 * - Retry/Catch match `ErrorEquals` against the thrown error's `name`; `States.ALL` matches any,
 *   `States.TaskFailed` any but `States.Timeout`. The Catch output is `{ Error: name, Cause: message }`.
 * - Retry pauses and Wait states really sleep unless overridden; this harness overrides them all
 *   to 0 ms (`retryIntervalMs`, `waitMs`). The events still say which retrier fired.
 * - A Task with no `TimeoutSeconds` times out after 60 s here (AWS: no limit); `TimeoutSeconds`
 *   must be an integer ≥ 1, so a real timeout costs real seconds: inject `States.Timeout` instead.
 * - Map (`ItemsPath`, `ItemSelector`/`Parameters`, `$$.Map.Item`, `MaxConcurrency`, 0 → 40),
 *   Parallel, Choice, Pass, Wait, Fail, InputPath/Parameters/ResultSelector/ResultPath/OutputPath
 *   and the JSONPath intrinsic functions (States.Format, States.Array*, States.Json*, States.Math*,
 *   States.Hash, States.Base64*, States.StringSplit, States.UUID...) are supported. JSONata,
 *   variables (`Assign`), `HeartbeatSeconds`, `.sync`/`.waitForTaskToken`, distributed Map
 *   (`ItemReader`, `ItemBatcher`, `ResultWriter`, `ToleratedFailure*`) and `$$.State`/`$$.Task`
 *   are not; inside a Map iteration `$$.Execution.Input` is the iteration's input.
 * - When one Map iteration fails the others are aborted, but calls already under way finish:
 *   counts of calls to a Map's tasks in a failing run depend on timing.
 */
import { ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';

type RunHandle = ReturnType<StateMachine['run']>;
export type ExecutionEvent = RunHandle['eventLogs'] extends AsyncGenerator<infer E> ? E : never;
type JsonValue = Parameters<StateMachine['run']>[0];
type Definition = ConstructorParameters<typeof StateMachine>[0];

/** The fake ARN a Lambda function resolves to: its logical id is the function name. */
export const FAKE_FUNCTION_ARN_PREFIX = 'arn:aws:lambda:local:000000000000:function:';
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

export interface ResolvedStateMachine {
  /** Plain ASL JSON. */
  readonly definition: Record<string, unknown>;
  /** Logical id of the state machine resource. */
  readonly logicalId: string;
  /** Logical id → fake ARN of every Lambda function the definition names. */
  readonly functionArns: Record<string, string>;
}

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/**
 * The definition of the one `AWS::StepFunctions::StateMachine` of a synthesised template
 * (`Template.fromStack(stack).toJSON()`) whose logical id starts with `logicalIdPrefix`, with
 * its tokens resolved: a Lambda function's `Fn::GetAtt [Id, Arn]` becomes
 * `arn:aws:lambda:local:000000000000:function:<Id>`, its `Ref` becomes `<Id>`.
 */
export function definitionFromTemplate(
  template: Record<string, unknown>,
  logicalIdPrefix = '',
): ResolvedStateMachine {
  const resources = (template.Resources ?? {}) as Record<string, CfnResource>;
  const machines = Object.entries(resources).filter(
    ([id, r]) => r.Type === 'AWS::StepFunctions::StateMachine' && id.startsWith(logicalIdPrefix),
  );
  const [found, ...others] = machines;
  if (!found || others.length > 0) {
    throw new Error(
      `expected one state machine with logical id prefix '${logicalIdPrefix}', found: ${machines.map(([id]) => id).join(', ') || 'none'}`,
    );
  }
  const [logicalId, machine] = found;
  const functionArns: Record<string, string> = {};
  const resourceOf = (id: string): CfnResource => {
    const resource = resources[id];
    if (!resource) throw new Error(`the definition refers to ${id}, which is not in the template`);
    return resource;
  };
  const functionArn = (id: string): string => {
    functionArns[id] = `${FAKE_FUNCTION_ARN_PREFIX}${id}`;
    return functionArns[id];
  };
  /** A function, version or alias named by `FunctionName` (a Ref, a GetAtt or a plain name). */
  const qualifiedArn = (resource: CfnResource, qualifier: string): string => {
    const name = resolve(resource.Properties?.FunctionName);
    return `${name.startsWith('arn:') ? name : functionArn(name)}:${qualifier}`;
  };
  const ref = (id: string): string => {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': 'local',
      'AWS::AccountId': '000000000000',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': 'local',
      'AWS::NoValue': '',
    };
    if (id in pseudo) return pseudo[id] as string;
    const resource = resourceOf(id);
    if (resource.Type === 'AWS::Lambda::Function') {
      functionArn(id);
      return id;
    }
    if (resource.Type === 'AWS::Lambda::Alias')
      return qualifiedArn(resource, resolve(resource.Properties?.Name));
    if (resource.Type === 'AWS::Lambda::Version') return qualifiedArn(resource, '1');
    return id;
  };
  const getAtt = (id: string, attribute: string): string => {
    const resource = resourceOf(id);
    if (resource.Type === 'AWS::Lambda::Function' && attribute === 'Arn') return functionArn(id);
    if (resource.Type === 'AWS::Lambda::Alias' || resource.Type === 'AWS::Lambda::Version') return ref(id);
    const service = resource.Type.split('::')[1]?.toLowerCase() ?? 'unknown';
    return `arn:aws:${service}:local:000000000000:${id}${attribute === 'Arn' ? '' : `/${attribute}`}`;
  };
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    const node = (value ?? {}) as Record<string, unknown>;
    if ('Fn::Join' in node) {
      const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
      return parts.map(resolve).join(separator);
    }
    if ('Fn::GetAtt' in node) {
      const target = node['Fn::GetAtt'];
      const [id, attribute] = (Array.isArray(target) ? target : String(target).split('.')) as [
        string,
        string,
      ];
      return getAtt(id, attribute);
    }
    if ('Ref' in node) return ref(String(node.Ref));
    if ('Fn::Sub' in node) {
      const sub = node['Fn::Sub'];
      const [text, variables] = (Array.isArray(sub) ? sub : [sub, {}]) as [string, Record<string, unknown>];
      return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
        if (name in variables) return resolve(variables[name]);
        const [id, attribute] = name.split('.') as [string, string | undefined];
        return attribute ? getAtt(id, attribute) : ref(id);
      });
    }
    throw new Error(`cannot resolve ${JSON.stringify(value)} in the state machine definition`);
  };

  const properties = machine.Properties ?? {};
  let text = properties.Definition
    ? JSON.stringify(properties.Definition)
    : resolve(properties.DefinitionString);
  const substitutions = (properties.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(substitutions))
    text = text.replaceAll(`\${${name}}`, resolve(value));
  return { definition: JSON.parse(text) as Record<string, unknown>, logicalId, functionArns };
}

/** Context of one call to a handler. */
export interface TaskCall {
  /** The Task state's name. */
  readonly state: string;
  /** The Lambda function name (its logical id for a definition from `definitionFromTemplate`). */
  readonly functionName?: string;
  readonly payload: unknown;
  /** The error name this call failed with, if it did. */
  error?: string;
}

export type LambdaHandler = (payload: unknown, call: TaskCall) => unknown;

export interface TaskFault {
  /**
   * The error name, which Retry/Catch `ErrorEquals` match: `Lambda.TooManyRequestsException`,
   * `Lambda.ServiceException`, `Error`... `States.Timeout` fails the call as the interpreter's own
   * task timeout does (not matched by `States.TaskFailed`), without waiting.
   */
  readonly error: string;
  /** The Cause; `<error> (injected)` when absent. */
  readonly cause?: string;
  /** Only the first `times` calls that match fail; all of them when absent. */
  readonly times?: number;
  /** Only calls whose payload this accepts fail (one Map item, one action). */
  readonly when?: (payload: unknown) => boolean;
}

export interface RunStateMachineOptions {
  /**
   * Lambda functions by name or name prefix (a logical id prefix such as `ComputeFunction`
   * serves `ComputeFunctionB565E683`; the longest matching key wins). A handler gets the payload
   * Lambda would get and returns what the function would (JSON round-tripped, `undefined` → null).
   * A thrown error fails the task as a function error: Error = its name, Cause = Lambda's JSON
   * `{"errorType","errorMessage"}`.
   */
  readonly handlers?: Record<string, LambdaHandler>;
  /** Any Task state by state name, Lambda or not: its effective input in, its raw result out. */
  readonly tasks?: Record<string, (input: unknown) => unknown>;
  readonly input?: unknown;
  /** Faults by Task state name; a call that a fault takes never reaches the handler. */
  readonly faults?: Record<string, TaskFault | readonly TaskFault[]>;
  /** Pause before each retry, all states (default 0: backoff never sleeps). */
  readonly retryIntervalMs?: number;
  /** Duration of every Wait state (default 0). */
  readonly waitMs?: number;
  /** Extra Context Object fields (`$$`); Execution.Input and StartTime are always set. */
  readonly context?: Record<string, unknown>;
}

export interface StateMachineRun {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  /** Calls (faulted ones included) by Task state name; a state never called is absent. */
  readonly attempts: Record<string, number>;
  /** Every call in the order made. */
  readonly calls: readonly TaskCall[];
  /** The interpreter's event log (StateEntered, StateRetried, StateCaught, MapIterationFailed...). */
  readonly events: readonly ExecutionEvent[];
}

interface StateNode {
  readonly Type?: string;
  readonly Resource?: string;
  readonly Retry?: unknown[];
  readonly ItemProcessor?: { States?: Record<string, StateNode> };
  readonly Iterator?: { States?: Record<string, StateNode> };
  readonly Branches?: Array<{ States?: Record<string, StateNode> }>;
}

/** Every state, Map item processors and Parallel branches included, by name. */
function allStates(definition: object): Array<[string, StateNode]> {
  const walk = (states: Record<string, StateNode> = {}): Array<[string, StateNode]> =>
    Object.entries(states).flatMap(([name, state]) => [
      [name, state] as [string, StateNode],
      ...walk((state.ItemProcessor ?? state.Iterator)?.States),
      ...(state.Branches ?? []).flatMap((branch) => walk(branch.States)),
    ]);
  return walk((definition as { States?: Record<string, StateNode> }).States);
}

/** `Name`, `Name:qualifier`, `arn:aws:lambda:r:a:function:Name[:qualifier]` or `a:function:Name`. */
function functionNameOf(nameOrArn: string): string {
  const afterFunction = nameOrArn.includes(':function:') ? nameOrArn.split(':function:')[1] : nameOrArn;
  return afterFunction?.split(':')[0] ?? nameOrArn;
}

const validated = new Set<string>();
let timeoutErrorClass: (new () => Error) | undefined;

/** An instance of the interpreter's own States.Timeout error (its class is not exported). */
async function statesTimeoutError(): Promise<Error> {
  if (!timeoutErrorClass) {
    const probe = new StateMachine(
      {
        StartAt: 'Probe',
        States: {
          Probe: {
            Type: 'Task',
            Resource: `${FAKE_FUNCTION_ARN_PREFIX}Probe`,
            TimeoutSeconds: 0.001,
            End: true,
          },
        },
      },
      { validationOptions: { noValidate: true } },
    );
    const run = probe.run(null, {
      overrides: { taskResourceLocalHandlers: { Probe: () => new Promise(() => {}) } },
    });
    const cause = await run.result.then(
      () => undefined,
      (error: unknown) => (error as Error).cause,
    );
    if (!(cause instanceof Error) || cause.name !== 'States.Timeout') {
      throw new Error('aws-local-stepfunctions no longer fails a timed-out task with States.Timeout');
    }
    timeoutErrorClass = cause.constructor as new () => Error;
  }
  return new timeoutErrorClass();
}

const namedError = (name: string, message: string): Error => Object.assign(new Error(message), { name });

/** Lambda's view of an error a function threw. */
function functionError(thrown: unknown): Error {
  const name = thrown instanceof Error ? thrown.name : 'Error';
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return namedError(name, JSON.stringify({ errorType: name, errorMessage: message }));
}

const jsonCopy = (value: unknown): JsonValue =>
  value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue);

/** Runs `definition` to its end with in-process task handlers; never calls AWS. */
export async function runStateMachine(
  definition: object,
  options: RunStateMachineOptions = {},
): Promise<StateMachineRun> {
  const { handlers = {}, tasks = {}, faults = {} } = options;
  const states = allStates(definition);
  const attempts: Record<string, number> = {};
  const calls: TaskCall[] = [];
  const remaining = new Map<TaskFault, number>();
  for (const fault of Object.values(faults).flat())
    remaining.set(fault, fault.times ?? Number.POSITIVE_INFINITY);
  for (const name of Object.keys(faults)) {
    if (!states.some(([state, node]) => state === name && node.Type === 'Task')) {
      throw new Error(`a fault names '${name}', which is no Task state of the definition`);
    }
  }

  const handlerFor = (functionName: string, state: string): LambdaHandler => {
    const key = Object.keys(handlers)
      .filter((k) => functionName.startsWith(k))
      .sort((a, b) => b.length - a.length)[0];
    if (key === undefined) {
      throw new Error(
        `no handler for function ${functionName} (state ${state}); handlers: ${Object.keys(handlers).join(', ') || 'none'}`,
      );
    }
    return handlers[key] as LambdaHandler;
  };

  /** Counts the call, applies a fault if one takes it, else calls `invoke`. */
  const call = async (
    state: string,
    functionName: string | undefined,
    payload: unknown,
    invoke: (record: TaskCall) => unknown,
  ) => {
    attempts[state] = (attempts[state] ?? 0) + 1;
    const record: TaskCall = { state, functionName, payload };
    calls.push(record);
    const stateFaults = [faults[state] ?? []].flat() as TaskFault[];
    const fault = stateFaults.find((f) => (remaining.get(f) ?? 0) > 0 && (f.when?.(payload) ?? true));
    if (fault) {
      remaining.set(fault, (remaining.get(fault) ?? 0) - 1);
      record.error = fault.error;
      throw fault.error === 'States.Timeout'
        ? await statesTimeoutError()
        : namedError(fault.error, fault.cause ?? `${fault.error} (injected)`);
    }
    try {
      return jsonCopy(await invoke(record));
    } catch (thrown) {
      const error = functionName === undefined && thrown instanceof Error ? thrown : functionError(thrown);
      record.error = error.name;
      throw error;
    }
  };

  let misconfiguration: Error | undefined;
  const taskHandlers: Record<string, (input: JsonValue) => Promise<JsonValue>> = {};
  const seen = new Map<string, string | undefined>();
  for (const [state, node] of states) {
    if (node.Type !== 'Task') continue;
    if (seen.has(state) && seen.get(state) !== node.Resource) {
      throw new Error(`two Task states are named ${state}; overrides go by state name`);
    }
    seen.set(state, node.Resource);
    const resource = node.Resource ?? '';
    const raw = tasks[state];
    if (raw) {
      taskHandlers[state] = (input) => call(state, undefined, input, () => raw(jsonCopy(input)));
    } else if (resource.startsWith('arn:aws:lambda:') && resource.includes(':function:')) {
      // A direct function ARN: the effective input is the payload, the result is the output.
      const functionName = functionNameOf(resource);
      const handler = handlerFor(functionName, state);
      taskHandlers[state] = (input) =>
        call(state, functionName, input, (record) => handler(jsonCopy(input), record));
    } else if (resource === LAMBDA_INVOKE) {
      // The optimised integration: `{ FunctionName, Payload }` in, Lambda's Invoke response out.
      taskHandlers[state] = async (input) => {
        const request = (input ?? {}) as { FunctionName?: string; Payload?: unknown };
        let handler: LambdaHandler;
        try {
          if (typeof request.FunctionName !== 'string') throw new Error(`state ${state}: no FunctionName`);
          handler = handlerFor(functionNameOf(request.FunctionName), state);
        } catch (error) {
          // Not a task failure for Catch to swallow: the run rejects with it.
          misconfiguration ??= error as Error;
          throw new Error('harness misconfiguration');
        }
        const functionName = functionNameOf(request.FunctionName);
        const payload = 'Payload' in request ? request.Payload : {};
        return call(state, functionName, payload, async (record) => ({
          ExecutedVersion: '$LATEST',
          Payload: jsonCopy(await handler(jsonCopy(payload), record)),
          SdkHttpMetadata: { HttpStatusCode: 200 },
          SdkResponseMetadata: { RequestId: '00000000-0000-0000-0000-000000000000' },
          StatusCode: 200,
        }));
      };
    } else {
      throw new Error(
        `state ${state} has resource ${resource}: give it a \`tasks\` override (only Lambda tasks map to handlers)`,
      );
    }
  }
  // A lambda:invoke target known up front must have a handler before the run starts.
  for (const [state, node] of states) {
    const target = (node as { Parameters?: { FunctionName?: unknown } }).Parameters?.FunctionName;
    if (node.Resource === LAMBDA_INVOKE && !tasks[state] && typeof target === 'string') {
      handlerFor(functionNameOf(target), state);
    }
  }

  const stateNames = states.map(([name]) => name);
  // Validation (asl-validator) costs a few hundred ms: once per distinct definition.
  const text = JSON.stringify(definition);
  if (!validated.has(text)) {
    new StateMachine(definition as Definition);
    validated.add(text);
  }
  const machine = new StateMachine(definition as Definition, { validationOptions: { noValidate: true } });
  const execution = machine.run(jsonCopy(options.input ?? {}), {
    overrides: {
      taskResourceLocalHandlers: taskHandlers,
      retryIntervalOverrides: Object.fromEntries(
        states.filter(([, s]) => s.Retry).map(([name]) => [name, options.retryIntervalMs ?? 0]),
      ),
      waitTimeOverrides: Object.fromEntries(stateNames.map((name) => [name, options.waitMs ?? 0])),
    },
    context: {
      Execution: { Id: 'arn:aws:states:local:000000000000:execution:local:test', Name: 'test' },
      StateMachine: { Id: 'arn:aws:states:local:000000000000:stateMachine:local', Name: 'local' },
      ...options.context,
    },
  });
  const events: ExecutionEvent[] = [];
  const collected = (async () => {
    for await (const event of execution.eventLogs) events.push(event);
  })();
  const outcome = await execution.result.then(
    (output) => ({ status: 'SUCCEEDED' as const, output }),
    (error: unknown) => {
      if (error instanceof ExecutionTimeoutError) {
        return { status: 'TIMED_OUT' as const, error: 'States.Timeout', cause: error.message };
      }
      if (error instanceof ExecutionError && error.cause instanceof Error) {
        return { status: 'FAILED' as const, error: error.cause.name, cause: error.cause.message };
      }
      throw error;
    },
  );
  await collected;
  if (misconfiguration) throw misconfiguration;
  return { ...outcome, attempts, calls, events };
}
