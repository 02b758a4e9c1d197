import "server-only";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { portalConfig, secret, secretIfSet, servedOverHttps } from "@/lib/config";
import { TrustedProxies, type HeaderLookup } from "./client-address";
import { attendeeSessionHolds } from "./session-check";
import { SignInGate, SignInRefused, type SignInSecrets } from "./sign-in";

// One gate per process (Next may compile this module more than once), so every copy
// counts the same failures.
const holder = globalThis as unknown as { [key: symbol]: SignInGate | undefined };
const gateKey = Symbol.for("dask-workshop.sign-in-gate");
const gate = () => (holder[gateKey] ??= new SignInGate(new TrustedProxies(portalConfig().trustedProxies)));

const secrets = (): SignInSecrets => ({
  joinCode: secret("EVENT_JOIN_CODE"),
  facilitatorPassword: secret("FACILITATOR_PASSWORD"),
  sessionSecret: secret("NEXTAUTH_SECRET"),
});

function headerLookup(headers: Record<string, unknown> | undefined): HeaderLookup {
  return (name) => {
    const value = headers?.[name];
    return typeof value === "string" ? value : undefined;
  };
}

/** next-auth shows an Error's message on the form; anything unexpected becomes a plain refusal. */
function asFormError(error: unknown): never {
  if (error instanceof SignInRefused) throw new Error(error.message);
  console.error("sign-in failed:", error instanceof Error ? error.message : error);
  throw new Error("Sign-in failed on the portal. Try again.");
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
      credentials: { name: {}, email: {}, code: {}, returnCode: {} },
      async authorize(raw, req) {
        try {
          return gate().attendee(raw, headerLookup(req?.headers), secrets());
        } catch (error) {
          asFormError(error);
        }
      },
    }),
    CredentialsProvider({
      id: "facilitator",
      name: "Facilitator",
      credentials: { password: {} },
      async authorize(raw, req) {
        try {
          return gate().facilitator(raw, headerLookup(req?.headers), secrets());
        } catch (error) {
          asFormError(error);
        }
      },
    }),
  ],
  callbacks: {
    async jwt({ token, user }) {
      if (user) {
        token.role = user.role;
        token.uid = user.id;
        token.sv = user.sessionVersion;
        token.jc = user.joinCodeMark;
      }
      return token;
    },
    // Every page, action and stream reads the session through here, so a revoked session
    // (the facilitator signed the attendee out, a new return code, a new join code) ends
    // on its next request: the cookie stays, but it no longer names anyone.
    async session({ session, token }) {
      if (token.role === "attendee" && !attendeeSessionHolds(token, secrets())) {
        return { ...session, user: undefined };
      }
      session.user = { ...session.user, id: token.uid, role: token.role };
      return session;
    },
  },
};
