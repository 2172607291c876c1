import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as dates from "../../shared/dates.js";
import {
  IdentityError,
  ageOn,
  normalizeEmail,
  normalizePhone,
  validateDateOfBirth,
  validateNik,
  validatePin,
  type IdentityField,
} from "./identity.js";

function expectIdentityError(fn: () => unknown, field: IdentityField, message?: RegExp) {
  try {
    fn();
    expect.unreachable(`expected an IdentityError on ${field}`);
  } catch (e) {
    expect(e).toBeInstanceOf(IdentityError);
    expect((e as IdentityError).field).toBe(field);
    if (message) expect((e as Error).message).toMatch(message);
  }
}

/** province + regency + district, day code, month, two-digit year, serial */
const nik = (dd: string, mm: string, yy: string, province = "31", serial = "0001") => `${province}7101${dd}${mm}${yy}${serial}`;

describe("validateNik", () => {
  it("accepts a man's NIK matching the date of birth", () => {
    expect(() => validateNik(nik("15", "05", "90"), "1990-05-15")).not.toThrow();
    expect(() => validateNik("3171010101900001", "1990-01-01")).not.toThrow();
    expect(() => validateNik(nik("01", "01", "00"), "2000-01-01")).not.toThrow();
    expect(() => validateNik(nik("31", "12", "05"), "2005-12-31")).not.toThrow();
  });

  it("accepts a woman's NIK: day of birth plus 40", () => {
    expect(() => validateNik(nik("55", "05", "90"), "1990-05-15")).not.toThrow();
    expect(() => validateNik(nik("41", "02", "88"), "1988-02-01")).not.toThrow();
    expect(() => validateNik(nik("71", "01", "90"), "1990-01-31")).not.toThrow(); // 31 + 40
    expect(() => validateNik(nik("70", "04", "90"), "1990-04-30")).not.toThrow();
  });

  it.each([
    ["10", false],
    ["11", true],
    ["31", true],
    ["94", true],
    ["95", false],
    ["00", false],
    ["99", false],
  ] as const)("province code %s valid: %s", (province, ok) => {
    const fn = () => validateNik(nik("15", "05", "90", province), "1990-05-15");
    if (ok) expect(fn).not.toThrow();
    else expectIdentityError(fn, "nik", /province/);
  });

  it.each(["00", "32", "39", "40", "72", "80", "99"])("day code %s is invalid", (dd) => {
    expectIdentityError(() => validateNik(nik(dd, "05", "90"), "1990-05-15"), "nik", /day of birth/);
  });

  it("day 71 (a woman born on the 31st) is invalid when the date of birth is not the 31st", () => {
    expectIdentityError(() => validateNik(nik("71", "04", "90"), "1990-04-30"), "nik", /does not match/);
  });

  it.each(["00", "13", "99"])("month %s is invalid", (mm) => {
    expectIdentityError(() => validateNik(nik("15", mm, "90"), "1990-05-15"), "nik", /month/);
  });

  it.each([
    ["day", nik("16", "05", "90")],
    ["woman's day", nik("56", "05", "90")],
    ["month", nik("15", "06", "90")],
    ["year", nik("15", "05", "91")],
    ["century-insensitive year only", nik("15", "05", "89")],
  ])("rejects a %s that disagrees with dateOfBirth", (_, value) => {
    expectIdentityError(() => validateNik(value, "1990-05-15"), "nik", /does not match/);
  });

  it("compares the last two digits of the year", () => {
    expect(() => validateNik(nik("15", "05", "05"), "2005-05-15")).not.toThrow();
    expectIdentityError(() => validateNik(nik("15", "05", "05"), "1995-05-15"), "nik");
  });

  it.each(["", "317101150590000", "31710115059000011", "31710115059000a1", " 3171011505900001", "3171-0115-0590-0001", "３１71011505900001"])(
    "rejects malformed %j",
    (value) => {
      expectIdentityError(() => validateNik(value, "1990-05-15"), "nik", /16 digits/);
    },
  );

  it("rejects a non-string", () => {
    expectIdentityError(() => validateNik(3171011505900001 as unknown as string, "1990-05-15"), "nik");
  });

  it("reports an invalid date of birth on dateOfBirth", () => {
    expectIdentityError(() => validateNik(nik("15", "05", "90"), "1990-02-30"), "dateOfBirth");
    expectIdentityError(() => validateNik(nik("15", "05", "90"), "15-05-1990"), "dateOfBirth");
  });
});

describe("validateDateOfBirth", () => {
  it("requires age ≥ 17 on the given day", () => {
    expect(validateDateOfBirth("2009-01-10", "2026-01-10")).toBe("2009-01-10");
    expectIdentityError(() => validateDateOfBirth("2009-01-11", "2026-01-10"), "dateOfBirth", /17/);
  });
  it("rejects a future or invalid date", () => {
    expectIdentityError(() => validateDateOfBirth("2026-01-11", "2026-01-10"), "dateOfBirth", /future/);
    expectIdentityError(() => validateDateOfBirth("2000-02-30", "2026-01-10"), "dateOfBirth");
    expectIdentityError(() => validateDateOfBirth("", "2026-01-10"), "dateOfBirth");
  });
  it("re-exports ageOn from the date helpers", () => {
    expect(ageOn).toBe(dates.ageOn);
  });
});

