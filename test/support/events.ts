/** Status changes written through the outbox in a committed transaction (wakes the bus of the gateway under test). */
import { eq } from "drizzle-orm";
import { loanApplications, loans, type CustomerRow } from "../../src/db/schema.js";
import { recordStatusChange, transact } from "../../src/events/outbox.js";
import { type ApplicationStatus } from "../../src/domain/statuses.js";
import { type LoanStatus } from "../../src/domain/statuses.js";
import { subscriptionGateway } from "./world.js";

export async function changeLoanStatus(loanId: string, customer: CustomerRow, from: LoanStatus, to: LoanStatus, reason = "test"): Promise<void> {
  await transact((await subscriptionGateway()).app, async (tx) => {
    await tx.update(loans).set({ status: to }).where(eq(loans.id, loanId));
    await recordStatusChange(tx, {
      entityType: "LOAN",
      entityId: loanId,
      customerId: customer.id,
      partnerId: customer.partnerId,
      from,
      to,
      reason,
      actor: "admin:test",
      at: new Date(),
    });
  });
}

export async function changeApplicationStatus(
  applicationId: string,
  customer: CustomerRow,
  from: ApplicationStatus,
  to: ApplicationStatus,
  reason = "test",
): Promise<void> {
  await transact((await subscriptionGateway()).app, async (tx) => {
    await tx.update(loanApplications).set({ status: to }).where(eq(loanApplications.id, applicationId));
    await recordStatusChange(tx, {
      entityType: "APPLICATION",
      entityId: applicationId,
      customerId: customer.id,
      partnerId: customer.partnerId,
      from,
      to,
      reason,
      actor: "admin:test",
      at: new Date(),
    });
  });
}
