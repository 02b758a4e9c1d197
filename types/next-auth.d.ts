import "next-auth";
import "next-auth/jwt";

type Role = "attendee" | "facilitator";

declare module "next-auth" {
  interface User {
    role: Role;
    sessionVersion?: number;
    joinCodeMark?: string;
  }
  interface Session {
    user?: { id: string; role: Role; name?: string | null; email?: string | null };
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    uid: string;
    role: Role;
    /** Attendees: the session version and join-code fingerprint the session was issued under. */
    sv?: number;
    jc?: string;
  }
}
