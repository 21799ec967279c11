// RFC 7643 §7: an attribute definition, exactly as /Schemas publishes it. Schemas are data:
// every rule the core applies (coercion, mutability, returned, caseExact) is read from here, so a
// tenant's custom extension needs a new SchemaDef, not new code.

export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex' | 'binary';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

export interface AttributeDef {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: Returned;
  uniqueness: Uniqueness;
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttributeDef[];
}

export interface SchemaDef {
  id: string;
  name: string;
  description: string;
  attributes: AttributeDef[];
}

export interface ResourceTypeDef {
  id: string;
  name: string;
  endpoint: string;
  description: string;
  schema: string;
  schemaExtensions: { schema: string; required: boolean }[];
}

type AttrOptions = Partial<Omit<AttributeDef, 'name' | 'type'>>;

/** Builds an attribute definition with RFC 7643 §2.2 defaults filled in. */
export function attr(name: string, type: AttributeType, options: AttrOptions = {}): AttributeDef {
  return {
    name,
    type,
    multiValued: false,
    description: '',
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...options,
  };
}

/** Case-insensitive lookup: RFC 7643 §2.1 says attribute names are case insensitive. */
export function findAttribute(attributes: readonly AttributeDef[] | undefined, name: string): AttributeDef | undefined {
  if (!attributes) return undefined;
  const lower = name.toLowerCase();
  return attributes.find((a) => a.name.toLowerCase() === lower);
}
