import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addDays,
  addMonths,
  ageOn,
  dateParts,
  dateWithDay,
  daysBetween,
  daysInMonth,
  fromEpochDay,
  isLeapYear,
  isValidDate,
  jakartaDate,
  parseDate,
  startOfJakartaDay,
  toEpochDay,
} from "./dates.js";

/** Dates between 1900 and 2200, as strings. */
const dateArb = fc.integer({ min: toEpochDayOf("1900-01-01"), max: toEpochDayOf("2200-12-31") }).map(fromEpochDay);
function toEpochDayOf(s: string): number {
  return toEpochDay(s);
}

describe("parseDate", () => {
  it.each(["2026-01-10", "2000-02-29", "2028-02-29", "1999-12-31", "0001-01-01", "9999-12-31", "2026-04-30"])(
    "accepts %s",
    (s) => {
      expect(parseDate(s)).toBe(s);
      expect(isValidDate(s)).toBe(true);
    },
  );

  it.each([
    "2026-02-29", // not a leap year
    "1900-02-29", // century, not a leap year
    "2026-13-01",
    "2026-00-10",
    "2026-01-00",
    "2026-01-32",
    "2026-04-31",
    "2026-1-01",
    "2026-01-1",
    "26-01-01",
    "20260110",
    " 2026-01-10",
    "2026-01-10 ",
    "2026-01-10T00:00:00Z",
    "2026/01/10",
    "0000-01-01",
    "+02026-01-10",
    "２０２６-01-10",
    "",
  ])("rejects %j with RangeError", (s) => {
    expect(() => parseDate(s)).toThrow(RangeError);
    expect(isValidDate(s)).toBe(false);
  });

  it("rejects non-strings", () => {
    expect(() => parseDate(20260110 as unknown as string)).toThrow(RangeError);
    expect(isValidDate(null)).toBe(false);
  });
});

describe("calendar helpers", () => {
  it("knows leap years and month lengths", () => {
    expect([1900, 2000, 2024, 2026, 2100].map(isLeapYear)).toEqual([false, true, true, false, false]);
    expect(daysInMonth(2026, 2)).toBe(28);
    expect(daysInMonth(2028, 2)).toBe(29);
    expect(daysInMonth(2026, 4)).toBe(30);
    expect(daysInMonth(2026, 12)).toBe(31);
    expect(() => daysInMonth(2026, 13)).toThrow(RangeError);
  });

  it("dateWithDay builds valid dates and rejects impossible ones", () => {
    expect(dateWithDay(2026, 1, 5)).toBe("2026-01-05");
    expect(dateWithDay(5, 12, 31)).toBe("0005-12-31");
    expect(dateWithDay(2028, 2, 29)).toBe("2028-02-29");
    expect(() => dateWithDay(2026, 2, 29)).toThrow(RangeError);
    expect(() => dateWithDay(2026, 0, 1)).toThrow(RangeError);
    expect(() => dateWithDay(2026, 13, 1)).toThrow(RangeError);
    expect(() => dateWithDay(2026, 1, 0)).toThrow(RangeError);
    expect(() => dateWithDay(2026, 1, 1.5)).toThrow(RangeError);
    expect(() => dateWithDay(10000, 1, 1)).toThrow(RangeError);
  });

  it("dateParts splits a date", () => {
    expect(dateParts("2026-03-09")).toEqual({ year: 2026, month: 3, day: 9 });
    expect(() => dateParts("2026-02-30")).toThrow(RangeError);
  });

  it("epoch days match the Unix epoch", () => {
    expect(toEpochDay("1970-01-01")).toBe(0);
    expect(toEpochDay("1969-12-31")).toBe(-1);
    expect(fromEpochDay(0)).toBe("1970-01-01");
    expect(fromEpochDay(20_463)).toBe("2026-01-10");
    expect(() => fromEpochDay(1.5)).toThrow(RangeError);
  });
});

describe("addDays / daysBetween", () => {
  it.each([
    ["2026-01-10", 0, "2026-01-10"],
    ["2026-01-31", 1, "2026-02-01"],
    ["2026-02-28", 1, "2026-03-01"],
    ["2028-02-28", 1, "2028-02-29"],
    ["2026-12-31", 1, "2027-01-01"],
    ["2026-01-01", -1, "2025-12-31"],
    ["2026-03-01", -1, "2026-02-28"],
    ["2026-01-10", 90, "2026-04-10"],
    ["2026-01-10", 365, "2027-01-10"],
  ] as const)("addDays(%s, %d) = %s", (date, n, expected) => {
    expect(addDays(date, n)).toBe(expected);
    expect(daysBetween(date, expected)).toBe(n);
    expect(daysBetween(expected, date)).toBe(0 - n);
  });

  it("counts across leap days and centuries", () => {
    expect(daysBetween("2028-01-01", "2029-01-01")).toBe(366);
    expect(daysBetween("2100-01-01", "2101-01-01")).toBe(365);
    expect(daysBetween("2000-01-01", "2001-01-01")).toBe(366);
    expect(daysBetween("2026-01-10", "2026-02-10")).toBe(31);
  });

  it("rejects bad input", () => {
    expect(() => addDays("2026-01-10", 0.5)).toThrow(RangeError);
    expect(() => addDays("2026-02-30", 1)).toThrow(RangeError);
    expect(() => daysBetween("2026-01-10", "nope")).toThrow(RangeError);
    expect(() => addDays("9999-12-31", 1)).toThrow(RangeError);
    expect(() => addDays("0001-01-01", -1)).toThrow(RangeError);
  });

  it("property: agrees with Date.UTC and round-trips", () => {
    fc.assert(
      fc.property(dateArb, fc.integer({ min: -20_000, max: 20_000 }), (date, n) => {
        const shifted = addDays(date, n);
        expect(daysBetween(date, shifted)).toBe(n);
        expect(addDays(shifted, -n)).toBe(date);
        const { year, month, day } = dateParts(date);
        expect(toEpochDay(date)).toBe(Date.UTC(year, month - 1, day) / 86_400_000);
        expect(new Date(Date.UTC(year, month - 1, day + n)).toISOString().slice(0, 10)).toBe(shifted);
      }),
    );
  });
});

