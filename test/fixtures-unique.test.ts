/**
 * The fixtures' unique values really are unique. A worker makes thousands of customers with the
 * same date of birth; random NIK serials once gave two of them the same NIK and failed CI
 * (`customers_nik_unique`). These checks fail again if the fixtures go back to random digits.
 */
import { describe, expect, it } from "vitest";
import { normalizePhone, validateNik } from "../src/features/customers/identity.js";
import { makeLoanBook, makePartner, nikFor } from "./support/factories.js";
import { freshPhone, nikOf } from "./support/registration.js";
import { uniqueDigits } from "./support/unique.js";

describe("test fixtures' unique values", () => {
  it("uniqueDigits never repeats: 200,000 calls give 200,000 distinct eight-digit strings", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200_000; i++) {
      const d = uniqueDigits();
      expect(d).toMatch(/^\d{8}$/);
      seen.add(d);
    }
    expect(seen.size).toBe(200_000);
  });

  it("NIKs and phones for one date of birth are distinct and valid, across both generators", () => {
    const niks = new Set<string>();
    const phones = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      niks.add(nikFor("1990-05-17"));
      niks.add(nikOf("1990-05-17", { province: 31 }));
      phones.add(freshPhone());
    }
    expect(niks.size).toBe(40_000);
    expect(phones.size).toBe(20_000);
    for (const nik of [...niks].slice(0, 100)) expect(() => validateNik(nik, "1990-05-17")).not.toThrow();
    for (const phone of [...phones].slice(0, 100)) expect(normalizePhone(phone)).toMatch(/^\+62813\d{8}$/);
  });

  it("a book of 300 customers born the same day inserts without a unique violation", async () => {
    const p = await makePartner();
    const book = await makeLoanBook({ partnerId: p.id, count: 300 });
    expect(new Set(book.customers.map((c) => c.nik)).size).toBe(300);
  });
});
