import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { LoanRow } from "../../db/schema.js";
import type { Context } from "../../graphql/context.js";
import { PageArgsInput } from "../../graphql/page-args.js";
import { DateScalar, MoneyScalar } from "../../graphql/scalars.js";
import { Application, StatusChange } from "../applications/application.type.js";
import { Customer } from "../customers/customer.type.js";
import { Partner } from "../partners/partner.type.js";
import { Payment, PaymentTransactionConnection } from "../payments/payment.type.js";
import { payoffQuoteOf, transactionsOf } from "../payments/payment.service.js";
import { PayoffQuote } from "../payments/payment.type.js";
import { LoanProduct } from "../products/product.type.js";
import { derivedValue } from "../../graphql/read-model.js";
import { loanRead } from "./loan.read.js";
import * as commands from "./loan.commands.js";
import { loansPage, portfolioSeries, portfolioSummary } from "./loan.service.js";
import { DailyUpdateResult, DisburseLoanInput, FailDisbursementInput, Loan, LoanConnection, LoanFilter, PortfolioDay, PortfolioSummary } from "./loan.type.js";

@Resolver(() => Loan)
export class LoanResolver {
  @Authorized()
  @Query(() => Loan, { nullable: true })
  loan(@Arg("id", () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.loaders.loanById.load(id);
  }

  @Authorized()
  @Query(() => LoanConnection)
  loans(
    @Args(() => PageArgsInput) a: PageArgsInput,
    @Arg("filter", () => LoanFilter, { nullable: true }) filter: LoanFilter | null,
    @Ctx() ctx: Context,
  ) {
    return loansPage(ctx, a.first, a.after, filter);
  }

  @Authorized()
  @Query(() => PortfolioSummary)
  portfolioSummary(@Arg("partnerId", () => ID, { nullable: true }) partnerId: string | null, @Ctx() ctx: Context) {
    return portfolioSummary(ctx, partnerId);
  }

  @Authorized()
  @Query(() => [PortfolioDay], {
    description:
      "Money disbursed and collected per Asia/Jakarta day in [from, to] (at most 366 days), every day listed; scoped like portfolioSummary.",
  })
  portfolioSeries(
    @Arg("from", () => DateScalar) from: string,
    @Arg("to", () => DateScalar) to: string,
    @Arg("partnerId", () => ID, { nullable: true }) partnerId: string | null,
    @Ctx() ctx: Context,
  ) {
    return portfolioSeries(ctx, from, to, partnerId);
  }

  @FieldResolver(() => Application)
  application(@Root() l: LoanRow, @Ctx() ctx: Context) {
    return ctx.loaders.applicationById.load(l.applicationId);
  }

  @FieldResolver(() => Customer)
  customer(@Root() l: LoanRow, @Ctx() ctx: Context) {
    return ctx.loaders.customerById.load(l.customerId);
  }

  @FieldResolver(() => Partner, { nullable: true })
  partner(@Root() l: LoanRow, @Ctx() ctx: Context) {
    return l.partnerId ? ctx.loaders.partnerById.load(l.partnerId) : null;
  }

  @FieldResolver(() => LoanProduct)
  product(@Root() l: LoanRow, @Ctx() ctx: Context) {
    return ctx.loaders.productById.load(l.productId);
  }

  // Values of the read model (loan.read.ts), selected by the repositories.
  @FieldResolver(() => Int)
  monthlyInterestRateBps(@Root() l: LoanRow, @Ctx() ctx: Context) {
    return derivedValue(ctx.loaders.readAgain, loanRead, l, "monthlyInterestRateBps");
  }

  @FieldResolver(() => Int)
  statusCode(@Root() l: LoanRow, @Ctx() ctx: Context) {
    return derivedValue(ctx.loaders.readAgain, loanRead, l, "statusCode");
  }

  @FieldResolver(() => MoneyScalar)
  totalDue(@Root() l: LoanRow, @Ctx() ctx: Context) {
    return derivedValue(ctx.loaders.readAgain, loanRead, l, "totalDue");
  }

  @FieldResolver(() => MoneyScalar)
  totalPaid(@Root() l: LoanRow, @Ctx() ctx: Context) {
    return derivedValue(ctx.loaders.readAgain, loanRead, l, "totalPaid");
  }

  @FieldResolver(() => MoneyScalar)
  outstandingAmount(@Root() l: LoanRow, @Ctx() ctx: Context) {
    return derivedValue(ctx.loaders.readAgain, loanRead, l, "outstandingAmount");
  }

  @FieldResolver(() => [Payment])
  payments(@Root() l: LoanRow, @Ctx() ctx: Context) {
    return ctx.loaders.paymentsByLoan.load(l.id);
  }

  @FieldResolver(() => PaymentTransactionConnection)
  transactions(@Root() l: LoanRow, @Args(() => PageArgsInput) a: PageArgsInput, @Ctx() ctx: Context) {
    return transactionsOf(ctx, l.id, a.first, a.after);
  }

  @FieldResolver(() => PayoffQuote, {
    nullable: true,
    description: "RULES 12.1, as of asOf (default: today in Asia/Jakarta); null unless CURRENT or LATE_*.",
  })
  payoffQuote(@Root() l: LoanRow, @Arg("asOf", () => DateScalar, { nullable: true }) asOf: string | null, @Ctx() ctx: Context) {
    return payoffQuoteOf(ctx, l, asOf);
  }

  @FieldResolver(() => [StatusChange])
  statusHistory(@Root() l: LoanRow, @Ctx() ctx: Context) {
    return ctx.loaders.statusHistory.load(l.id);
  }

  @Authorized("ADMIN")
  @Mutation(() => Loan)
  disburseLoan(@Arg("input", () => DisburseLoanInput) input: DisburseLoanInput, @Ctx() ctx: Context) {
    return commands.disburseLoan(ctx, input);
  }

  @Authorized("ADMIN")
  @Mutation(() => Loan)
  failDisbursement(@Arg("input", () => FailDisbursementInput) input: FailDisbursementInput, @Ctx() ctx: Context) {
    return commands.failDisbursement(ctx, input);
  }

  @Authorized("ADMIN")
  @Mutation(() => DailyUpdateResult)
  runDailyUpdate(@Arg("asOf", () => DateScalar) asOf: string, @Ctx() ctx: Context) {
    return commands.runDailyUpdate(ctx, asOf);
  }

  @Authorized("ADMIN")
  @Mutation(() => Loan)
  writeOffLoan(@Arg("loanId", () => ID) loanId: string, @Arg("reason", () => String) reason: string, @Ctx() ctx: Context) {
    return commands.writeOffLoan(ctx, loanId, reason);
  }
}
