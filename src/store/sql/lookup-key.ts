// A lookup key (an id from a URL, a tenant slug, a member id from a body) that holds U+0000 or an
// unpaired surrogate cannot name a stored row: Rollcall never writes such a string
// (scim/string-value.ts), ids are UUIDs and slugs are [a-z0-9-]. Asked anyway, PostgreSQL refuses
// the parameter outright ("invalid byte sequence for encoding UTF8: 0x00", a 500 before any
// credential was checked when the key was a tenant slug) while SQLite compares it and finds
// nothing. So such a lookup finds nothing without asking the database, on both drivers alike
// (store-contract "hostile values").
import { stringValueProblem } from '../../scim/string-value.ts';

export const canNameRow = (key: string): boolean => stringValueProblem(key) === undefined;
