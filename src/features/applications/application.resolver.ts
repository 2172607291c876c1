import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { ApplicationRow } from "../../db/schema.js";
import type { Context } from "../../graphql/context.js";
import { PageArgsInput } from "../../graphql/page-args.js";
import { Customer } from "../customers/customer.type.js";
import { Loan } from "../loans/loan.type.js";
import { Partner } from "../partners/partner.type.js";
import { LoanProduct } from "../products/product.type.js";
import { APPLICATION_STATUS_CODES, type ApplicationStatus } from "../../domain/statuses.js";
import * as commands from "./application.commands.js";
import { applicationsPage } from "./application.service.js";
import {
  Application,
  ApplicationConnection,
  ApplicationFilter,
  ApproveApplicationInput,
  CreditScore,
  Offer,
  RejectApplicationInput,
  StatusChange,
  SubmitApplicationInput,
} from "./application.type.js";

@Resolver(() => Application)
export class ApplicationResolver {
  @Authorized()
  @Query(() => Application, { nullable: true })
  application(@Arg("id", () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.loaders.applicationById.load(id);
  }

  @Authorized()
  @Query(() => ApplicationConnection)
  applications(
    @Args(() => PageArgsInput) a: PageArgsInput,
    @Arg("filter", () => ApplicationFilter, { nullable: true }) filter: ApplicationFilter | null,
    @Ctx() ctx: Context,
  ) {
    return applicationsPage(ctx, a.first, a.after, filter);
  }

  @FieldResolver(() => Customer)
  customer(@Root() a: ApplicationRow, @Ctx() ctx: Context) {
    return ctx.loaders.customerById.load(a.customerId);
  }

  @FieldResolver(() => LoanProduct)
  product(@Root() a: ApplicationRow, @Ctx() ctx: Context) {
    return ctx.loaders.productById.load(a.productId);
  }

  @FieldResolver(() => Partner, { nullable: true })
  partner(@Root() a: ApplicationRow, @Ctx() ctx: Context) {
    return a.partnerId ? ctx.loaders.partnerById.load(a.partnerId) : null;
  }

  @FieldResolver(() => Int)
  statusCode(@Root() a: ApplicationRow) {
    return APPLICATION_STATUS_CODES[a.status as ApplicationStatus];
  }

  @FieldResolver(() => CreditScore, { nullable: true })
  creditScore(@Root() a: ApplicationRow): CreditScore | null {
    if (a.creditGrade == null) return null;
    return {
      grade: a.creditGrade,
      maxAmount: a.creditMaxAmount ?? 0n,
      maxTenorMonths: a.creditMaxTenorMonths ?? 0,
      monthlyInterestRateBps: a.creditInterestBps ?? 0,
      reasons: a.creditReasons ?? [],
    };
  }

  @FieldResolver(() => Offer, { nullable: true })
  offer(@Root() a: ApplicationRow): Offer | null {
    if (a.offerAmount == null) return null;
    return {
      amount: a.offerAmount,
      tenorMonths: a.offerTenorMonths!,
      monthlyInterestRateBps: a.offerInterestBps!,
      originationFee: a.offerOriginationFee!,
      disbursedAmount: a.offerDisbursedAmount!,
      installmentAmount: a.offerInstallmentAmount!,
      firstDueDate: a.offerFirstDueDate!,
      expiresAt: a.offerExpiresAt!,
    };
  }

  @FieldResolver(() => Loan, { nullable: true })
  loan(@Root() a: ApplicationRow, @Ctx() ctx: Context) {
    return ctx.loaders.loanByApplicationId.load(a.id);
  }

  @FieldResolver(() => [StatusChange])
  statusHistory(@Root() a: ApplicationRow, @Ctx() ctx: Context) {
    return ctx.loaders.statusHistory.load(a.id);
  }

  @Authorized()
  @Mutation(() => Application)
  submitApplication(@Arg("input", () => SubmitApplicationInput) input: SubmitApplicationInput, @Ctx() ctx: Context) {
    return commands.submitApplication(ctx, input);
  }

  @Authorized("ADMIN")
  @Mutation(() => Application)
  approveApplication(@Arg("input", () => ApproveApplicationInput) input: ApproveApplicationInput, @Ctx() ctx: Context) {
    return commands.approveApplication(ctx, input);
  }

  @Authorized("ADMIN")
  @Mutation(() => Application)
  rejectApplication(@Arg("input", () => RejectApplicationInput) input: RejectApplicationInput, @Ctx() ctx: Context) {
    return commands.rejectApplication(ctx, input);
  }

  @Authorized()
  @Mutation(() => Application)
  cancelApplication(
    @Arg("applicationId", () => ID) applicationId: string,
    @Arg("reason", () => String, { nullable: true }) reason: string | null,
    @Ctx() ctx: Context,
  ) {
    return commands.cancelApplication(ctx, applicationId, reason);
  }

  @Authorized()
  @Mutation(() => Loan)
  acceptOffer(@Arg("applicationId", () => ID) applicationId: string, @Ctx() ctx: Context) {
    return commands.acceptOffer(ctx, applicationId);
  }

  @Authorized()
  @Mutation(() => Application)
  declineOffer(@Arg("applicationId", () => ID) applicationId: string, @Ctx() ctx: Context) {
    return commands.declineOffer(ctx, applicationId);
  }
}
