// An independent check of the dt.yaml validator's output, shared by the fuzz tests.
import type { Schema } from "../../src/core/config/schema.ts";

/** Whether a parsed value fits the schema: an independent check of the validator's output. */
export function fits(value: unknown, schema: Schema): boolean {
  switch (schema.kind) {
    case "string":
      return typeof value === "string" && (!schema.enum || schema.enum.includes(value)) && (!schema.pattern || schema.pattern.test(value));
    case "boolean":
      return typeof value === "boolean";
    case "number":
      return typeof value === "number" && Number.isFinite(value) && (schema.min === undefined || value >= schema.min);
    case "list":
      return Array.isArray(value) && value.every((v) => fits(v, schema.item));
    case "either":
      return schema.options.some((o) => fits(value, o));
    case "map":
      return (
        typeof value === "object" && value !== null && !Array.isArray(value) &&
        Object.entries(value).every(([k, v]) => (!schema.key || schema.key.pattern.test(k)) && fits(v, schema.value))
      );
    case "object":
      return (
        typeof value === "object" && value !== null && !Array.isArray(value) &&
        Object.entries(value).every(([k, v]) => schema.fields[k] !== undefined && fits(v, schema.fields[k]!))
      );
  }
}
