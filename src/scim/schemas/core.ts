// RFC 7643 §3.1 common attributes and §4 core User and Group schemas, as data.
import { attr, type AttributeDef, type SchemaDef } from './types.ts';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/** The sub-attributes shared by RFC 7643 §2.4 "standard" multi-valued attributes. */
function multiValue(name: string, description: string, types: string[], valueType: 'string' | 'reference' | 'binary' = 'string'): AttributeDef {
  return attr(name, 'complex', {
    multiValued: true,
    description,
    subAttributes: [
      attr('value', valueType, valueType === 'reference' ? { referenceTypes: ['external'] } : valueType === 'binary' ? { caseExact: true } : {}),
      attr('display', 'string'),
      attr('type', 'string', types.length ? { canonicalValues: types } : {}),
      attr('primary', 'boolean'),
    ],
  });
}

/** RFC 7643 §3.1: id, externalId and meta belong to every resource. */
export const commonAttributes: AttributeDef[] = [
  attr('id', 'string', { caseExact: true, mutability: 'readOnly', returned: 'always', uniqueness: 'server', description: 'Unique identifier assigned by the service provider.' }),
  attr('externalId', 'string', { caseExact: true, description: 'Identifier assigned by the provisioning client.' }),
  attr('meta', 'complex', {
    mutability: 'readOnly',
    description: 'Resource metadata.',
    subAttributes: [
      attr('resourceType', 'string', { caseExact: true, mutability: 'readOnly' }),
      attr('created', 'dateTime', { mutability: 'readOnly' }),
      attr('lastModified', 'dateTime', { mutability: 'readOnly' }),
      attr('location', 'reference', { mutability: 'readOnly', referenceTypes: ['uri'] }),
      attr('version', 'string', { caseExact: true, mutability: 'readOnly' }),
    ],
  }),
];

export const userSchema: SchemaDef = {
  id: USER_SCHEMA,
  name: 'User',
  description: 'User Account',
  attributes: [
    attr('userName', 'string', { required: true, uniqueness: 'server', description: 'Unique identifier for the User, typically used to sign in. Unique per tenant, compared case-insensitively.' }),
    attr('name', 'complex', {
      description: "The components of the user's real name.",
      subAttributes: [
        attr('formatted', 'string'),
        attr('familyName', 'string'),
        attr('givenName', 'string'),
        attr('middleName', 'string'),
        attr('honorificPrefix', 'string'),
        attr('honorificSuffix', 'string'),
      ],
    }),
    attr('displayName', 'string'),
    attr('nickName', 'string'),
    attr('profileUrl', 'reference', { referenceTypes: ['external'] }),
    attr('title', 'string'),
    attr('userType', 'string'),
    attr('preferredLanguage', 'string'),
    attr('locale', 'string'),
    attr('timezone', 'string'),
    attr('active', 'boolean', { description: "The User's administrative status." }),
    attr('password', 'string', { mutability: 'writeOnly', returned: 'never', caseExact: true, description: 'Accepted on write, never stored in clear and never returned.' }),
    multiValue('emails', 'Email addresses for the user.', ['work', 'home', 'other']),
    multiValue('phoneNumbers', 'Phone numbers for the user.', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    multiValue('ims', 'Instant messaging addresses for the user.', ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo']),
    multiValue('photos', 'URLs of photos of the user.', ['photo', 'thumbnail'], 'reference'),
    attr('addresses', 'complex', {
      multiValued: true,
      description: 'Physical mailing addresses for this user.',
      subAttributes: [
        attr('formatted', 'string'),
        attr('streetAddress', 'string'),
        attr('locality', 'string'),
        attr('region', 'string'),
        attr('postalCode', 'string'),
        attr('country', 'string'),
        attr('type', 'string', { canonicalValues: ['work', 'home', 'other'] }),
        attr('primary', 'boolean'),
      ],
    }),
    attr('groups', 'complex', {
      multiValued: true,
      mutability: 'readOnly',
      description: 'Groups the user belongs to, maintained through the Group resource.',
      subAttributes: [
        attr('value', 'string', { mutability: 'readOnly' }),
        attr('$ref', 'reference', { mutability: 'readOnly', referenceTypes: ['Group'] }),
        attr('display', 'string', { mutability: 'readOnly' }),
        attr('type', 'string', { mutability: 'readOnly', canonicalValues: ['direct', 'indirect'] }),
      ],
    }),
    multiValue('entitlements', 'Entitlements of the user.', []),
    multiValue('roles', 'Roles of the user.', []),
    multiValue('x509Certificates', 'DER-encoded X.509 certificates, base64.', [], 'binary'),
  ],
};

export const groupSchema: SchemaDef = {
  id: GROUP_SCHEMA,
  name: 'Group',
  description: 'Group',
  attributes: [
    attr('displayName', 'string', { required: true, uniqueness: 'server', description: 'Human-readable name of the group. Unique per tenant, compared case-insensitively.' }),
    attr('members', 'complex', {
      multiValued: true,
      description: 'Members of the group.',
      subAttributes: [
        attr('value', 'string', { mutability: 'immutable' }),
        attr('$ref', 'reference', { mutability: 'immutable', referenceTypes: ['User', 'Group'] }),
        attr('display', 'string', { mutability: 'immutable' }),
        attr('type', 'string', { mutability: 'immutable', canonicalValues: ['User', 'Group'] }),
      ],
    }),
  ],
};
