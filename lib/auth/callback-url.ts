// Where the sign-in page may send someone after they sign in: a page of the portal itself,
// never anywhere else. The value is resolved the way a browser would resolve it (so
// "/\evil.example", "//evil.example" and "/%5Cevil.example" are judged as what they
// become), and only the path, query and fragment are kept.

const probe = "http://portal.invalid";

export function safeCallbackUrl(value: string | undefined, publicUrl?: string): string | undefined {
  if (!value || value.length > 2000) return undefined;
  let target: URL;
  try {
    target = new URL(value, probe);
  } catch {
    return undefined;
  }
  const own = [new URL(probe).origin];
  if (publicUrl) {
    try {
      own.push(new URL(publicUrl).origin);
    } catch {
      /* a bad public URL only narrows what is accepted */
    }
  }
  if (!own.includes(target.origin)) return undefined;
  const local = `${target.pathname}${target.search}${target.hash}`;
  // A path that a browser would read as another host once decoded is never kept.
  if (!local.startsWith("/") || local.startsWith("//") || /^\/(\\|%5c|%2f)/i.test(local)) return undefined;
  return local;
}
