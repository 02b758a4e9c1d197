import { timingSafeEqual, createHash } from "node:crypto";
import { z } from "zod";

export const attendeeSignInSchema = z.object({
  name: z.string().trim().min(1, "Enter your name.").max(80, "Keep your name under 80 characters."),
  email: z
    .string()
    .trim()
    .toLowerCase()
    .max(254, "That email address is too long.")
    .pipe(z.email("Enter a valid email address.")),
  code: z.string().trim().min(1, "Enter the event join code.").max(64, "That join code is too long."),
  /** Only for an email that has joined before; empty means "not given". */
  returnCode: z
    .string()
    .trim()
    .max(32, "That return code is too long.")
    .optional()
    .transform((v) => v || undefined),
});

export const facilitatorSignInSchema = z.object({
  password: z.string().min(1, "Enter the facilitator password.").max(200, "That password is too long."),
});

/** Compares secrets in constant time (hashing first so lengths never leak). */
export function secretsMatch(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

export function firstIssue(error: z.ZodError): string {
  return error.issues[0]?.message ?? "Check the form and try again.";
}
