import { Arg, Ctx, FieldResolver, ID, Resolver, Root, Subscription, type SubscribeResolverData } from "type-graphql";
import { requireRole } from "../auth/auth-checker.js";
import type { Context } from "../graphql/context.js";
import { createLoaders } from "../graphql/loaders.js";
import { Application, ApplicationStatusEvent } from "../features/applications/application.type.js";
import { Loan, LoanStatusEvent } from "../features/loans/loan.type.js";
import type { DeliveredEvent } from "./bus.js";

type SubArgs = { loanId?: string | null; applicationId?: string | null; partnerId?: string | null; after?: string | null };

function subscribeTo(entityType: "LOAN" | "APPLICATION") {
  return ({ args, context }: SubscribeResolverData<unknown, SubArgs, Context>) => {
    requireRole(context.viewer, []);
    return context.app.events.subscribe(
      context.viewer,
      { entityType, entityId: entityType === "LOAN" ? args.loanId : args.applicationId, partnerId: args.partnerId },
      args.after,
    );
  };
}

/** Each event is resolved with fresh loaders: a long-lived subscription must not show stale rows. */
function freshEvent(ctx: Context, event: DeliveredEvent): DeliveredEvent {
  ctx.loaders = createLoaders(ctx.db, ctx.viewer);
  return event;
}

@Resolver(() => LoanStatusEvent)
export class LoanStatusEventResolver {
  @Subscription(() => LoanStatusEvent, { subscribe: subscribeTo("LOAN") })
  loanStatusChanged(
    @Root() event: DeliveredEvent,
    @Arg("loanId", () => ID, { nullable: true }) _loanId: string | null,
    @Arg("partnerId", () => ID, { nullable: true }) _partnerId: string | null,
    @Arg("after", () => String, { nullable: true }) _after: string | null,
    @Ctx() ctx: Context,
  ): DeliveredEvent {
    return freshEvent(ctx, event);
  }

  @FieldResolver(() => Loan)
  loan(@Root() e: DeliveredEvent, @Ctx() ctx: Context) {
    return ctx.loaders.loanById.load(e.entityId);
  }
}

@Resolver(() => ApplicationStatusEvent)
export class ApplicationStatusEventResolver {
  @Subscription(() => ApplicationStatusEvent, { subscribe: subscribeTo("APPLICATION") })
  applicationStatusChanged(
    @Root() event: DeliveredEvent,
    @Arg("applicationId", () => ID, { nullable: true }) _applicationId: string | null,
    @Arg("partnerId", () => ID, { nullable: true }) _partnerId: string | null,
    @Arg("after", () => String, { nullable: true }) _after: string | null,
    @Ctx() ctx: Context,
  ): DeliveredEvent {
    return freshEvent(ctx, event);
  }

  @FieldResolver(() => Application)
  application(@Root() e: DeliveredEvent, @Ctx() ctx: Context) {
    return ctx.loaders.applicationById.load(e.entityId);
  }
}