describe("addMonths", () => {
  it.each([
    ["2026-01-10", 1, "2026-02-10"],
    ["2026-01-10", 12, "2027-01-10"],
    ["2026-01-31", 1, "2026-02-28"],
    ["2028-01-31", 1, "2028-02-29"],
    ["2026-03-31", 1, "2026-04-30"],
    ["2026-11-15", 2, "2027-01-15"],
    ["2026-01-15", -1, "2025-12-15"],
    ["2026-03-31", -1, "2026-02-28"],
    ["2026-05-20", 0, "2026-05-20"],
    ["2026-05-20", -29, "2023-12-20"],
  ] as const)("addMonths(%s, %d) = %s", (date, n, expected) => {
    expect(addMonths(date, n)).toBe(expected);
  });

  it("rejects bad input", () => {
    expect(() => addMonths("2026-01-10", 1.5)).toThrow(RangeError);
    expect(() => addMonths("9999-12-01", 1)).toThrow(RangeError);
  });

  it("property: keeps days up to 28 and moves by whole months", () => {
    fc.assert(
      fc.property(dateArb, fc.integer({ min: -1200, max: 1200 }), (date, n) => {
        const r = dateParts(addMonths(date, n));
        const d = dateParts(date);
        expect(r.year * 12 + r.month - (d.year * 12 + d.month)).toBe(n);
        expect(r.day).toBe(Math.min(d.day, daysInMonth(r.year, r.month)));
      }),
    );
  });
});

describe("jakartaDate / startOfJakartaDay", () => {
  it("uses UTC+7", () => {
    expect(jakartaDate(new Date("2026-01-09T16:59:59.999Z"))).toBe("2026-01-09");
    expect(jakartaDate(new Date("2026-01-09T17:00:00.000Z"))).toBe("2026-01-10");
    expect(jakartaDate(new Date("2026-01-10T16:59:59.999Z"))).toBe("2026-01-10");
    expect(jakartaDate(new Date("2025-12-31T17:00:00Z"))).toBe("2026-01-01");
    expect(jakartaDate(new Date("1969-12-31T17:00:00Z"))).toBe("1970-01-01");
    expect(jakartaDate(new Date("1969-12-31T16:59:59Z"))).toBe("1969-12-31");
  });

  it("rejects an invalid Date", () => {
    expect(() => jakartaDate(new Date("nope"))).toThrow(RangeError);
  });

  it("startOfJakartaDay is 17:00 UTC the day before", () => {
    expect(startOfJakartaDay("2026-01-10").toISOString()).toBe("2026-01-09T17:00:00.000Z");
    expect(startOfJakartaDay("2026-01-01").toISOString()).toBe("2025-12-31T17:00:00.000Z");
    expect(() => startOfJakartaDay("2026-02-29")).toThrow(RangeError);
  });

  it("property: a day starts at startOfJakartaDay and the previous millisecond is the day before", () => {
    fc.assert(
      fc.property(dateArb, (date) => {
        const start = startOfJakartaDay(date);
        expect(jakartaDate(start)).toBe(date);
        expect(jakartaDate(new Date(start.getTime() - 1))).toBe(addDays(date, -1));
        expect(jakartaDate(new Date(start.getTime() + 86_400_000 - 1))).toBe(date);
      }),
    );
  });
});

describe("ageOn", () => {
  it.each([
    ["2000-05-10", "2021-05-09", 20],
    ["2000-05-10", "2021-05-10", 21],
    ["2000-05-10", "2021-05-11", 21],
    ["2000-05-10", "2000-05-10", 0],
    ["2000-05-10", "2001-05-09", 0],
    ["2000-05-10", "2000-05-09", -1],
    ["1965-12-31", "2026-12-30", 60],
    ["1965-12-31", "2026-12-31", 61],
    // Born on 29 February: a year older on 1 March in common years.
    ["2004-02-29", "2021-02-28", 16],
    ["2004-02-29", "2021-03-01", 17],
    ["2004-02-29", "2024-02-29", 20],
  ] as const)("born %s, on %s → %d", (dob, on, age) => {
    expect(ageOn(dob, on)).toBe(age);
  });

  it("rejects invalid dates", () => {
    expect(() => ageOn("2000-02-30", "2026-01-01")).toThrow(RangeError);
  });
});
