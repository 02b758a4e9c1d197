import { stackArn, standIn, table, type Place, type Subject } from "./arns";
import type { Json, Template } from "./template";

// Evaluates a template's intrinsic functions for one stack as CloudFormation would: the
// parameters the portal passes (or their defaults), the pseudo parameters, conditions, and
// the physical names and attributes of resources (from the ARN table). What cannot be known
// offline becomes a visible placeholder rather than a guess.

const noValue = Symbol("AWS::NoValue");
type Value = Json | typeof noValue;

export interface StackInput {
  place: Place;
  template: Template;
  /** Parameter values given to CreateStack; the rest take their Default. */
  parameters: Record<string, string>;
  /** Export name → value, from the stacks already deployed (the event stack's outputs). */
  exports?: Record<string, string>;
}

function unknown(what: string): string {
  return `{unknown:${what}}`;
}

function availabilityZones(region: string): string[] {
  return ["a", "b", "c", "d"].map((z) => `${region}${z}`);
}

/** The value type of an SSM-typed template parameter (AWS::SSM::Parameter::Value<T>), if it is one. */
function ssmValueType(type: string): string | undefined {
  return /^AWS::SSM::Parameter::Value<(.+)>$/.exec(type)?.[1];
}

/**
 * What CloudFormation puts in place of an SSM-typed parameter: the parameter's value when the
 * stack is made, unknown offline; an image id gets a stand-in id, so the instance's ARNs exist.
 */
function ssmStandIn(valueType: string, parameterName: string): Json {
  if (valueType === "AWS::EC2::Image::Id") return `ami-${standIn(`ssm:${parameterName}`, 17)}`;
  return unknown(`ssm ${parameterName}`);
}

function cidr(block: string, count: number, hostBits: number): string[] {
  const [address, prefix] = block.split("/");
  const base = address.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const size = 2 ** hostBits;
  if (32 - Number(prefix) < hostBits) return [];
  return Array.from({ length: count }, (_, i) => {
    const n = base + i * size;
    return `${[24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".")}/${32 - hostBits}`;
  });
}

export class StackResolver {
  private readonly subjects = new Map<string, Subject>();
  private readonly conditions = new Map<string, boolean>();
  private readonly parameters: Record<string, Json>;

  constructor(private readonly input: StackInput) {
    const declared = input.template.Parameters ?? {};
    this.parameters = {};
    for (const [name, spec] of Object.entries(declared)) {
      const given = input.parameters[name] ?? spec.Default;
      if (given === undefined) throw new Error(`parameter ${name} of ${input.place.stackName} has no value and no default`);
      const ssm = ssmValueType(spec.Type);
      this.parameters[name] = ssm
        ? ssmStandIn(ssm, String(given))
        : spec.Type === "CommaDelimitedList" || spec.Type.startsWith("List<")
          ? String(given).split(",")
          : (given as Json);
    }
  }

  /**
   * The Systems Manager parameters CloudFormation reads for this stack's SSM-typed template
   * parameters: every name the parameter allows (the deployer picks one), else the one given.
   */
  ssmParameterNames(): string[] {
    const names = Object.entries(this.input.template.Parameters ?? {}).flatMap(([name, spec]) => {
      if (!ssmValueType(spec.Type)) return [];
      const allowed = (spec.AllowedValues ?? []).map(String);
      return allowed.length > 0 ? allowed : [String(this.input.parameters[name] ?? spec.Default)];
    });
    return [...new Set(names)];
  }

  get place(): Place {
    return this.input.place;
  }

  /** Logical ids of the resources this stack creates (their Condition holds). */
  resourceIds(): string[] {
    return Object.entries(this.input.template.Resources)
      .filter(([, r]) => !r.Condition || this.condition(r.Condition))
      .map(([id]) => id);
  }

  condition(name: string): boolean {
    const known = this.conditions.get(name);
    if (known !== undefined) return known;
    const expression = this.input.template.Conditions?.[name];
    if (expression === undefined) throw new Error(`unknown condition ${name}`);
    const value = this.truth(expression);
    this.conditions.set(name, value);
    return value;
  }

  private truth(expression: Json): boolean {
    if (!expression || typeof expression !== "object" || Array.isArray(expression)) return Boolean(expression);
    if ("Condition" in expression) return this.condition(String(expression.Condition));
    const [fn, args] = Object.entries(expression)[0] as [string, Json[]];
    switch (fn) {
      case "Fn::Equals":
        return JSON.stringify(this.value(args[0])) === JSON.stringify(this.value(args[1]));
      case "Fn::Not":
        return !this.truth(args[0]);
      case "Fn::And":
        return args.every((a) => this.truth(a));
      case "Fn::Or":
        return args.some((a) => this.truth(a));
      default:
        throw new Error(`${fn} is not a condition function`);
    }
  }

  /** The resource with its properties resolved. */
  subject(logicalId: string): Subject {
    const cached = this.subjects.get(logicalId);
    if (cached) return cached;
    const resource = this.input.template.Resources[logicalId];
    if (!resource) throw new Error(`unknown resource ${logicalId}`);
    const props = this.value((resource.Properties ?? {}) as Json);
    const subject: Subject = {
      logicalId,
      type: resource.Type,
      props: (props === noValue ? {} : props) as Record<string, Json>,
      place: this.place,
      peer: (ref) => this.byRef(ref),
    };
    this.subjects.set(logicalId, subject);
    return subject;
  }

