import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

const config = [
  ...nextVitals,
  ...nextTs,
  {
    // Playwright fixtures hand values on with a function named `use`; it is not a React hook.
    files: ["e2e/**"],
    rules: { "react-hooks/rules-of-hooks": "off" },
  },
  {
    // lib/config.ts reads the environment once into a typed PortalConfig that is handed down;
    // nothing else in the portal reads it (scripts, tests, benches and tool configs may).
    files: ["app/**", "lib/**", "components/**", "proxy.ts", "instrumentation.ts"],
    ignores: ["lib/config.ts", "**/*.test.ts", "**/*.test.tsx"],
    rules: {
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "Read configuration through lib/config.ts (portalConfig() and its helpers), not process.env." },
      ],
      "no-restricted-imports": [
        "error",
        {
          paths: ["process", "node:process"].map((name) => ({
            name,
            importNames: ["env"],
            message: "Read configuration through lib/config.ts (portalConfig() and its helpers), not process.env.",
          })),
        },
      ],
    },
  },
  {
    ignores: [
      ".next/**",
      "node_modules/**",
      ".venv/**",
      ".venv-tools/**",
      ".venv-worker/**",
      ".node22/**",
      "data/**",
      "test-results/**",
      "playwright-report/**",
      "next-env.d.ts",
    ],
  },
];

export default config;
