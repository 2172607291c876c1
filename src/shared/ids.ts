const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID_RE.test(value);
}

/** Keep only well-formed ids (lower-cased): anything else cannot exist. */
export function validIds(ids: readonly string[]): string[] {
  return ids.filter(isUuid).map((s) => s.toLowerCase());
}

/** A Postgres array literal of uuids, passed as ONE parameter (`= any($1::uuid[])`). */
export function uuidArrayParam(ids: readonly string[]): string {
  return `{${validIds(ids).join(",")}}`;
}
