/**
 * How an installment is read (src/graphql/read-model.ts); the contract calls it `Payment`.
 * One SQL expression per field, the amounts due and outstanding included.
 */
import { sql } from "drizzle-orm";
import { installmentScope } from "../../auth/policy.js";
import type { KeyedTable } from "../../db/queries.js";
import { loans, payments } from "../../db/schema.js";
import { column, derivedMoney, status, statusCode, type ReadModel } from "../../graphql/read-model.js";
import { PAYMENT_STATUS_CODES } from "../../domain/statuses.js";

const due = sql`(${payments.principalDue} + ${payments.interestDue} + ${payments.lateFeeDue})`;

export const installmentRead = {
  typeName: "Payment",
  table: payments as unknown as KeyedTable,
  tableName: "payments",
  cursorKind: "payment",
  scope: installmentScope,
  fields: {
    id: column("ID", payments.id),
    installmentNumber: column("Int", payments.installmentNumber),
    dueDate: column("Date", payments.dueDate),
    principalDue: column("Money", payments.principalDue),
    interestDue: column("Money", payments.interestDue),
    lateFeeDue: column("Money", payments.lateFeeDue),
    paidPrincipal: column("Money", payments.paidPrincipal),
    paidInterest: column("Money", payments.paidInterest),
    paidLateFee: column("Money", payments.paidLateFee),
    paidAmount: column("Money", payments.paidAmount),
    status: status(payments.status, PAYMENT_STATUS_CODES),
    statusCode: statusCode(payments.status, PAYMENT_STATUS_CODES),
    daysPastDue: column("Int", payments.daysPastDue),
    paidAt: column("DateTime", payments.paidAt),
    amountDue: derivedMoney(() => due),
    outstandingAmount: derivedMoney(() => sql`(${due} - ${payments.paidAmount})`),
    loan: { kind: "one", target: "Loan", on: () => sql`${loans.id} = ${payments.loanId}`, nullable: false, trustsParent: false },
  },
} satisfies ReadModel;
