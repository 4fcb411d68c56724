import type { BatchRoom } from "./batches.js";
import {
  COMPLETION_REQUEST,
  CREATE_BATCH_REQUEST,
  CREATE_SESSION_REQUEST,
  EXECUTE_REQUEST,
  parseRequest,
} from "./fields.js";
import { HttpFailure, type Reply } from "./http.js";
import { intParam, javaInt } from "./records.js";
import type { SessionRoom } from "./sessions.js";

/** What a route handler gets. */
export interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
  /** The raw request body (already size-checked); parse it with the route's request class. */
  body: string;
  /** The request path, for `Location` headers. */
  path: string;
}

/** One line of the route table. */
export interface Route {
  method: "GET" | "POST" | "DELETE";
  /** Path pattern; `:name` matches one segment. */
  path: string;
  handle(context: RouteContext): Reply | Promise<Reply>;
}

/** What the route table serves. */
export interface RouteTarget {
  batches: BatchRoom;
  sessions: SessionRoom;
  version: Record<string, string>;
}

const ok = (payload: unknown): Reply => ({ status: 200, payload });

/** Livy 0.8's REST API as a table: `/version`, `/batches/…`, `/sessions/…`. */
export function livyRoutes({ batches, sessions, version }: RouteTarget): Route[] {
  const page = (query: URLSearchParams) => ({
    from: intParam(query, "from") ?? 0,
    size: intParam(query, "size") ?? 100,
  });
  // Livy's serializeLogs: a negative size means every line, a missing or negative from the last `size`.
  const logWindow = (lines: readonly string[], query: URLSearchParams) => {
    let size = intParam(query, "size") ?? 100;
    let from = intParam(query, "from") ?? -1;
    if (size < 0) size = lines.length;
    if (from < 0) from = Math.max(0, lines.length - size);
    const start = Math.min(from, lines.length);
    return { from, total: lines.length, log: lines.slice(start, Math.max(start, from + size)) };
  };
  const created = (path: string, payload: { id: number }): Reply => ({
    status: 201,
    payload,
    headers: { location: `${path.replace(/\/$/, "")}/${payload.id}` },
  });
  return [
    { method: "GET", path: "/version", handle: () => ok(version) },
    {
      method: "GET",
      path: "/batches",
      handle: ({ query }) => {
        const { from, size } = page(query);
        return ok(batches.list(from, size));
      },
    },
    {
      method: "POST",
      path: "/batches",
      handle: ({ body, path }) =>
        created(path, batches.create(parseRequest(body, CREATE_BATCH_REQUEST))),
    },
    {
      method: "GET",
      path: "/batches/:id",
      handle: ({ params }) => ok(batches.view(batches.get(params.id!))),
    },
    {
      method: "DELETE",
      path: "/batches/:id",
      handle: async ({ params }) => {
        await batches.delete(batches.get(params.id!));
        return ok({ msg: "deleted" });
      },
    },
    {
      method: "GET",
      path: "/batches/:id/state",
      handle: ({ params }) => ok(batches.state(batches.get(params.id!))),
    },
    {
      method: "GET",
      path: "/batches/:id/log",
      handle: ({ params, query }) => {
        const batch = batches.get(params.id!);
        return ok({ id: batch.id, ...logWindow(batches.log(batch), query) });
      },
    },
    {
      method: "GET",
      path: "/sessions",
      handle: ({ query }) => {
        const { from, size } = page(query);
        return ok(sessions.list(from, size));
      },
    },
    {
      method: "POST",
      path: "/sessions",
      handle: ({ body, path }) =>
        created(path, sessions.create(parseRequest(body, CREATE_SESSION_REQUEST))),
    },
    {
      method: "GET",
      path: "/sessions/:id",
      handle: ({ params }) => ok(sessions.view(sessions.get(params.id!))),
    },
    {
      method: "DELETE",
      path: "/sessions/:id",
      handle: async ({ params }) => {
        await sessions.delete(sessions.get(params.id!));
        return ok({ msg: "deleted" });
      },
    },
    {
      method: "GET",
      path: "/sessions/:id/state",
      handle: ({ params }) => ok(sessions.state(sessions.get(params.id!))),
    },
    {
      method: "GET",
      path: "/sessions/:id/log",
      handle: ({ params, query }) => {
        const session = sessions.get(params.id!);
        return ok({ id: session.id, ...logWindow(sessions.log(session), query) });
      },
    },
    {
      method: "POST",
      path: "/sessions/:id/stop",
      handle: async ({ params }) => {
        await sessions.stop(sessions.get(params.id!));
        return { status: 204 };
      },
    },
    {
      method: "POST",
      path: "/sessions/:id/interrupt",
      handle: async ({ params }) => {
        await sessions.stop(sessions.get(params.id!));
        return ok({ msg: "interrupted" });
      },
    },
    {
      method: "POST",
      path: "/sessions/:id/connect",
      handle: ({ params }) => ok(sessions.connect(sessions.get(params.id!))),
    },
    {
      method: "POST",
      path: "/sessions/:id/completion",
      handle: async ({ params, body }) => {
        const session = sessions.get(params.id!);
        const request = parseRequest(body, COMPLETION_REQUEST);
        return ok({ candidates: await sessions.completion(session, request) });
      },
    },
    {
      method: "GET",
      path: "/sessions/:id/statements",
      handle: ({ params, query }) =>
        ok(
          sessions.listStatements(
            sessions.get(params.id!),
            query.get("order"),
            intParam(query, "from") ?? 0,
            intParam(query, "size"),
          ),
        ),
    },
    {
      method: "POST",
      path: "/sessions/:id/statements",
      handle: ({ params, body, path }) => {
        const session = sessions.get(params.id!);
        return created(path, sessions.runStatement(session, parseRequest(body, EXECUTE_REQUEST)));
      },
    },
    {
      method: "GET",
      path: "/sessions/:id/statements/:statementId",
      handle: ({ params }) => {
        const session = sessions.get(params.id!);
        return ok(sessions.statement(session, javaInt(params.statementId!)));
      },
    },
    {
      method: "POST",
      path: "/sessions/:id/statements/:statementId/cancel",
      handle: async ({ params }) => {
        const session = sessions.get(params.id!);
        await sessions.cancelStatement(session, javaInt(params.statementId!));
        return ok({ msg: "canceled" });
      },
    },
  ];
}

