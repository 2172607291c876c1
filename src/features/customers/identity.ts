/**
 * Customer identity rules (RULES §3): NIK, phone, e-mail, PIN and date of birth.
 * Every failure is an `IdentityError` naming the input field.
 */
import { ageOn, dateParts, daysBetween, parseDate } from "../../shared/dates.js";

export { ageOn };

export type IdentityField = "nik" | "phone" | "email" | "pin" | "dateOfBirth";

export class IdentityError extends Error {
  readonly field: IdentityField;
  constructor(field: IdentityField, message: string) {
    super(message);
    this.name = "IdentityError";
    this.field = field;
  }
}

export const MIN_PROVINCE_CODE = 11;
export const MAX_PROVINCE_CODE = 94;
/** Women's NIKs carry the day of birth plus 40. */
export const FEMALE_DAY_OFFSET = 40;
/** Minimum age at registration. */
export const MIN_REGISTRATION_AGE = 17;

/**
 * Validates a date of birth for registration: a real `YYYY-MM-DD` date, not after `today`, and
 * the person at least 17 on `today`. Returns it unchanged.
 */
export function validateDateOfBirth(dateOfBirth: string, today: string): string {
  try {
    parseDate(dateOfBirth);
  } catch {
    throw new IdentityError("dateOfBirth", "dateOfBirth must be a real date in YYYY-MM-DD form");
  }
  if (daysBetween(today, dateOfBirth) > 0) throw new IdentityError("dateOfBirth", "dateOfBirth must not be in the future");
  if (ageOn(dateOfBirth, today) < MIN_REGISTRATION_AGE) {
    throw new IdentityError("dateOfBirth", `customer must be at least ${MIN_REGISTRATION_AGE} years old`);
  }
  return dateOfBirth;
}

/**
 * Validates a NIK (Nomor Induk Kependudukan) against the date of birth: exactly 16 ASCII digits;
 * digits 1–2 a province code 11–94; digits 7–8 the day of birth (01–31, or 41–71 for women);
 * digits 9–10 the month; digits 11–12 the last two digits of the year. The day, month and year
 * must be those of `dateOfBirth`. Digits 3–6 (regency, district) and 13–16 (serial) are not
 * checked: the rules give no constraint on them.
 */
export function validateNik(nik: string, dateOfBirth: string): void {
  if (typeof nik !== "string" || !/^[0-9]{16}$/.test(nik)) throw new IdentityError("nik", "nik must be exactly 16 digits");
  let dob;
  try {
    dob = dateParts(dateOfBirth);
  } catch {
    throw new IdentityError("dateOfBirth", "dateOfBirth must be a real date in YYYY-MM-DD form");
  }
  const province = Number(nik.slice(0, 2));
  if (province < MIN_PROVINCE_CODE || province > MAX_PROVINCE_CODE) {
    throw new IdentityError("nik", `nik province code (digits 1–2) must be ${MIN_PROVINCE_CODE}–${MAX_PROVINCE_CODE}, got ${nik.slice(0, 2)}`);
  }
  const dayCode = Number(nik.slice(6, 8));
  const day = dayCode > FEMALE_DAY_OFFSET ? dayCode - FEMALE_DAY_OFFSET : dayCode;
  if (day < 1 || day > 31) {
    throw new IdentityError("nik", `nik day of birth (digits 7–8) must be 01–31, or 41–71 for women; got ${nik.slice(6, 8)}`);
  }
  const month = Number(nik.slice(8, 10));
  if (month < 1 || month > 12) throw new IdentityError("nik", `nik month of birth (digits 9–10) must be 01–12, got ${nik.slice(8, 10)}`);
  if (day !== dob.day || month !== dob.month || Number(nik.slice(10, 12)) !== dob.year % 100) {
    throw new IdentityError("nik", "nik date of birth (digits 7–12) does not match dateOfBirth");
  }
}

/**
 * Normalizes an Indonesian mobile number to `+628…`. Accepted forms: `08…`, `628…`, `+628…`;
 * spaces and hyphens between digits are ignored (surrounding whitespace too); nothing else is
 * allowed. After the prefix (`0`, `62` or `+62`) the number must be `8` followed by 8–11 digits,
 * so the result is `+628` plus 8–11 digits (e.g. `0812-3456-789` → `+628123456789`).
 */
export function normalizePhone(input: string): string {
  if (typeof input !== "string") throw new IdentityError("phone", "phone must be a string");
  const compact = input.trim().replace(/[ -]/g, "");
  const m = /^(?:\+62|62|0)(8[0-9]{8,11})$/.exec(compact);
  if (!m) {
    throw new IdentityError("phone", "phone must be an Indonesian mobile number: 08…, 628… or +628… followed by 8–11 digits");
  }
  return `+62${m[1]}`;
}

const EMAIL_LOCAL = /^[a-z0-9!#$%&'*+\/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+\/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * Trims and lower-cases an e-mail address and checks it: one `@`; a local part of at most 64
 * characters of letters, digits and ``!#$%&'*+/=?^_`{|}~-`` in dot-separated runs (no leading,
 * trailing or double dot); a domain of at least two labels (letters, digits, inner hyphens, at
 * most 63 each), the last one at least 2 letters; at most 254 characters in all. Quoted local
 * parts, IP-literal domains and non-ASCII addresses are not accepted.
 */
export function normalizeEmail(input: string): string {
  if (typeof input !== "string") throw new IdentityError("email", "email must be a string");
  const email = input.trim().toLowerCase();
  const invalid = () => new IdentityError("email", "email must be a valid address like name@example.com");
  if (email.length === 0 || email.length > 254) throw invalid();
  const at = email.indexOf("@");
  if (at < 0 || at !== email.lastIndexOf("@")) throw invalid();
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length > 64 || !EMAIL_LOCAL.test(local)) throw invalid();
  const labels = domain.split(".");
  if (labels.length < 2 || !labels.every((l) => l.length <= 63 && DOMAIN_LABEL.test(l))) throw invalid();
  if (!/^[a-z]{2,}$/.test(labels[labels.length - 1]!)) throw invalid();
  return email;
}

/** A PIN is exactly 6 ASCII digits (nothing trimmed). */
export function validatePin(pin: string): void {
  if (typeof pin !== "string" || !/^[0-9]{6}$/.test(pin)) throw new IdentityError("pin", "pin must be exactly 6 digits");
}
