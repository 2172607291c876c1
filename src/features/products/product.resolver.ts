import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from "type-graphql";
import type { LoanProductRow } from "../../db/schema.js";
import type { Context } from "../../graphql/context.js";
import { quoteLoan, productsAll } from "./product.service.js";
import { LoanProduct, LoanQuote, LoanQuoteInput } from "./product.type.js";

@Resolver(() => LoanProduct)
export class ProductResolver {
  @Query(() => [LoanProduct])
  loanProducts(@Ctx() ctx: Context) {
    return productsAll(ctx);
  }

  @FieldResolver(() => Int)
  monthlyInterestRateBps(@Root() p: LoanProductRow) {
    return p.monthlyInterestBps;
  }

  @Query(() => LoanQuote)
  loanQuote(@Arg("input", () => LoanQuoteInput) input: LoanQuoteInput, @Ctx() ctx: Context) {
    return quoteLoan(ctx, input);
  }
}
