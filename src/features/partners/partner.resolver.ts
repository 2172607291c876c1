import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { PartnerRow } from "../../db/schema.js";
import type { Context } from "../../graphql/context.js";
import { ApplicationPageArgs, LoanPageArgs, PageArgsInput } from "../../graphql/page-args.js";
import { ApplicationConnection } from "../applications/application.type.js";
import { applicationsOf } from "../applications/application.service.js";
import { CustomerConnection } from "../customers/customer.type.js";
import { customersOfPartner } from "../customers/customer.service.js";
import { LoanConnection } from "../loans/loan.type.js";
import { loansOf } from "../loans/loan.service.js";
import { CreatePartnerInput } from "./partner.inputs.js";
import { createPartner } from "./partner.commands.js";
import { partnersVisible } from "./partner.service.js";
import { Partner } from "./partner.type.js";

@Resolver(() => Partner)
export class PartnerResolver {
  @Authorized()
  @Query(() => Partner, { nullable: true })
  partner(@Arg("id", () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.loaders.partnerById.load(id);
  }

  @Authorized()
  @Query(() => [Partner])
  partners(@Ctx() ctx: Context) {
    return partnersVisible(ctx);
  }

  @FieldResolver(() => CustomerConnection)
  customers(@Root() p: PartnerRow, @Args(() => PageArgsInput) a: PageArgsInput, @Ctx() ctx: Context) {
    return customersOfPartner(ctx, p.id, a.first, a.after);
  }

  @FieldResolver(() => ApplicationConnection)
  applications(@Root() p: PartnerRow, @Args(() => ApplicationPageArgs) a: ApplicationPageArgs, @Ctx() ctx: Context) {
    return applicationsOf(ctx, "partnerId", p.id, a.first, a.after, a.status);
  }

  @FieldResolver(() => LoanConnection)
  loans(@Root() p: PartnerRow, @Args(() => LoanPageArgs) a: LoanPageArgs, @Ctx() ctx: Context) {
    return loansOf(ctx, "partnerId", p.id, a.first, a.after, a.status);
  }

  @Authorized("ADMIN")
  @Mutation(() => Partner)
  createPartner(@Arg("input", () => CreatePartnerInput) input: CreatePartnerInput, @Ctx() ctx: Context) {
    return createPartner(ctx, input);
  }
}