  private byRef(ref: string): Subject | undefined {
    const id = this.resourceIds().find((candidate) => this.entry(candidate).ref(this.subject(candidate)) === ref);
    return id === undefined ? undefined : this.subject(id);
  }

  private entry(logicalId: string) {
    const type = this.input.template.Resources[logicalId]?.Type;
    const entry = type ? table[type] : undefined;
    if (!entry) throw new Error(`${logicalId} (${type ?? "no such resource"}) is not in the oracle's ARN table (cloudformation/oracle/arns.ts)`);
    return entry;
  }

  private ref(name: string): Json {
    const { place } = this;
    const pseudo: Record<string, Json> = {
      "AWS::StackName": place.stackName,
      "AWS::Region": place.region,
      "AWS::AccountId": place.accountId,
      "AWS::Partition": place.partition,
      "AWS::URLSuffix": "amazonaws.com",
      "AWS::StackId": stackArn(place),
      "AWS::NotificationARNs": [],
    };
    if (name in pseudo) return pseudo[name];
    if (name in this.parameters) return this.parameters[name];
    if (name in this.input.template.Resources) return this.entry(name).ref(this.subject(name));
    throw new Error(`Ref to unknown name ${name}`);
  }

  private getAtt(logicalId: string, attribute: string): Json {
    const attrs = this.entry(logicalId).attrs ?? {};
    return attrs[attribute] ? attrs[attribute](this.subject(logicalId)) : unknown(`${logicalId}.${attribute}`);
  }

  private sub(text: string, variables: Record<string, Json>): string {
    return text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
      if (name.startsWith("!")) return `\${${name.slice(1)}}`;
      if (name in variables) return String(variables[name]);
      if (name.includes(".") && !name.startsWith("AWS::")) {
        const [id, attribute] = name.split(/\.(.*)/s, 2);
        return String(this.getAtt(id, attribute));
      }
      return String(this.ref(name));
    });
  }

  value(node: Json): Json | typeof noValue {
    if (Array.isArray(node)) return node.map((n) => this.value(n)).filter((v): v is Json => v !== noValue);
    if (!node || typeof node !== "object") return node;
    const keys = Object.keys(node);
    if (keys.length === 1 && (keys[0] === "Ref" || keys[0].startsWith("Fn::"))) return this.call(keys[0], node[keys[0]]);
    const out: Record<string, Json> = {};
    for (const [key, child] of Object.entries(node)) {
      const value = this.value(child);
      if (value !== noValue) out[key] = value;
    }
    return out;
  }

  private call(fn: string, arg: Json): Value {
    const v = (n: Json) => this.value(n) as Json;
    switch (fn) {
      case "Ref":
        return arg === "AWS::NoValue" ? noValue : this.ref(String(arg));
      case "Fn::GetAtt": {
        const [id, attribute] = Array.isArray(arg) ? arg.map(String) : String(arg).split(/\.(.*)/s, 2);
        return this.getAtt(id, attribute);
      }
      case "Fn::Sub": {
        const [text, variables] = Array.isArray(arg) ? [String(arg[0]), v(arg[1]) as Record<string, Json>] : [String(arg), {}];
        return this.sub(text, variables);
      }
      case "Fn::Join": {
        const [separator, items] = arg as [string, Json];
        return (v(items) as Json[]).map(String).join(separator);
      }
      case "Fn::Select": {
        const [index, items] = arg as [Json, Json];
        return (v(items) as Json[])[Number(v(index))];
      }
      case "Fn::Split": {
        const [separator, text] = arg as [string, Json];
        return String(v(text)).split(separator);
      }
      case "Fn::If": {
        const [name, yes, no] = arg as [string, Json, Json];
        return this.value(this.condition(name) ? yes : no);
      }
      case "Fn::FindInMap": {
        const [map, top, second] = (arg as Json[]).map((a) => String(v(a)));
        const found = this.input.template.Mappings?.[map]?.[top]?.[second];
        if (found === undefined) throw new Error(`FindInMap ${map}/${top}/${second} has no value`);
        return found;
      }
      case "Fn::ImportValue": {
        const name = String(v(arg));
        return this.input.exports?.[name] ?? unknown(`import ${name}`);
      }
      case "Fn::GetAZs":
        return availabilityZones(this.place.region);
      case "Fn::Cidr": {
        const [block, count, bits] = (arg as Json[]).map((a) => v(a));
        return cidr(String(block), Number(count), Number(bits));
      }
      case "Fn::Base64":
      case "Fn::ToJsonString":
        return fn === "Fn::ToJsonString" ? JSON.stringify(v(arg)) : v(arg);
      case "Fn::Length":
        return (v(arg) as Json[]).length;
      case "Fn::Equals":
      case "Fn::Not":
      case "Fn::And":
      case "Fn::Or":
        return this.truth({ [fn]: arg });
      default:
        throw new Error(`${fn} is not supported by the oracle`);
    }
  }

  /** The stack's exports, resolved: what a later stack's Fn::ImportValue receives. */
  exports(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const output of Object.values(this.input.template.Outputs ?? {})) {
      if (!output.Export || (output.Condition && !this.condition(output.Condition))) continue;
      out[String(this.value(output.Export.Name))] = String(this.value(output.Value));
    }
    return out;
  }
}
