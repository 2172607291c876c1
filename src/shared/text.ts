/** Free-text inputs (reasons, notes, purposes): trimmed, bounded, BAD_USER_INPUT naming the field. */
import { badInput } from "./errors.js";

/** Reasons and notes on status changes. */
export const MAX_REASON_LENGTH = 500;

const charLength = (s: string) => [...s].length;

/** Trimmed optional text: empty → null; longer than `max` characters → BAD_USER_INPUT. */
export function optionalText(value: string | null | undefined, field: string, max = MAX_REASON_LENGTH): string | null {
  if (value == null) return null;
  if (typeof value !== "string") throw badInput(field, `${field} must be text`);
  const t = value.trim();
  if (t === "") return null;
  if (charLength(t) > max) throw badInput(field, `${field} must be at most ${max} characters`);
  return t;
}

/** Trimmed required text: empty → BAD_USER_INPUT. */
export function requiredText(value: string | null | undefined, field: string, max = MAX_REASON_LENGTH): string {
  const t = optionalText(value, field, max);
  if (t === null) throw badInput(field, `${field} must not be empty`);
  return t;
}
