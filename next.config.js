/** @type {import('next').NextConfig} */
const nextConfig = {
  // better-sqlite3 is a native addon: load it from node_modules at run time.
  serverExternalPackages: ["better-sqlite3"],
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
