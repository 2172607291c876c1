import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { PaymentAllocationRow, PaymentRow, PaymentTransactionRow } from "../../db/schema.js";
import type { Context } from "../../server/context.js";
import { MoneyScalar } from "../../server/scalars.js";
import { Loan } from "../loans/loan.type.js";
import { PAYMENT_STATUS_CODES, type PaymentStatus } from "./delinquency.js";
import * as commands from "./payment.commands.js";
import { Payment, PaymentAllocation, PaymentTransaction, RecordPaymentInput, RecordPaymentPayload } from "./payment.type.js";

@Resolver(() => Payment)
export class PaymentResolver {
  @Authorized()
  @Query(() => Payment, { nullable: true })
  payment(@Arg("id", () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.loaders.paymentById.load(id);
  }

  @FieldResolver(() => Loan)
  loan(@Root() p: PaymentRow, @Ctx() ctx: Context) {
    return ctx.loaders.loanById.load(p.loanId);
  }

  @FieldResolver(() => MoneyScalar)
  amountDue(@Root() p: PaymentRow) {
    return p.principalDue + p.interestDue + p.lateFeeDue;
  }

  @FieldResolver(() => MoneyScalar)
  outstandingAmount(@Root() p: PaymentRow) {
    return p.principalDue + p.interestDue + p.lateFeeDue - p.paidAmount;
  }

  @FieldResolver(() => Int)
  statusCode(@Root() p: PaymentRow) {
    return PAYMENT_STATUS_CODES[p.status as PaymentStatus];
  }

  @Authorized("ADMIN")
  @Mutation(() => RecordPaymentPayload)
  recordPayment(@Arg("input", () => RecordPaymentInput) input: RecordPaymentInput, @Ctx() ctx: Context) {
    return commands.recordPayment(ctx, input);
  }
}

@Resolver(() => PaymentTransaction)
export class PaymentTransactionResolver {
  @FieldResolver(() => Loan)
  loan(@Root() t: PaymentTransactionRow, @Ctx() ctx: Context) {
    return ctx.loaders.loanById.load(t.loanId);
  }

  @FieldResolver(() => [PaymentAllocation])
  allocations(@Root() t: PaymentTransactionRow, @Ctx() ctx: Context) {
    return ctx.loaders.allocationsByTransaction.load(t.id);
  }
}

@Resolver(() => PaymentAllocation)
export class PaymentAllocationResolver {
  @FieldResolver(() => Payment)
  payment(@Root() a: PaymentAllocationRow, @Ctx() ctx: Context) {
    return ctx.loaders.paymentById.load(a.paymentId);
  }
}

@Resolver(() => RecordPaymentPayload)
export class RecordPaymentPayloadResolver {
  @FieldResolver(() => Loan)
  loan(@Root() p: RecordPaymentPayload, @Ctx() ctx: Context) {
    return ctx.loaders.loanById.load(p.loanId);
  }
}
