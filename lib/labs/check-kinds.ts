import { z } from "zod";

export const checkKindSchema = z.enum(["tools-ready", "environment-running", "computation-ran", "environment-deleted"]);
export type CheckKind = z.infer<typeof checkKindSchema>;
