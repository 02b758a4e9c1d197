import { NextResponse, type NextFetchEvent, type NextRequest } from "next/server";
import { withAuth, type NextRequestWithAuth } from "next-auth/middleware";
import { changesState, foreignOrigin } from "@/lib/auth/same-origin";
import { inDevelopment, publicUrl } from "@/lib/config";

// Runs before every page and API route. It gives each response a Content-Security-Policy
// with a nonce of its own (Next.js reads the nonce from the request's policy header and puts
// it on the inline scripts it streams; the root layout reads the session, so every page is
// rendered per request and can carry it). Then every page but the public ones needs a session,
// and facilitator pages and APIs the facilitator role; route handlers and actions check again.
// Before all that, a request that would change something (every server action is a POST) from
// a page of another origin is refused and recorded (lib/auth/same-origin.ts).
// The static headers (nosniff, Referrer-Policy, X-Frame-Options) are in next.config.js.

/**
 * Served to anyone: the sign-in and "not allowed" pages, the health check, next-auth's own
 * routes, and Caddy's question before a content certificate (which answers only the machine).
 */
const publicPaths = /^\/(signin|forbidden|api\/health|api\/auth|api\/internal\/content-host)(\/|$)/;

/** The build's static files and images: no documents, nothing to sign in for. */
const staticPaths = /^\/(_next\/static|_next\/image|favicon\.ico)|\.(svg|png)$/;

/** Where a refused request goes instead, to be recorded with who it would have acted as (app/api/internal/cross-origin). */
const CROSS_ORIGIN_ROUTE = "/api/internal/cross-origin";

/**
 * Scripts only from the portal itself or carrying this response's nonce; nothing from
 * elsewhere, no plugins, no framing, no <base> or form target off the portal. Inline style
 * attributes stay allowed (the progress bars set their width): they cannot run script, while
 * <style> elements, which can read the page through selectors, need the nonce.
 */
function contentSecurityPolicy(nonce: string): string {
  // React's development build evaluates code for its error overlay; the production build does not.
  const devEval = inDevelopment() ? " 'unsafe-eval'" : "";
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${devEval}`,
    `style-src 'self' 'nonce-${nonce}'`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** The request as the app sees it, with the policy Next.js takes the nonce from. */
function withPolicy(req: NextRequest): { headers: Headers; policy: string } {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const policy = contentSecurityPolicy(nonce);
  const headers = new Headers(req.headers);
  headers.set("Content-Security-Policy", policy);
  return { headers, policy };
}

function passOn(req: NextRequest): NextResponse {
  const { headers, policy } = withPolicy(req);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("Content-Security-Policy", policy);
  return response;
}

const authorised = withAuth(
  function checkRole(req) {
    const { pathname } = req.nextUrl;
    const token = req.nextauth.token;
    const isApi = pathname.startsWith("/api/");
    if (!token) {
      return NextResponse.json({ error: "Sign in first." }, { status: 401 });
    }
    const facilitatorOnly = pathname.startsWith("/facilitator") || pathname.startsWith("/api/facilitator");
    if (facilitatorOnly && token.role !== "facilitator") {
      if (isApi) return NextResponse.json({ error: "Only the facilitator can do that." }, { status: 403 });
      const { headers, policy } = withPolicy(req);
      const forbidden = NextResponse.rewrite(new URL("/forbidden", req.url), { status: 403, request: { headers } });
      forbidden.headers.set("Content-Security-Policy", policy);
      return forbidden;
    }
    return passOn(req);
  },
  {
    callbacks: {
      // API calls get a 401 from the function above instead of a redirect to the sign-in page.
      authorized: ({ req, token }) => Boolean(token) || req.nextUrl.pathname.startsWith("/api/"),
    },
    pages: { signIn: "/signin" },
  },
);

/** The request, stripped of what would make Next run it as an action, sent to be recorded and refused. */
function refuseForeign(req: NextRequest): NextResponse {
  const headers = new Headers(req.headers);
  headers.delete("next-action");
  headers.set("x-portal-refused-path", `${req.method} ${req.nextUrl.pathname}`);
  const response = NextResponse.rewrite(new URL(CROSS_ORIGIN_ROUTE, req.url), { request: { headers } });
  response.headers.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  return response;
}

export default async function proxy(req: NextRequest, event: NextFetchEvent) {
  if (changesState(req.method) && foreignOrigin((name) => req.headers.get(name), publicUrl())) return refuseForeign(req);
  if (staticPaths.test(req.nextUrl.pathname)) return NextResponse.next();
  if (publicPaths.test(req.nextUrl.pathname)) return passOn(req);
  const response = (await authorised(req as NextRequestWithAuth, event)) ?? passOn(req);
  // A redirect to the sign-in page or a JSON refusal is no document: it may load nothing at all.
  if (!response.headers.has("Content-Security-Policy")) response.headers.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  return response;
}

export const config = {
  // Everything but the build's static files and images, which are not documents; and anything
  // that names an origin, so no path escapes the check above.
  matcher: ["/((?!_next/static|_next/image|favicon.ico|.*\\.svg$|.*\\.png$).*)", { source: "/:path*", has: [{ type: "header", key: "origin" }] }],
};
