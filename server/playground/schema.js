// JSON Schemas (draft 2020-12, as swill.introspect gives them) made
// readable: an example value to start from, and the fields of a struct.

/** The schema a `$ref` points at, within its root. */
export function resolve(schema, root) {
  const ref = schema && typeof schema === "object" ? schema.$ref : undefined;
  if (typeof ref !== "string") return schema;
  if (ref === "#") return root;
  const name = ref.replace(/^#\/(\$defs|definitions)\//, "");
  return root?.$defs?.[name] ?? root?.definitions?.[name] ?? true;
}

/** An example value that fits `schema`. */
export function example(schema, root = schema, depth = 0) {
  schema = resolve(schema, root);
  if (!schema || typeof schema !== "object" || depth > 8) return null;
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  if ("default" in schema) return schema.default;
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  const variants = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(variants) && variants.length) {
    const variant = variants.find((v) => resolve(v, root)?.type !== "null") ?? variants[0];
    return example(variant, root, depth + 1);
  }
  if (Array.isArray(schema.allOf)) {
    return Object.assign({}, ...schema.allOf.map((part) => example(part, root, depth + 1)));
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const type = types.find((t) => t && t !== "null") ?? types[0] ?? (schema.properties ? "object" : undefined);
  switch (type) {
    case "integer":
    case "number":
      return clamp(1, schema);
    case "string":
      return stringExample(schema);
    case "boolean":
      return true;
    case "null":
      return null;
    case "array":
      if (Array.isArray(schema.prefixItems)) {
        return schema.prefixItems.map((item) => example(item, root, depth + 1));
      }
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () =>
        example(schema.items ?? true, root, depth + 1),
      );
    case "object": {
      const value = {};
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        value[name] = example(property, root, depth + 1);
      }
      return value;
    }
    default:
      return null;
  }
}

function clamp(value, schema) {
  if (typeof schema.minimum === "number") value = Math.max(value, schema.minimum);
  if (typeof schema.exclusiveMinimum === "number") value = Math.max(value, schema.exclusiveMinimum + 1);
  if (typeof schema.maximum === "number") value = Math.min(value, schema.maximum);
  return value;
}

function stringExample(schema) {
  switch (schema.format) {
    case "date-time":
      return new Date(0).toISOString();
    case "date":
      return "1970-01-01";
    case "email":
      return "ada@example.com";
    case "uuid":
      return "00000000-0000-0000-0000-000000000000";
    case "uri":
      return "https://example.com/";
    default:
      return "text";
  }
}

/**
 * The fields of an object schema: name, JSON type, required, description.
 * Empty for anything that is not an object with properties.
 */
export function fields(schema, root = schema) {
  schema = resolve(schema, root);
  if (!schema || typeof schema !== "object" || !schema.properties) return [];
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, property]) => {
    const resolved = resolve(property, root);
    return {
      name,
      type: typeName(property, root),
      required: required.has(name),
      description: resolved?.description ?? property?.description ?? "",
    };
  });
}

/** A short name for a schema's type: `integer`, `string[]`, `User`, `integer | null`. */
export function typeName(schema, root) {
  if (schema === true || schema == null) return "any";
  if (typeof schema.$ref === "string") return schema.$ref === "#" ? root?.title ?? "self" : schema.$ref.split("/").pop();
  const variants = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(variants)) return variants.map((v) => typeName(v, root)).join(" | ");
  if ("const" in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? "any"];
  return types
    .map((t) => {
      if (t !== "array") return t;
      if (Array.isArray(schema.prefixItems)) return `[${schema.prefixItems.map((i) => typeName(i, root)).join(", ")}]`;
      return `${typeName(schema.items ?? true, root)}[]`;
    })
    .join(" | ");
}
