/**
 * Salesforce External Services' import rules for an OpenAPI document, as checks: a document that
 * passes registers without renamed fields, dropped operations or media-type mappings.
 */

type Json = Record<string, unknown>;

/** The media types External Services reads and writes; anything else needs a mapping or fails the registration. */
export const ALLOWED_MEDIA_TYPES = ['application/json', 'application/octet-stream', 'application/x-www-form-urlencoded', 'text/plain'] as const;

/** Schema size External Services accepts (kept conservative: its documented system limits may allow more). */
export const MAX_SCHEMA_CHARACTERS = 100_000;

/** Apex reserved words (and words External Services prefixes with z0, such as `type`), lower case. */
export const APEX_RESERVED_WORDS = new Set(
  `abstract activate and any array as asc autonomous begin bigdecimal blob boolean break bulk by byte case cast catch char class collect commit
  const continue currency date datetime decimal default delete desc do double else end enum exception exit export extends false final finally
  float for from global goto group having hint if implements import in inner insert instanceof int integer interface into join like limit list
  long loop map merge new not null nulls number object of on or outer override package parallel pragma private protected public retrieve return
  rollback select set short sobject sort static string super switch synchronized system testmethod then this throw time transaction trigger
  true try type undelete update upsert using virtual void webservice when where while`.split(/\s+/),
);

export interface Violation {
  rule: string;
  where: string;
  detail: string;
}

/** Why a name is not a valid Apex identifier, or undefined when it is one. */
export function apexNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) return 'must start with a letter and hold only letters, digits and underscores';
  if (name.includes('__')) return 'has two underscores in a row';
  if (name.endsWith('_')) return 'ends with an underscore';
  if (APEX_RESERVED_WORDS.has(name.toLowerCase())) return 'is an Apex reserved word (External Services renames it)';
  return undefined;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every rule broken by the document; empty when External Services can import it as it is. */
export function externalServicesViolations(spec: Json): Violation[] {
  const found: Violation[] = [];
  const add = (rule: string, where: string, detail: string) => found.push({ rule, where, detail });

  if (!/^3\.0\.\d+$/.test(String(spec.openapi))) add('openapi-version', '#/openapi', `OpenAPI 3.0.x required, got ${String(spec.openapi)}`);
  const size = JSON.stringify(spec).length;
  if (size > MAX_SCHEMA_CHARACTERS) add('schema-size', '#', `${size} characters, over ${MAX_SCHEMA_CHARACTERS}`);

  const media = (where: string, content: unknown) => {
    for (const type of Object.keys((content ?? {}) as Json)) {
      if (!(ALLOWED_MEDIA_TYPES as readonly string[]).includes(type)) add('media-type', where, `${type} is not one of ${ALLOWED_MEDIA_TYPES.join(', ')}`);
    }
  };
  const parameters = (where: string, list: unknown) => {
    for (const [i, p] of ((list ?? []) as Json[]).entries()) {
      if (p.$ref) continue;
      if (typeof p.name !== 'string' || !p.name) add('parameter-name', `${where}/parameters/${i}`, 'every parameter needs a name');
      if (!['path', 'query', 'header', 'cookie'].includes(String(p.in))) add('parameter-location', `${where}/parameters/${i}`, `unknown location ${String(p.in)}`);
      if (p.in === 'header' && (p.schema as Json | undefined)?.type !== 'string') add('header-parameter', `${where}/parameters/${i}`, `header ${String(p.name)} must be declared as a string`);
    }
  };

  const paths = (spec.paths ?? {}) as Record<string, Json>;
  for (const [path, item] of Object.entries(paths)) {
    parameters(`#/paths/${path}`, item.parameters);
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const where = `#/paths/${path}/${method}`;
      if (typeof op.operationId !== 'string') add('operation-id', where, 'every operation needs an operationId');
      else {
        const problem = apexNameProblem(op.operationId);
        if (problem) add('operation-name', where, `operationId ${op.operationId} ${problem}`);
      }
      parameters(where, op.parameters);
      const body = op.requestBody as Json | undefined;
      if (body && method === 'get') add('get-with-body', where, 'a GET cannot have a request body');
      if (body) media(`${where}/requestBody`, body.content);
      for (const [status, response] of Object.entries((op.responses ?? {}) as Record<string, Json>)) media(`${where}/responses/${status}`, response.content);
    }
  }

  walkSchemas(spec, '#', (node, where) => {
    if ('not' in node) add('not', where, '`not` is not supported');
    if (node.type === 'array' && ((node.items ?? {}) as Json).type === 'array') add('array-of-arrays', where, 'nested arrays are unusable in Flow');
    for (const name of Object.keys((node.properties ?? {}) as Json)) {
      const problem = apexNameProblem(name);
      if (problem) add('property-name', `${where}/properties/${name}`, `property ${name} ${problem}`);
    }
  });
  return found;
}

/** Visits every schema object (component schemas and schemas inline in parameters, bodies, responses). */
function walkSchemas(node: unknown, where: string, visit: (schema: Json, where: string) => void, inSchema = false): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) return node.forEach((n, i) => walkSchemas(n, `${where}/${i}`, visit, inSchema));
  const obj = node as Json;
  if (inSchema) visit(obj, where);
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'example' || key === 'examples') continue;
    // Entering a schema: a `schema` field, a component schema, or a schema's nested schemas.
    const child = key === 'schema' || (where === '#/components/schemas') || (inSchema && ['items', 'additionalProperties', 'allOf', 'anyOf', 'oneOf', 'not'].includes(key));
    if (inSchema && key === 'properties') {
      for (const [name, prop] of Object.entries((value ?? {}) as Json)) walkSchemas(prop, `${where}/properties/${name}`, visit, true);
      continue;
    }
    walkSchemas(value, `${where}/${key}`, visit, child || (inSchema && Array.isArray(value) && ['allOf', 'anyOf', 'oneOf'].includes(key)));
  }
}
