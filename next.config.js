/** @type {import('next').NextConfig} */
const nextConfig = {
  // better-sqlite3 is a native addon, and http-proxy-3 requires its dependencies at run time:
  // load both from node_modules.
  serverExternalPackages: ["better-sqlite3", "http-proxy-3"],
  poweredByHeader: false,
  // `make test` type-checks the whole repo as its own step (npm run typecheck) before building.
  typescript: { ignoreBuildErrors: true },
  // Headers every response gets, static files included. The Content-Security-Policy needs a
  // nonce per response, so proxy.ts sets it.
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "same-origin" },
          { key: "X-Frame-Options", value: "DENY" },
        ],
      },
    ];
  },
};

module.exports = nextConfig;
