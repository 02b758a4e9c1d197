// Python run in an attendee's kernel to see what it can reach and how its network namespace
// routes, for the sandbox's integration test and the e2e journey alike. Nothing of it sends a
// packet off this machine: connections go to loopback addresses and Unix sockets only, and the
// rest is read with `ip rule` and `ip route get`, which looks a route up and sends nothing.

/** Tries each TCP address and each Unix socket: prints, as JSON, "connected" or the error's name for each. */
export function reachCode(tcp: Record<string, [string, number]>, unix: Record<string, string> = {}): string {
  return [
    "import json, socket",
    `tcp = ${JSON.stringify(tcp)}`,
    `unix = ${JSON.stringify(unix)}`,
    "out = {}",
    "def attempt(name, family, address):",
    "    s = socket.socket(family)",
    "    s.settimeout(5)",
    "    try:",
    "        s.connect(address); out[name] = 'connected'",
    "    except OSError as e:",
    "        out[name] = type(e).__name__",
    "    finally:",
    "        s.close()",
    "for name, (host, port) in tcp.items(): attempt(name, socket.AF_INET, (host, port))",
    "for name, path in unix.items(): attempt(name, socket.AF_UNIX, path)",
    "print(json.dumps(out))",
  ].join("\n");
}

/** Prints, as JSON, the namespace's IPv4 and IPv6 rules (`v4`, `v6`) and `ip route get` for each address (`route`: rc, out, err). */
export function routesCode(addresses: string[]): string {
  return [
    "import json, subprocess",
    "def ip(*args):",
    "    r = subprocess.run(['ip', *args], capture_output=True, text=True)",
    "    return {'rc': r.returncode, 'out': r.stdout, 'err': r.stderr.strip()}",
    `route = {a: ip('route', 'get', a) for a in ${JSON.stringify(addresses)}}`,
    "print(json.dumps({'v4': json.loads(ip('-j', 'rule')['out']), 'v6': json.loads(ip('-6', '-j', 'rule')['out']), 'route': route}))",
  ].join("\n");
}

/** A rule as `ip -j rule` prints it. */
export interface Rule {
  priority: number;
  dst?: string;
  dstlen?: number;
  action?: string;
}

/** The destinations a namespace's rules refuse, as CIDRs. */
export const prohibited = (rules: Rule[]) => rules.filter((r) => r.action === "prohibit").map((r) => `${r.dst}/${r.dstlen}`);
