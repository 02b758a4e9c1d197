import { NextResponse } from "next/server";
import { withAuth } from "next-auth/middleware";

// Every page but /signin and /api/health needs a session; facilitator pages and APIs
// also need the facilitator role. Route handlers and actions check again themselves.
export default withAuth(
  function proxy(req) {
    const { pathname } = req.nextUrl;
    const token = req.nextauth.token;
    const isApi = pathname.startsWith("/api/");
    if (!token) {
      return NextResponse.json({ error: "Sign in first." }, { status: 401 });
    }
    const facilitatorOnly = pathname.startsWith("/facilitator") || pathname.startsWith("/api/facilitator");
    if (facilitatorOnly && token.role !== "facilitator") {
      if (isApi) return NextResponse.json({ error: "Only the facilitator can do that." }, { status: 403 });
      return NextResponse.rewrite(new URL("/forbidden", req.url), { status: 403 });
    }
    return NextResponse.next();
  },
  {
    callbacks: {
      // API calls get a 401 from the function above instead of a redirect to the sign-in page.
      authorized: ({ req, token }) => Boolean(token) || req.nextUrl.pathname.startsWith("/api/"),
    },
    pages: { signIn: "/signin" },
  },
);

export const config = {
  matcher: ["/((?!signin|forbidden|api/health|api/auth|_next/static|_next/image|favicon.ico|.*\\.svg$|.*\\.png$).*)"],
};
