import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { connectionTypes } from "../../graphql/connection.types.js";
import { PaymentReversalStatusEnum, PaymentStatusEnum, PaymentTransactionKindEnum } from "../../graphql/enums.js";
import { DateScalar, DateTimeScalar, MoneyScalar } from "../../graphql/scalars.js";

@ObjectType("Payment", { description: "One scheduled installment of a loan." })
export class Payment {
  @Field(() => ID) id: string;
  @Field(() => Int) installmentNumber: number;
  @Field(() => DateScalar) dueDate: string;
  @Field(() => MoneyScalar) principalDue: bigint;
  @Field(() => MoneyScalar) interestDue: bigint;
  @Field(() => MoneyScalar) lateFeeDue: bigint;
  @Field(() => MoneyScalar) paidPrincipal: bigint;
  @Field(() => MoneyScalar) paidInterest: bigint;
  @Field(() => MoneyScalar) paidLateFee: bigint;
  @Field(() => MoneyScalar) paidAmount: bigint;
  @Field(() => PaymentStatusEnum) status: string;
  @Field(() => Int) daysPastDue: number;
  @Field(() => DateTimeScalar, { nullable: true }) paidAt: Date | null;
  loanId: string;
}

@ObjectType("PaymentAllocation")
export class PaymentAllocation {
  @Field(() => MoneyScalar) principal: bigint;
  @Field(() => MoneyScalar) interest: bigint;
  @Field(() => MoneyScalar) lateFee: bigint;
  paymentId: string;
}

@ObjectType("PaymentTransaction", { description: "Money received for a loan." })
export class PaymentTransaction {
  @Field(() => ID) id: string;
  @Field(() => MoneyScalar) amount: bigint;
  @Field(() => String) idempotencyKey: string;
  @Field(() => String, { nullable: true }) channel: string | null;
  @Field(() => DateTimeScalar) paidAt: Date;
  @Field(() => MoneyScalar) walletCredit: bigint;
  @Field(() => DateTimeScalar) createdAt: Date;
  @Field(() => PaymentTransactionKindEnum) kind: string;
  loanId: string;
  reversedAt: Date | null;
}

export const { Connection: PaymentTransactionConnection } = connectionTypes("PaymentTransaction", PaymentTransaction);

@ObjectType("RecordPaymentPayload")
export class RecordPaymentPayload {
  @Field(() => PaymentTransaction) transaction: PaymentTransaction;
  @Field(() => Boolean, { description: "True when this idempotency key was already posted and the stored result is returned." })
  replayed: boolean;
  loanId: string;
}

@InputType("RecordPaymentInput")
export class RecordPaymentInput {
  @Field(() => ID) loanId: string;
  @Field(() => MoneyScalar) amount: bigint;
  @Field(() => String, { description: "Unique per received transfer; a repeat with the same key and amount returns the first result." })
  idempotencyKey: string;
  @Field(() => DateTimeScalar, { nullable: true }) paidAt?: Date | null;
  @Field(() => String, { nullable: true }) channel?: string | null;
}

@ObjectType("PaymentReversal")
export class PaymentReversal {
  @Field(() => ID) id: string;
  @Field(() => PaymentReversalStatusEnum) status: string;
  @Field(() => String) reason: string;
  @Field(() => DateTimeScalar) requestedAt: Date;
  @Field(() => DateTimeScalar, { nullable: true }) decidedAt: Date | null;
  @Field(() => String, { nullable: true }) decisionNote: string | null;
  transactionId: string;
  requestedBy: string;
  decidedBy: string | null;
  createdAt: Date;
}

export const { Connection: PaymentReversalConnection } = connectionTypes("PaymentReversal", PaymentReversal);

@ObjectType("PayoffQuote", { description: "What it takes to close a loan early, as of one date (RULES 12.1)." })
export class PayoffQuote {
  @Field(() => DateScalar) asOf: string;
  @Field(() => MoneyScalar, { description: "Outstanding principal of every unpaid installment." }) principal: bigint;
  @Field(() => MoneyScalar, { description: "Outstanding interest of the installments due before asOf and of the current one." })
  interest: bigint;
  @Field(() => MoneyScalar, { description: "Outstanding late fees." }) lateFees: bigint;
  @Field(() => MoneyScalar, { description: "Unpaid interest of the installments after the current one, waived by settling." })
  interestWaived: bigint;
  @Field(() => MoneyScalar, { description: "principal + interest + lateFees" }) amount: bigint;
  loanId: string;
}

@InputType("SettleLoanInput")
export class SettleLoanInput {
  @Field(() => ID) loanId: string;
  @Field(() => MoneyScalar) amount: bigint;
  @Field(() => String, { description: "Shares the key space of recordPayment (RULES 8)." }) idempotencyKey: string;
  @Field(() => DateTimeScalar, { nullable: true }) paidAt?: Date | null;
  @Field(() => String, { nullable: true }) channel?: string | null;
}

@InputType("RequestPaymentReversalInput")
export class RequestPaymentReversalInput {
  @Field(() => ID) transactionId: string;
  @Field(() => String) reason: string;
}

@InputType("DecidePaymentReversalInput")
export class DecidePaymentReversalInput {
  @Field(() => ID) reversalId: string;
  @Field(() => String, { nullable: true }) note?: string | null;
  @Field(() => DateScalar, { nullable: true, description: "The date the loan is evaluated at after the reversal (default: today in Asia/Jakarta)." })
  asOf?: string | null;
}
