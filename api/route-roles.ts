import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';
import { roleOfSecurity, type Role } from './auth.js';

type Registry = OpenAPIHono['openAPIRegistry'];
/** How a refused browser is asked for credentials: Bearer for the API, Basic for pages (Bull Board). */
export type Challenge = 'bearer' | 'basic';
interface Declared {
  role: Role;
  challenge: Challenge;
}

/** What the request's route needs: `role` undefined when a matched route declared none. */
export interface RouteAccess {
  role: Role | undefined;
  challenge: Challenge;
}

const keyOf = (method: string, path: string) => `${method.toUpperCase()} ${path}`;
const RANK: Record<Role, number> = { public: 0, predict: 1, admin: 2 };

/**
 * Every route's role, declared where the route is defined: OpenAPI routes by their `security`
 * (see `access`), other routes (docs, Bull Board) by `declare` / `declarePrefix` next to their
 * mounting. A request's role is the strictest of the routes it matches; a matched route that
 * declared nothing makes it undeclared, and the front door refuses it (fail closed).
 */
export class RouteRoles {
  private readonly exact = new Map<string, Declared>();
  private readonly prefixes: [string, Declared][] = [];
  private readonly middleware = new Set<unknown>();
  private fromDoc = new Map<string, Declared>();
  private docSize = -1;

  constructor(private readonly registry?: Registry) {}

  /** A route registered without OpenAPI (`method` as Hono has it: GET, POST, ALL). */
  declare(method: string, path: string, role: Role, challenge: Challenge = 'bearer'): void {
    this.exact.set(keyOf(method, path), { role, challenge });
  }

  /** Every route under `prefix` (a mounted sub-app). */
  declarePrefix(prefix: string, role: Role, challenge: Challenge = 'bearer'): void {
    this.prefixes.push([prefix, { role, challenge }]);
  }

  /** A middleware handler that runs on routes without being one (the front door). */
  allowMiddleware(handler: unknown): void {
    this.middleware.add(handler);
  }

  /** The role of the route this request matched; `public` when it matched none (a 404). */
  of(c: Context): RouteAccess {
    let role: Role | undefined = 'public';
    let challenge: Challenge = 'bearer';
    for (const r of matchedRoutes(c)) {
      if (this.middleware.has(r.handler)) continue;
      const d = this.lookup(r.method, r.path);
      if (!d) return { role: undefined, challenge };
      if (role === undefined || RANK[d.role] >= RANK[role]) {
        role = d.role;
        challenge = d.challenge;
      }
    }
    return { role, challenge };
  }

  private lookup(method: string, path: string): Declared | undefined {
    const found = this.exact.get(keyOf(method, path)) ?? this.documented().get(keyOf(method, path));
    if (found) return found;
    for (const [prefix, d] of this.prefixes) if (path === prefix || path.startsWith(`${prefix}/`)) return d;
    return undefined;
  }

  /** OpenAPI routes by their Hono path, rebuilt when routes were added since. */
  private documented(): Map<string, Declared> {
    const defs = this.registry?.definitions ?? [];
    if (defs.length !== this.docSize) {
      this.fromDoc = new Map();
      for (const d of defs) {
        if (d.type !== 'route') continue;
        const role = roleOfSecurity(d.route.security as Record<string, string[]>[] | undefined);
        if (role) this.fromDoc.set(keyOf(d.route.method, d.route.path.replace(/\{([^}]+)\}/g, ':$1')), { role, challenge: 'bearer' });
      }
      this.docSize = defs.length;
    }
    return this.fromDoc;
  }
}
