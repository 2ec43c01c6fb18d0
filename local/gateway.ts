import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError, MethodNotAllowedError, NotFoundError, PayloadTooLargeError } from '#domain/errors.ts';
import { errorResponse } from '#http/responses.ts';
import { ROUTES, type Route, type RouteTarget, routeKeyOf } from '#http/routes.ts';
import type { HttpEvent, HttpHandler, HttpResult } from '#http/types.ts';
import { lambdaContext } from './lambda-context.ts';

/** API Gateway's own payload limit. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** Content types API Gateway HTTP APIs hand over as text; everything else arrives base64. */
const TEXT_TYPES = /^(text\/|application\/(json|[\w.+-]+\+json|xml|x-www-form-urlencoded|javascript)\b)/i;

export interface GatewayProps {
  readonly host: string;
  readonly port: number;
  readonly handlers: Readonly<Record<RouteTarget, HttpHandler>>;
}

export interface Gateway {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A local stand-in for API Gateway (HTTP API, payload format 2.0): each request becomes the
 * event API Gateway would send, goes to the real handler, and its result becomes the response.
 */
export async function startGateway(props: GatewayProps): Promise<Gateway> {
  const dispatch = createDispatcher(props.handlers);
  const server: Server = createServer((request, response) => {
    handle(request, response, dispatch).catch((error: unknown) => {
      const appError = error instanceof AppError ? error : undefined;
      send(
        response,
        errorResponse(appError ?? new AppError(500, 'internal_error', 'gateway failure', { cause: error })),
      );
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(props.port, props.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${props.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A request as the gateway receives it, before it becomes an API Gateway event. */
export interface GatewayRequest {
  readonly method: string;
  /** Path and query string, as on the request line. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: Buffer;
  readonly sourceIp?: string;
}

/**
 * Routes a request to its handler as API Gateway would: the matching route's event (payload
 * format 2.0), or a JSON 404/405. Used by the HTTP server and, in-process, by the fuzz tests.
 */
export function createDispatcher(handlers: Readonly<Record<RouteTarget, HttpHandler>>) {
  return async (request: GatewayRequest): Promise<HttpResult> => {
    // Joined, not resolved: a path such as `//x` must stay a path, not become a host.
    const url = URL.parse(`http://local${request.url.startsWith('/') ? '' : '/'}${request.url}`);
    if (!url) return errorResponse(new NotFoundError('the request path is not a valid URL path'));
    const method = request.method.toUpperCase();
    const matches = ROUTES.map((route) => ({ route, params: matchPath(route.path, url.pathname) })).filter(
      (m): m is { route: Route; params: Record<string, string> } => m.params !== undefined,
    );
    const match = matches.find((m) => m.route.method === method);
    if (!match) {
      return errorResponse(
        matches.length > 0
          ? new MethodNotAllowedError(`${method} is not allowed on ${url.pathname}`)
          : new NotFoundError(`no route for ${method} ${url.pathname}`),
      );
    }
    const event = toApiGatewayEvent(request, url, method, routeKeyOf(match.route), match.params);
    return handlers[match.route.target](
      event,
      lambdaContext(match.route.target, event.requestContext.requestId),
    );
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, dispatch: Dispatch): Promise<void> {
  const body = await readRequestBody(request);
  send(
    response,
    await dispatch({
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      headers: request.headers,
      body,
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
    }),
  );
}

type Dispatch = ReturnType<typeof createDispatcher>;

function toApiGatewayEvent(
  request: GatewayRequest,
  url: URL,
  method: string,
  routeKey: string,
  pathParameters: Record<string, string>,
): HttpEvent {
  const body = request.body;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    // API Gateway lower-cases names and joins repeated headers with commas.
    if (value !== undefined)
      headers[name.toLowerCase()] = typeof value === 'string' ? value : value.join(',');
  }
  // API Gateway tells the function how it was reached.
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-forwarded-for'] ??= request.sourceIp ?? '127.0.0.1';
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams)
    query[name] = name in query ? `${query[name]},${value}` : value;
  const textual = TEXT_TYPES.test(headers['content-type'] ?? '') && !headers['content-encoding'];
  const requestId = randomUUID();
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: textual ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !textual,
  };
}

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const names: string[] = [];
  const regex = new RegExp(
    `^${pattern.replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    })}$`,
  );
  const found = regex.exec(path);
  if (!found) return undefined;
  try {
    return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1] ?? '')]));
  } catch {
    // A malformed percent-encoding matches no route.
    return undefined;
  }
}

async function readRequestBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) throw new PayloadTooLargeError('request larger than 10 MB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, result: HttpResult): void {
  if (response.headersSent) return;
  const body = result.body ?? '';
  const bytes = result.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  response.writeHead(result.statusCode ?? 200, { ...result.headers, 'content-length': String(bytes.length) });
  response.end(bytes);
}