describe("normalizePhone", () => {
  it.each([
    ["081234567890", "+6281234567890"],
    ["6281234567890", "+6281234567890"],
    ["+6281234567890", "+6281234567890"],
    ["0812345678", "+62812345678"], // 8 + 8 digits (shortest)
    ["0812345678901", "+62812345678901"], // 8 + 11 digits (longest)
    ["62812345678", "+62812345678"],
    ["+62812345678901", "+62812345678901"],
    ["  081234567890\t", "+6281234567890"],
    ["0812-3456-7890", "+6281234567890"],
    ["+62 812 3456 7890", "+6281234567890"],
  ])("%j → %s", (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });

  it.each([
    "",
    "081234567", // 8 + 7 digits
    "08123456789012", // 8 + 12 digits
    "+6281234567", // 8 + 7 digits
    "+628123456789012", // 8 + 12 digits
  ])("rejects the wrong length %j", (input) => {
    expectIdentityError(() => normalizePhone(input), "phone");
  });

  it.each([
    "071234567890", // not a mobile number
    "+6271234567890",
    "6271234567890",
    "81234567890", // no prefix
    "62081234567890", // 62 then 0
    "+0812345678901",
    "+62+81234567890",
    "0812.3456.7890",
    "(0812)34567890",
    "0812_3456_7890",
    "０８１２３４５６７８９０",
    "+1 812 3456 7890",
  ])("rejects %j", (input) => {
    expectIdentityError(() => normalizePhone(input), "phone", /08/);
  });

  it("rejects a non-string", () => {
    expectIdentityError(() => normalizePhone(81234567890 as unknown as string), "phone");
  });

  it("property: the three accepted forms of one number normalize alike, to +628 + 8–11 digits", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{8,11}$/), (rest) => {
        const expected = `+628${rest}`;
        expect(normalizePhone(`08${rest}`)).toBe(expected);
        expect(normalizePhone(`628${rest}`)).toBe(expected);
        expect(normalizePhone(`+628${rest}`)).toBe(expected);
        expect(normalizePhone(expected)).toBe(expected); // idempotent
      }),
    );
  });
});

describe("normalizeEmail", () => {
  it.each([
    ["budi@example.com", "budi@example.com"],
    ["  Budi.Santoso@Example.CO.ID ", "budi.santoso@example.co.id"],
    ["a.b+tag@sub.example.com", "a.b+tag@sub.example.com"],
    ["x@y.io", "x@y.io"],
    ["budi@example.com\n", "budi@example.com"],
    ["o'neil_99@mail-server.example.org", "o'neil_99@mail-server.example.org"],
  ])("%j → %s", (input, expected) => {
    expect(normalizeEmail(input)).toBe(expected);
  });

  it.each([
    "",
    "   ",
    "plainaddress",
    "@example.com",
    "budi@",
    "budi@localhost",
    "budi@@example.com",
    "budi@ex@ample.com",
    "bu di@example.com",
    "budi..s@example.com",
    ".budi@example.com",
    "budi.@example.com",
    "budi@-example.com",
    "budi@example-.com",
    "budi@example..com",
    "budi@.example.com",
    "budi@example.com.",
    "budi@example.c",
    "budi@example.123",
    "budi@exa_mple.com",
    "budi@exämple.com",
    "büdi@example.com",
    '"budi"@example.com',
    "budi@[127.0.0.1]",
    "budi@exam\nple.com",
  ])("rejects %j", (input) => {
    expectIdentityError(() => normalizeEmail(input), "email");
  });

  it("rejects over-long parts", () => {
    expect(normalizeEmail(`${"a".repeat(64)}@example.com`)).toBe(`${"a".repeat(64)}@example.com`);
    expectIdentityError(() => normalizeEmail(`${"a".repeat(65)}@example.com`), "email");
    expectIdentityError(() => normalizeEmail(`a@${"b".repeat(64)}.com`), "email");
    const long = `a@${Array.from({ length: 5 }, () => "b".repeat(60)).join(".")}.com`; // > 254
    expectIdentityError(() => normalizeEmail(long), "email");
  });

  it("rejects a non-string", () => {
    expectIdentityError(() => normalizeEmail(null as unknown as string), "email");
  });
});

describe("validatePin", () => {
  it.each(["123456", "000000", "012345"])("accepts %j", (pin) => {
    expect(() => validatePin(pin)).not.toThrow();
  });
  it.each(["", "12345", "1234567", "12345a", " 123456", "123456 ", "12 345", "１２３４５６", "-12345"])("rejects %j", (pin) => {
    expectIdentityError(() => validatePin(pin), "pin", /6 digits/);
  });
  it("rejects a number", () => {
    expectIdentityError(() => validatePin(123456 as unknown as string), "pin");
  });
});

describe("IdentityError", () => {
  it("is an Error with a field", () => {
    const e = new IdentityError("email", "bad");
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("IdentityError");
    expect(e.field).toBe("email");
  });
});
