import type { JsonObject } from '../model/json.js';
import { typeSchema } from '../types/json-schema.js';
import type { TypeRegistry } from '../types/type-registry.js';

/** An OpenAPI component name for a type (`Payments/Card Payment` → `Payments.Card_Payment`). */
export function componentName(qualifiedName: string): string {
  return qualifiedName.replace(/\//g, '.').replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * Every type of the library as an OpenAPI component schema, derived from the same YAML type
 * documents as validation (one source of truth), referring to each other by component.
 */
export function typeComponents(registry: TypeRegistry): Record<string, JsonObject> {
  const components: Record<string, JsonObject> = {};
  const ref = (id: string): string => `#/components/schemas/${componentName(registry.nameOf(id))}`;
  for (const definition of registry.list())
    components[componentName(definition.qualifiedName)] = typeSchema(
      registry,
      registry.resolve(definition.id),
      ref,
    );
  return components;
}
