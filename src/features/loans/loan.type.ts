import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { connectionTypes } from "../../graphql/connection.types.js";
import { LoanStatusEnum } from "../../graphql/enums.js";
import { DateScalar, DateTimeScalar, MoneyScalar } from "../../graphql/scalars.js";

@ObjectType("Loan")
export class Loan {
  @Field(() => ID) id: string;
  @Field(() => MoneyScalar) principal: bigint;
  @Field(() => MoneyScalar) originationFee: bigint;
  @Field(() => MoneyScalar) disbursedAmount: bigint;
  monthlyInterestBps: number;
  @Field(() => Int) tenorMonths: number;
  @Field(() => LoanStatusEnum) status: string;
  @Field(() => DateTimeScalar, { nullable: true }) disbursedAt: Date | null;
  @Field(() => Int) daysPastDue: number;
  @Field(() => DateTimeScalar) createdAt: Date;
  applicationId: string;
  customerId: string;
  partnerId: string | null;
  productId: string;
}

export const { Connection: LoanConnection } = connectionTypes("Loan", Loan);

@InputType("LoanFilter")
export class LoanFilter {
  @Field(() => [LoanStatusEnum], { nullable: true }) status?: string[] | null;
  @Field(() => ID, { nullable: true }) partnerId?: string | null;
  @Field(() => ID, { nullable: true }) customerId?: string | null;
  @Field(() => Int, { nullable: true }) minDaysPastDue?: number | null;
}

@InputType("DisburseLoanInput")
export class DisburseLoanInput {
  @Field(() => ID) loanId: string;
  @Field(() => DateTimeScalar, { nullable: true }) disbursedAt?: Date | null;
}

@InputType("FailDisbursementInput")
export class FailDisbursementInput {
  @Field(() => ID) loanId: string;
  @Field(() => String) reason: string;
}

@ObjectType("LoanStatusCount", { simpleResolvers: true })
export class LoanStatusCount {
  @Field(() => LoanStatusEnum) status: string;
  @Field(() => Int) count: number;
  @Field(() => MoneyScalar) outstandingAmount: bigint;
}

@ObjectType("PortfolioSummary", { simpleResolvers: true })
export class PortfolioSummary {
  @Field(() => Int) loanCount: number;
  @Field(() => Int) activeLoanCount: number;
  @Field(() => MoneyScalar) disbursedTotal: bigint;
  @Field(() => MoneyScalar) collectedTotal: bigint;
  @Field(() => MoneyScalar) outstandingAmount: bigint;
  @Field(() => [LoanStatusCount]) byStatus: LoanStatusCount[];
}

@ObjectType("DailyUpdateResult", { simpleResolvers: true })
export class DailyUpdateResult {
  @Field(() => DateScalar) asOf: string;
  @Field(() => Int) paymentsUpdated: number;
  @Field(() => Int) loansUpdated: number;
  @Field(() => Int) lateFeesApplied: number;
  @Field(() => Int) offersExpired: number;
}

@ObjectType("LoanStatusEvent")
export class LoanStatusEvent {
  @Field(() => String, { description: "Resume point: pass it as `after` to receive only later events." }) cursor: string;
  @Field(() => LoanStatusEnum, { nullable: true }) fromStatus: string | null;
  @Field(() => LoanStatusEnum) toStatus: string;
  @Field(() => String, { nullable: true }) reason: string | null;
  @Field(() => DateTimeScalar) at: Date;
  entityId: string;
}
