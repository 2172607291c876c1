import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { connectionTypes } from "../../server/connection.types.js";
import { PaymentStatusEnum } from "../../server/enums.js";
import { DateScalar, DateTimeScalar, MoneyScalar } from "../../server/scalars.js";

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
  loanId: string;
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
