import { Arg, Ctx, FieldResolver, ID, Resolver, Root, Subscription } from "type-graphql";
import type { Context } from "../server/context.js";
import { notImplemented } from "../server/errors.js";
import { Application, ApplicationStatusEvent } from "../features/applications/application.type.js";
import { Loan, LoanStatusEvent } from "../features/loans/loan.type.js";

@Resolver(() => LoanStatusEvent)
export class LoanStatusEventResolver {
  @Subscription(() => LoanStatusEvent, {
    subscribe: () => {
      throw notImplemented("loanStatusChanged");
    },
  })
  loanStatusChanged(
    @Root() event: LoanStatusEvent,
    @Arg("loanId", () => ID, { nullable: true }) _loanId: string | null,
    @Arg("partnerId", () => ID, { nullable: true }) _partnerId: string | null,
    @Arg("after", () => String, { nullable: true }) _after: string | null,
  ): LoanStatusEvent {
    return event;
  }

  @FieldResolver(() => Loan)
  loan(@Root() e: LoanStatusEvent, @Ctx() ctx: Context) {
    return ctx.loaders.loanById.load(e.entityId);
  }
}

@Resolver(() => ApplicationStatusEvent)
export class ApplicationStatusEventResolver {
  @Subscription(() => ApplicationStatusEvent, {
    subscribe: () => {
      throw notImplemented("applicationStatusChanged");
    },
  })
  applicationStatusChanged(
    @Root() event: ApplicationStatusEvent,
    @Arg("applicationId", () => ID, { nullable: true }) _applicationId: string | null,
    @Arg("partnerId", () => ID, { nullable: true }) _partnerId: string | null,
    @Arg("after", () => String, { nullable: true }) _after: string | null,
  ): ApplicationStatusEvent {
    return event;
  }

  @FieldResolver(() => Application)
  application(@Root() e: ApplicationStatusEvent, @Ctx() ctx: Context) {
    return ctx.loaders.applicationById.load(e.entityId);
  }
}
