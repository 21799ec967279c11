// ETags of SCIM resources (RFC 7644 §3.14): a weak validator made of the resource's version.

export const etag = (version: number) => `W/"${version}"`;

/**
 * True when an If-Match / If-None-Match header names this version: "*", or a listed tag equal to
 * ours under the weak comparison of RFC 7232 §2.3.2 (a W/ prefix is ignored on either side).
 */
export function etagMatches(header: string, version: number): boolean {
  const ours = String(version);
  return header.split(',').some((raw) => {
    const tag = raw.trim();
    return tag === '*' || tag.replace(/^W\//, '') === `"${ours}"`;
  });
}