interface CompiledRoute extends Route {
  pattern: RegExp;
  names: string[];
}

/** Matches requests against a route table: 404 for an unknown path, 405 for a known one with another method. */
export class Router {
  readonly #routes: CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.#routes = routes.map((route) => {
      const names: string[] = [];
      const source = route.path
        .split("/")
        .map((segment) => {
          if (!segment.startsWith(":")) return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
          names.push(segment.slice(1));
          return "([^/]+)";
        })
        .join("/");
      return { ...route, pattern: new RegExp(`^${source}/?$`), names };
    });
  }

  /** The route and its decoded parameters. */
  match(method: string, path: string): { route: Route; params: Record<string, string> } {
    let pathKnown = false;
    for (const route of this.#routes) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      pathKnown = true;
      if (route.method !== method) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = decodeURIComponent(match[i + 1]!);
      });
      return { route, params };
    }
    if (pathKnown) throw new HttpFailure(405, `Method ${method} not allowed`);
    const servlet = /^\/(batches|sessions|version)/.exec(path)?.[0] ?? "";
    throw new HttpFailure(
      404,
      `Requesting "${method} ${path}" on servlet "${servlet}" but only have: ${this.#routes
        .filter((route) => route.path.startsWith(servlet || "/"))
        .map((route) => `${route.method} ${route.path}`)
        .join(", ")}`,
    );
  }
}
