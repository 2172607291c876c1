import { describe, expect, it } from "vitest";
import { makeCustomer, makeLoan, makePartner } from "./support/factories.js";
import { adminToken, gql, tokenFor } from "./support/world.js";

describe("smoke", () => {
  it("serves a nested read for ADMIN and hides it from another customer", async () => {
    const partner = await makePartner();
    const customer = await makeCustomer({ partnerId: partner.id });
    const { loan } = await makeLoan({ customer });
    const q = `query($id: ID!) { loan(id: $id) { id status statusCode principal totalDue outstandingAmount customer { fullName nik partner { code } } payments { installmentNumber dueDate amountDue status } statusHistory { fromCode toCode actor } } }`;
    const admin = await gql(q, { id: loan.id }, await adminToken());
    expect(admin.errors).toBeUndefined();
    expect(admin.data!.loan.payments).toHaveLength(3);
    expect(admin.data!.loan.totalDue).toBe("3364000");
    const other = await makeCustomer();
    const hidden = await gql(q, { id: loan.id }, await tokenFor("CUSTOMER", other.id));
    expect(hidden.data!.loan).toBeNull();
    const asPartner = await gql(q, { id: loan.id }, await tokenFor("PARTNER", partner.id));
    expect(asPartner.data!.loan.customer.nik).toMatch(/^\d{6}\*{6}\d{4}$/);
  });
});
