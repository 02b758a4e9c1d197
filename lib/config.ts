import path from "node:path";
import { z } from "zod";

const envSchema = z.object({
  PORTAL_PROVIDER: z.enum(["local", "aws"]).default("local"),
  PORTAL_DATA_DIR: z.string().min(1).default("data"),
  PORTAL_MAX_WORKERS: z.coerce.number().int().min(0).max(64).optional(),
  PORTAL_PYTHON_ENV: z.string().min(1).default(".venv"),
  EVENT_NAME: z.string().min(1).max(120).default("Dask on AWS ECS workshop"),
});

export type PortalConfig = z.infer<typeof envSchema>;

export function portalConfig(): PortalConfig {
  return envSchema.parse(process.env);
}

export function dataDir(): string {
  return path.resolve(/* turbopackIgnore: true */ process.cwd(), portalConfig().PORTAL_DATA_DIR);
}
