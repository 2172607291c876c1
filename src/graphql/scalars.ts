/** The contract's scalars: Money (decimal string of whole rupiah), DateTime, Date. */
import { GraphQLScalarType, Kind } from "graphql";
import { isValidDate } from "../shared/dates.js";
import { MoneyParseError, parseMoney } from "../shared/money.js";
import { InputValueError } from "../shared/errors.js";

export function parseMoneyValue(value: unknown): bigint {
  try {
    return parseMoney(value);
  } catch (err) {
    if (err instanceof MoneyParseError) throw new InputValueError(err.message);
    throw err;
  }
}

export const MoneyScalar = new GraphQLScalarType<bigint, string>({
  name: "Money",
  description: 'Whole Indonesian rupiah as a decimal string, e.g. "1500000". Inputs accept a string or an Int. Never a float.',
  serialize(value) {
    if (typeof value === "bigint") return value.toString();
    if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
    if (typeof value === "string" && /^-?\d+$/.test(value)) return value;
    throw new TypeError("Money cannot represent a non-integer value");
  },
  parseValue: parseMoneyValue,
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING) return parseMoneyValue(ast.value);
    if (ast.kind === Kind.INT) {
      return parseMoneyValue(/^\d+$/.test(ast.value) ? ast.value : -1);
    }
    throw new InputValueError("Money must be a string of digits or an Int");
  },
});

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export function parseDateValue(value: unknown): string {
  if (typeof value === "string" && isValidDate(value)) return value;
  throw new InputValueError('Date must be a real calendar date "YYYY-MM-DD"');
}

export const DateScalar = new GraphQLScalarType<string, string>({
  name: "Date",
  description: 'Calendar date, "YYYY-MM-DD".',
  serialize(value) {
    if (typeof value === "string" && DATE_RE.test(value)) return value;
    if (value instanceof Date) return value.toISOString().slice(0, 10);
    throw new TypeError("Date cannot represent this value");
  },
  parseValue: parseDateValue,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new InputValueError('Date must be a string "YYYY-MM-DD"');
    return parseDateValue(ast.value);
  },
});

const DATETIME_RE = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/;

export function parseDateTimeValue(value: unknown): Date {
  const m = typeof value === "string" ? DATETIME_RE.exec(value) : null;
  // The date must be a real calendar day and the time a real time of day: `Date` itself would
  // roll 2026-02-30 over to March 2 and 24:00 over to the next day.
  if (m && isValidDate(m[1]) && Number(m[2]) < 24 && Number(m[3]) < 60 && Number(m[4] ?? 0) < 60) {
    const offsetOk = m[6] === "Z" || (Number(m[7]) <= 14 && Number(m[8]) < 60);
    const d = new Date(value as string);
    if (offsetOk && !Number.isNaN(d.getTime())) return d;
  }
  throw new InputValueError('DateTime must be an ISO-8601 date-time with a zone, e.g. "2026-11-27T08:00:00.000Z"');
}

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: "DateTime",
  description: 'ISO-8601 date-time in UTC, e.g. "2026-11-27T08:00:00.000Z".',
  serialize(value) {
    if (value instanceof Date) return value.toISOString();
    if (typeof value === "string" || typeof value === "number") {
      const d = new Date(value);
      if (!Number.isNaN(d.getTime())) return d.toISOString();
    }
    throw new TypeError("DateTime cannot represent this value");
  },
  parseValue: parseDateTimeValue,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new InputValueError("DateTime must be a string");
    return parseDateTimeValue(ast.value);
  },
});
