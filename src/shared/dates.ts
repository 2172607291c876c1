/**
 * Calendar-date helpers. A "date" is a `YYYY-MM-DD` string naming an Asia/Jakarta calendar day
 * (RULES §1). Everything is plain integer arithmetic on day numbers (days since 1970-01-01 in the
 * proleptic Gregorian calendar), so nothing depends on the process's local time zone.
 *
 * Supported years: 0001–9999 (four digits, as PostgreSQL `date` and ISO strings expect).
 * Every function throws `RangeError` on an invalid date string or a result outside that range.
 */

/** Asia/Jakarta is UTC+7 all year (no daylight saving). */
export const JAKARTA_OFFSET_MS = 7 * 60 * 60 * 1000;
const MS_PER_DAY = 24 * 60 * 60 * 1000;
const MIN_YEAR = 1;
const MAX_YEAR = 9999;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface DateParts {
  year: number;
  /** 1–12 */
  month: number;
  /** 1–31 */
  day: number;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Number of days in `month` (1–12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  if (!Number.isInteger(month) || month < 1 || month > 12) {
    throw new RangeError(`month must be an integer 1–12, got ${month}`);
  }
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function checkParts(year: number, month: number, day: number): void {
  if (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR) {
    throw new RangeError(`year must be an integer ${MIN_YEAR}–${MAX_YEAR}, got ${year}`);
  }
  const max = daysInMonth(year, month);
  if (!Number.isInteger(day) || day < 1 || day > max) {
    throw new RangeError(`day must be an integer 1–${max} for ${year}-${pad(month, 2)}, got ${day}`);
  }
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

function format(year: number, month: number, day: number): string {
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** True when `s` is a strict `YYYY-MM-DD` string naming a real calendar date. */
export function isValidDate(s: unknown): s is string {
  if (typeof s !== "string") return false;
  try {
    parseDate(s);
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates a strict `YYYY-MM-DD` string (no time, no spaces, zero-padded) naming a real calendar
 * date (2026-02-29 is rejected, 2028-02-29 accepted) and returns it unchanged.
 */
export function parseDate(s: string): string {
  if (typeof s !== "string") throw new RangeError("date must be a string in YYYY-MM-DD form");
  const m = DATE_PATTERN.exec(s);
  if (!m) throw new RangeError(`invalid date "${s}": expected YYYY-MM-DD`);
  checkParts(Number(m[1]), Number(m[2]), Number(m[3]));
  return s;
}

/** Splits a valid date string into its numeric parts. */
export function dateParts(date: string): DateParts {
  parseDate(date);
  return { year: Number(date.slice(0, 4)), month: Number(date.slice(5, 7)), day: Number(date.slice(8, 10)) };
}

/** The date string for `year`, `month` (1–12), `day`; throws RangeError if it does not exist. */
export function dateWithDay(year: number, month: number, day: number): string {
  checkParts(year, month, day);
  return format(year, month, day);
}

// Day-number conversion (Howard Hinnant's days_from_civil / civil_from_days), integers only.
function toDayNumber({ year, month, day }: DateParts): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function fromDayNumber(dayNumber: number): string {
  const z = dayNumber + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < MIN_YEAR || year > MAX_YEAR) {
    throw new RangeError(`date out of supported range (years ${MIN_YEAR}–${MAX_YEAR})`);
  }
  return format(year, month, day);
}

/** Days since 1970-01-01 of a valid date string. */
export function toEpochDay(date: string): number {
  return toDayNumber(dateParts(date));
}

/** The date string of a day number (days since 1970-01-01). */
export function fromEpochDay(dayNumber: number): string {
  if (!Number.isSafeInteger(dayNumber)) throw new RangeError(`day number must be an integer, got ${dayNumber}`);
  return fromDayNumber(dayNumber);
}

/** The Asia/Jakarta (UTC+7) calendar date of an instant. */
export function jakartaDate(d: Date): string {
  const ms = d instanceof Date ? d.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new RangeError("invalid Date");
  return fromDayNumber(Math.floor((ms + JAKARTA_OFFSET_MS) / MS_PER_DAY));
}

/** The instant at which `date` begins in Asia/Jakarta (00:00 UTC+7 = 17:00 UTC the day before). */
export function startOfJakartaDay(date: string): Date {
  return new Date(toEpochDay(date) * MS_PER_DAY - JAKARTA_OFFSET_MS);
}

/** `date` plus `n` calendar days (`n` may be negative). */
export function addDays(date: string, n: number): string {
  if (!Number.isSafeInteger(n)) throw new RangeError(`days must be an integer, got ${n}`);
  return fromDayNumber(toEpochDay(date) + n);
}

/** `to - from` in days: positive when `to` is later, negative when earlier. */
export function daysBetween(from: string, to: string): number {
  return toEpochDay(to) - toEpochDay(from);
}

/**
 * `date` plus `n` calendar months (`n` may be negative). The day of month is kept when the target
 * month has it and otherwise clamped to that month's last day (2026-01-31 + 1 month = 2026-02-28).
 */
export function addMonths(date: string, n: number): string {
  if (!Number.isSafeInteger(n)) throw new RangeError(`months must be an integer, got ${n}`);
  const { year, month, day } = dateParts(date);
  const index = year * 12 + (month - 1) + n;
  const targetYear = Math.floor(index / 12);
  const targetMonth = index - targetYear * 12 + 1;
  if (targetYear < MIN_YEAR || targetYear > MAX_YEAR) {
    throw new RangeError(`date out of supported range (years ${MIN_YEAR}–${MAX_YEAR})`);
  }
  return format(targetYear, targetMonth, Math.min(day, daysInMonth(targetYear, targetMonth)));
}

/**
 * Age in full years on `on` of someone born on `dateOfBirth`: the age goes up on the birthday.
 * Someone born on 29 February turns a year older on 1 March in common years (28 February is
 * still before the birthday). Negative when `on` precedes the date of birth.
 */
export function ageOn(dateOfBirth: string, on: string): number {
  const b = dateParts(dateOfBirth);
  const o = dateParts(on);
  const beforeBirthday = o.month < b.month || (o.month === b.month && o.day < b.day);
  return o.year - b.year - (beforeBirthday ? 1 : 0);
}
