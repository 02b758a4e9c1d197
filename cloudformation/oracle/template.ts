import { readFileSync } from "node:fs";
import { parse, type CollectionTag, type ScalarTag, type YAMLMap, type YAMLSeq } from "yaml";

// A CloudFormation template as CloudFormation reads it: YAML with the short-form intrinsic
// tags (!Ref, !Sub, !GetAtt, …) or JSON, turned into the long form ({"Fn::Sub": …}).

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
  Condition?: string;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: Json;
}

export interface Template {
  Parameters?: Record<string, { Type: string; Default?: Json; AllowedValues?: Json[] }>;
  Mappings?: Record<string, Record<string, Record<string, Json>>>;
  Conditions?: Record<string, Json>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: Json; Condition?: string; Export?: { Name: Json } }>;
  Transform?: Json;
}

const functions = [
  "Base64", "Cidr", "FindInMap", "GetAZs", "ImportValue", "Join", "Select", "Split", "Sub",
  "If", "Equals", "Not", "And", "Or", "Transform", "Length", "ToJsonString",
];

function longForm(name: string): string {
  if (name === "Ref" || name === "Condition") return name;
  return `Fn::${name}`;
}

function tagsFor(name: string): (ScalarTag | CollectionTag)[] {
  const key = longForm(name);
  const scalar: ScalarTag = {
    tag: `!${name}`,
    resolve: (value: string) => (name === "GetAtt" ? { [key]: value.split(/\.(.*)/s, 2) } : { [key]: value }),
  };
  const seq: CollectionTag = {
    tag: `!${name}`,
    collection: "seq",
    resolve: (value) => ({ [key]: (value as YAMLSeq).toJSON() }) as unknown as YAMLSeq,
  };
  const map: CollectionTag = {
    tag: `!${name}`,
    collection: "map",
    resolve: (value) => ({ [key]: (value as YAMLMap).toJSON() }) as unknown as YAMLMap,
  };
  return [scalar, seq, map];
}

const customTags = ["Ref", "Condition", "GetAtt", ...functions].flatMap(tagsFor);

/** Parses template text (YAML or JSON). */
export function parseTemplate(text: string): Template {
  const trimmed = text.trimStart();
  const value = trimmed.startsWith("{") ? JSON.parse(trimmed) : parse(text, { customTags, maxAliasCount: -1 });
  if (!value || typeof value !== "object" || typeof value.Resources !== "object") {
    throw new Error("not a CloudFormation template: it has no Resources");
  }
  return value as Template;
}

export function readTemplate(file: string): Template {
  return parseTemplate(readFileSync(file, "utf8"));
}
