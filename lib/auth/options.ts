import "server-only";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { audit } from "@/lib/audit";
import { secret, secretIfSet, servedOverHttps } from "@/lib/config";
import { upsertAttendee } from "@/lib/db/queries";
import { attendeeSignInSchema, facilitatorSignInSchema, firstIssue, secretsMatch } from "./credentials";
import { FailureLimiter } from "./rate-limit";

const facilitator = { id: "facilitator", role: "facilitator" } as const;

const holder = globalThis as unknown as { __signInLimiter?: FailureLimiter };
// Five wrong codes a minute per client, then the client waits.
const limiter = (holder.__signInLimiter ??= new FailureLimiter(5, 60_000));

function clientKey(headers: Record<string, unknown> | undefined): string {
  const forwarded = headers?.["x-forwarded-for"];
  return typeof forwarded === "string" && forwarded ? forwarded.split(",")[0].trim() : "direct";
}

function guard(key: string) {
  const wait = limiter.retryAfter(key);
  if (wait > 0) throw new Error(`Too many wrong attempts. Try again in ${wait} seconds.`);
}

export const authOptions: NextAuthOptions = {
  secret: secretIfSet("NEXTAUTH_SECRET"),
  useSecureCookies: servedOverHttps(),
  session: { strategy: "jwt", maxAge: 12 * 60 * 60 },
  pages: { signIn: "/signin" },
  providers: [
    CredentialsProvider({
      id: "attendee",
      name: "Attendee",
      credentials: { name: {}, email: {}, code: {} },
      async authorize(raw, req) {
        const key = clientKey(req?.headers);
        guard(key);
        const parsed = attendeeSignInSchema.safeParse(raw);
        if (!parsed.success) throw new Error(firstIssue(parsed.error));
        if (!secretsMatch(parsed.data.code, secret("EVENT_JOIN_CODE"))) {
          limiter.fail(key);
          throw new Error("That join code is not right. Ask your facilitator for the code on the screen.");
        }
        limiter.reset(key);
        const attendee = upsertAttendee({ email: parsed.data.email, name: parsed.data.name });
        audit({ id: attendee.id, role: "attendee" }, "sign-in");
        return { id: attendee.id, name: attendee.name, email: attendee.email, role: "attendee" };
      },
    }),
    CredentialsProvider({
      id: "facilitator",
      name: "Facilitator",
      credentials: { password: {} },
      async authorize(raw, req) {
        const key = clientKey(req?.headers);
        guard(key);
        const parsed = facilitatorSignInSchema.safeParse(raw);
        if (!parsed.success) throw new Error(firstIssue(parsed.error));
        if (!secretsMatch(parsed.data.password, secret("FACILITATOR_PASSWORD"))) {
          limiter.fail(key);
          audit(facilitator, "sign-in", { ok: false, detail: "wrong password" });
          throw new Error("That password is not right.");
        }
        limiter.reset(key);
        audit(facilitator, "sign-in");
        return { id: "facilitator", name: "Facilitator", email: null, role: "facilitator" };
      },
    }),
  ],
  callbacks: {
    async jwt({ token, user }) {
      if (user) {
        token.role = user.role;
        token.uid = user.id;
      }
      return token;
    },
    async session({ session, token }) {
      session.user = { ...session.user, id: token.uid, role: token.role };
      return session;
    },
  },
};
