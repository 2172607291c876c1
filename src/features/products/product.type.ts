import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { DateScalar, MoneyScalar } from "../../graphql/scalars.js";

@ObjectType("LoanProduct", { simpleResolvers: true })
export class LoanProduct {
  @Field(() => ID) id: string;
  @Field(() => String) code: string;
  @Field(() => String) name: string;
  @Field(() => MoneyScalar) minAmount: bigint;
  @Field(() => MoneyScalar) maxAmount: bigint;
  @Field(() => Int) minTenorMonths: number;
  @Field(() => Int) maxTenorMonths: number;
  monthlyInterestBps: number;
  @Field(() => Int) originationFeeBps: number;
  @Field(() => Int) lateFeeBps: number;
  @Field(() => MoneyScalar, { description: "Minimum late fee per threshold reached." }) minLateFee: bigint;
}

@ObjectType("QuotedInstallment", { simpleResolvers: true })
export class QuotedInstallment {
  @Field(() => Int) installmentNumber: number;
  @Field(() => DateScalar) dueDate: string;
  @Field(() => MoneyScalar) principal: bigint;
  @Field(() => MoneyScalar) interest: bigint;
  @Field(() => MoneyScalar) total: bigint;
}

@ObjectType("LoanQuote", { simpleResolvers: true })
export class LoanQuote {
  @Field(() => MoneyScalar) principal: bigint;
  @Field(() => MoneyScalar) originationFee: bigint;
  @Field(() => MoneyScalar) disbursedAmount: bigint;
  @Field(() => MoneyScalar) totalInterest: bigint;
  @Field(() => MoneyScalar) totalRepayment: bigint;
  @Field(() => [QuotedInstallment]) installments: QuotedInstallment[];
}

@InputType("LoanQuoteInput")
export class LoanQuoteInput {
  @Field(() => String) productCode: string;
  @Field(() => MoneyScalar) amount: bigint;
  @Field(() => Int) tenorMonths: number;
  @Field(() => DateScalar, { nullable: true }) loanDate?: string | null;
}
