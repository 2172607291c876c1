import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { PaymentAllocationRow, PaymentReversalRow, PaymentRow, PaymentTransactionRow } from "../../db/schema.js";
import type { Context } from "../../graphql/context.js";
import { PaymentReversalStatusEnum } from "../../graphql/enums.js";
import { PageArgsInput } from "../../graphql/page-args.js";
import { MoneyScalar } from "../../graphql/scalars.js";
import { Loan } from "../loans/loan.type.js";
import { PAYMENT_STATUS_CODES, type PaymentStatus } from "../../domain/statuses.js";
import * as commands from "./payment.commands.js";
import { reversalsPage } from "./payment.service.js";
import {
  DecidePaymentReversalInput,
  Payment,
  PaymentAllocation,
  PaymentReversal,
  PaymentReversalConnection,
  PaymentTransaction,
  PayoffQuote,
  RecordPaymentInput,
  RecordPaymentPayload,
  RequestPaymentReversalInput,
  SettleLoanInput,
} from "./payment.type.js";
import * as reversals from "./reversal.commands.js";

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

  @Authorized("ADMIN")
  @Mutation(() => RecordPaymentPayload, { description: "Closes a CURRENT or LATE loan early with at least its payoff amount (RULES 12.2)." })
  settleLoan(@Arg("input", () => SettleLoanInput) input: SettleLoanInput, @Ctx() ctx: Context) {
    return commands.settleLoan(ctx, input);
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

  @FieldResolver(() => Boolean, { description: "True once an approved reversal took it out of the loan's money." })
  reversed(@Root() t: PaymentTransactionRow) {
    return t.reversedAt !== null;
  }

  @FieldResolver(() => PaymentReversal, { nullable: true, description: "The latest reversal request for it, if any." })
  reversal(@Root() t: PaymentTransactionRow, @Ctx() ctx: Context) {
    return ctx.loaders.reversalByTransaction.load(t.id);
  }
}

/** RULES 12.3: requests and decisions by two ADMINs; visible with its transaction. */
@Resolver(() => PaymentReversal)
export class PaymentReversalResolver {
  @Authorized("ADMIN")
  @Query(() => PaymentReversalConnection)
  paymentReversals(
    @Args(() => PageArgsInput) a: PageArgsInput,
    @Arg("status", () => PaymentReversalStatusEnum, { nullable: true }) status: string | null,
    @Ctx() ctx: Context,
  ) {
    return reversalsPage(ctx, a.first, a.after, status);
  }

  @FieldResolver(() => PaymentTransaction)
  async transaction(@Root() r: PaymentReversalRow, @Ctx() ctx: Context) {
    // Shown only with a transaction the viewer may see, or to ADMIN (paymentReversals).
    return ctx.loaders.transactionById.load(r.transactionId);
  }

  @FieldResolver(() => String, { nullable: true, description: "The ADMIN token's sub that asked for it; null for other viewers." })
  requestedBy(@Root() r: PaymentReversalRow, @Ctx() ctx: Context) {
    return ctx.viewer.role === "ADMIN" ? r.requestedBy : null;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: "The ADMIN token's sub that approved or rejected it; null while pending and for other viewers.",
  })
  decidedBy(@Root() r: PaymentReversalRow, @Ctx() ctx: Context) {
    return ctx.viewer.role === "ADMIN" ? r.decidedBy : null;
  }

  @Authorized("ADMIN")
  @Mutation(() => PaymentReversal)
  requestPaymentReversal(@Arg("input", () => RequestPaymentReversalInput) input: RequestPaymentReversalInput, @Ctx() ctx: Context) {
    return reversals.requestPaymentReversal(ctx, input);
  }

  @Authorized("ADMIN")
  @Mutation(() => PaymentReversal)
  approvePaymentReversal(@Arg("input", () => DecidePaymentReversalInput) input: DecidePaymentReversalInput, @Ctx() ctx: Context) {
    return reversals.approvePaymentReversal(ctx, input);
  }

  @Authorized("ADMIN")
  @Mutation(() => PaymentReversal)
  rejectPaymentReversal(@Arg("input", () => DecidePaymentReversalInput) input: DecidePaymentReversalInput, @Ctx() ctx: Context) {
    return reversals.rejectPaymentReversal(ctx, input);
  }
}

@Resolver(() => PayoffQuote)
export class PayoffQuoteResolver {
  @FieldResolver(() => Loan)
  loan(@Root() q: PayoffQuote, @Ctx() ctx: Context) {
    return ctx.loaders.loanById.load(q.loanId);
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
