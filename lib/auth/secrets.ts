import "server-only";

type SecretName = "EVENT_JOIN_CODE" | "FACILITATOR_PASSWORD" | "NEXTAUTH_SECRET";

/**
 * The launcher (scripts/start.mjs) puts every secret in the environment before the
 * server starts, generating and storing any that were not given.
 */
export function requiredSecret(name: SecretName): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set. Start the portal with \`make start\` or \`npm start\`.`);
  return value;
}
