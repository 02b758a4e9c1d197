import { randomBytes, randomInt, scryptSync, timingSafeEqual } from "node:crypto";

// An attendee's return code: what, with the room's join code, lets them sign back in as
// themselves. Three groups of four from an alphabet without 0/O/1/I/L (the same as the
// join code's), so it survives being read aloud or copied by hand: 31^12, about 59 bits,
// behind the sign-in rate limit.

const alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const group = () => Array.from({ length: 4 }, () => alphabet[randomInt(alphabet.length)]).join("");

export function newReturnCode(): string {
  return `${group()}-${group()}-${group()}`;
}

/** What a person typed, as the code is stored: upper case, without spaces or dashes. */
export function normalizeReturnCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, "");
}

// A cheap scrypt (N=4096, a few ms) is enough for a 59-bit random code: it only has to
// make a copied database useless, and a room signing in at once must not wait on it.
const keyLength = 32;
const cost = { N: 4096 };

export function hashReturnCode(code: string): string {
  const salt = randomBytes(16);
  return `${salt.toString("hex")}:${scryptSync(normalizeReturnCode(code), salt, keyLength, cost).toString("hex")}`;
}

export function returnCodeMatches(typed: string, stored: string): boolean {
  const [salt, hash] = stored.split(":");
  if (!salt || !hash) return false;
  const expected = Buffer.from(hash, "hex");
  const given = scryptSync(normalizeReturnCode(typed), Buffer.from(salt, "hex"), keyLength, cost);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
