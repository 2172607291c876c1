/** GraphQL enums, built from the status code tables of the rules (one source of truth). */
import { registerEnumType } from "type-graphql";
import { APPLICATION_STATUS_CODES } from "../domain/statuses.js";
import { LOAN_STATUS_CODES, PAYMENT_STATUS_CODES } from "../domain/statuses.js";

function enumOf<K extends string>(codes: Readonly<Record<K, number>>): { [P in K]: P } {
  return Object.fromEntries(Object.keys(codes).map((k) => [k, k])) as { [P in K]: P };
}

export const RoleEnum = { CUSTOMER: "CUSTOMER", PARTNER: "PARTNER", ADMIN: "ADMIN" } as const;
export const ApplicationStatusEnum = enumOf(APPLICATION_STATUS_CODES);
export const LoanStatusEnum = enumOf(LOAN_STATUS_CODES);
export const PaymentStatusEnum = enumOf(PAYMENT_STATUS_CODES);
export const PaymentTransactionKindEnum = { PAYMENT: "PAYMENT", SETTLEMENT: "SETTLEMENT" } as const;
export const PaymentReversalStatusEnum = { PENDING: "PENDING", APPROVED: "APPROVED", REJECTED: "REJECTED" } as const;

registerEnumType(RoleEnum, { name: "Role" });
registerEnumType(ApplicationStatusEnum, {
  name: "ApplicationStatus",
  description: "JULO application status codes: statusCode carries the number.",
});
registerEnumType(LoanStatusEnum, { name: "LoanStatus" });
registerEnumType(PaymentStatusEnum, { name: "PaymentStatus" });
registerEnumType(PaymentTransactionKindEnum, { name: "PaymentTransactionKind" });
registerEnumType(PaymentReversalStatusEnum, { name: "PaymentReversalStatus" });
