import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { Viewer } from "../../auth/viewer.js";
import type { CustomerRow } from "../../db/schema.js";
import type { Context } from "../../graphql/context.js";
import { ApplicationPageArgs, LoanPageArgs, PageArgsInput } from "../../graphql/page-args.js";
import { ApplicationConnection } from "../applications/application.type.js";
import { applicationsOf } from "../applications/application.service.js";
import { LoanConnection } from "../loans/loan.type.js";
import { loansOf } from "../loans/loan.service.js";
import { Partner } from "../partners/partner.type.js";
import { derivedValue } from "../../graphql/read-model.js";
import { login, registerCustomer } from "./customer.commands.js";
import { customerRead } from "./customer.read.js";
import { customersPage } from "./customer.service.js";
import { AuthPayload, Customer, CustomerConnection, CustomerFilter, LoginInput, RegisterCustomerInput, ViewerType } from "./customer.type.js";

@Resolver(() => Customer)
export class CustomerResolver {
  @Query(() => ViewerType, { nullable: true })
  me(@Ctx() ctx: Context): Viewer | null {
    return ctx.viewer.role === "ANONYMOUS" ? null : ctx.viewer;
  }

  @Authorized()
  @Query(() => Customer, { nullable: true })
  customer(@Arg("id", () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.loaders.customerById.load(id);
  }

  @Authorized()
  @Query(() => CustomerConnection)
  customers(
    @Args(() => PageArgsInput) a: PageArgsInput,
    @Arg("filter", () => CustomerFilter, { nullable: true }) filter: CustomerFilter | null,
    @Ctx() ctx: Context,
  ) {
    return customersPage(ctx, a.first, a.after, filter);
  }

  @FieldResolver(() => String, {
    description: "Full 16 digits for ADMIN and the customer; masked (first 6 and last 4 digits kept) for a PARTNER.",
  })
  nik(@Root() c: CustomerRow, @Ctx() ctx: Context) {
    return derivedValue(ctx.loaders.readAgain, customerRead, c, "nik");
  }

  @FieldResolver(() => Partner, { nullable: true })
  partner(@Root() c: CustomerRow, @Ctx() ctx: Context) {
    return c.partnerId ? ctx.loaders.partnerById.load(c.partnerId) : null;
  }

  @FieldResolver(() => ApplicationConnection)
  applications(@Root() c: CustomerRow, @Args(() => ApplicationPageArgs) a: ApplicationPageArgs, @Ctx() ctx: Context) {
    return applicationsOf(ctx, "customerId", c.id, a.first, a.after, a.status);
  }

  @FieldResolver(() => LoanConnection)
  loans(@Root() c: CustomerRow, @Args(() => LoanPageArgs) a: LoanPageArgs, @Ctx() ctx: Context) {
    return loansOf(ctx, "customerId", c.id, a.first, a.after, a.status);
  }

  @Mutation(() => AuthPayload)
  registerCustomer(@Arg("input", () => RegisterCustomerInput) input: RegisterCustomerInput, @Ctx() ctx: Context) {
    return registerCustomer(ctx, input);
  }

  @Mutation(() => AuthPayload)
  login(@Arg("input", () => LoginInput) input: LoginInput, @Ctx() ctx: Context) {
    return login(ctx, input);
  }
}

@Resolver(() => ViewerType)
export class ViewerResolver {
  @FieldResolver(() => Customer, { nullable: true })
  customer(@Root() v: Viewer, @Ctx() ctx: Context) {
    return v.role === "CUSTOMER" ? ctx.loaders.customerById.load(v.customerId) : null;
  }

  @FieldResolver(() => Partner, { nullable: true })
  partner(@Root() v: Viewer, @Ctx() ctx: Context) {
    return v.role === "PARTNER" ? ctx.loaders.partnerById.load(v.partnerId) : null;
  }
}
